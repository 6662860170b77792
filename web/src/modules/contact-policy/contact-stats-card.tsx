import { Card, Col, Empty, Row, Skeleton, Statistic, Table } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { Chart } from "../../ui/chart.tsx";
import { QueryError } from "../../ui/query-error.tsx";
import { useContactStats } from "./contact-policy.api.ts";

/** Dashboard card: touches per channel per day (stacked bars) and what the policy blocked, by reason. */
export function ContactStatsCard() {
  const { t } = useTranslation();
  const stats = useContactStats(14);
  const data = stats.data;
  return (
    <Card
      title={t("contactPolicy.stats.title")}
      extra={<Link to="/settings/contact-policy">{t("nav.contactPolicy")}</Link>}
      data-testid="contact-stats"
    >
      {stats.isError ? (
        <QueryError error={stats.error} onRetry={() => void stats.refetch()} />
      ) : !data ? (
        <Skeleton active />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={16}>
            <Chart
              height={260}
              option={{
                tooltip: { trigger: "axis" },
                legend: { bottom: 0, type: "scroll" },
                grid: { left: 40, right: 16, top: 24, bottom: 48 },
                xAxis: { type: "category", data: data.days.map((d) => d.slice(5)) },
                yAxis: { type: "value", minInterval: 1 },
                series: data.touches.map((s) => ({
                  type: "bar",
                  stack: "touches",
                  name: t(`contactPolicy.channels.${s.channel}`),
                  data: s.counts,
                })),
              }}
            />
          </Col>
          <Col xs={24} lg={8}>
            <Statistic title={t("contactPolicy.stats.optedOut")} value={data.optedOut} />
            {data.denied.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("contactPolicy.stats.none")} />
            ) : (
              <Table
                size="small"
                rowKey="reason"
                pagination={false}
                style={{ marginTop: 16 }}
                dataSource={data.denied}
                columns={[
                  {
                    title: t("contactPolicy.stats.denied"),
                    dataIndex: "reason",
                    render: (r: string) => t(`contactPolicy.reasons.${r}`, { defaultValue: r }),
                  },
                  { title: "", dataIndex: "n", align: "right" },
                ]}
              />
            )}
          </Col>
        </Row>
      )}
    </Card>
  );
}

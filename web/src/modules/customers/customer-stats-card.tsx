import { Card, Col, Empty, Progress, Row, Skeleton, Statistic, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { Chart } from "../../ui/chart.tsx";
import { QueryError } from "../../ui/query-error.tsx";
import { useCustomerStats } from "./customers.api.ts";
import { useIdentityLabel } from "./identity-type.tsx";

/** Dashboard card: customers, identities, the unification rate and identities by platform. */
export function CustomerStatsCard() {
  const { t } = useTranslation();
  const stats = useCustomerStats();
  const identityLabel = useIdentityLabel();
  const data = stats.data;
  // The API gives a ratio (0–1); tolerate a percentage too.
  const rate = data ? (data.unificationRate <= 1 ? data.unificationRate * 100 : data.unificationRate) : 0;
  const pie = Object.entries(data?.byIdentityType ?? {})
    .filter(([, n]) => n > 0)
    .map(([type, n]) => ({ name: identityLabel(type), value: n }));

  return (
    <Card
      title={t("customers.statsTitle")}
      extra={<Link to="/customers">{t("nav.customerList")}</Link>}
      data-testid="customer-stats"
    >
      {stats.isError ? (
        <QueryError error={stats.error} onRetry={() => void stats.refetch()} />
      ) : stats.isPending ? (
        <Skeleton active />
      ) : (
        <Row gutter={[16, 16]} align="middle">
          <Col xs={24} md={8}>
            <Statistic title={t("customers.statsCustomers")} value={data?.customers ?? 0} />
            <Statistic
              title={t("customers.statsIdentities")}
              value={data?.identities ?? 0}
              style={{ marginTop: 16 }}
            />
          </Col>
          <Col xs={24} md={6} style={{ textAlign: "center" }}>
            <Progress
              type="dashboard"
              percent={Math.round(rate * 10) / 10}
              strokeColor="#07c160"
              size={140}
            />
            <Typography.Text type="secondary" style={{ display: "block" }}>
              {t("customers.statsRate")}
            </Typography.Text>
          </Col>
          <Col xs={24} md={10}>
            {pie.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("customers.statsNoIdentities")} />
            ) : (
              <Chart
                height={200}
                option={{
                  tooltip: { trigger: "item" },
                  legend: { orient: "vertical", right: 0, top: "middle", type: "scroll" },
                  series: [
                    {
                      type: "pie",
                      radius: ["45%", "75%"],
                      center: ["35%", "50%"],
                      label: { show: false },
                      data: pie,
                    },
                  ],
                }}
              />
            )}
          </Col>
        </Row>
      )}
    </Card>
  );
}

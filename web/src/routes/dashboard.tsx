import {
  AuditOutlined,
  CloudServerOutlined,
  ClusterOutlined,
  KeyOutlined,
  TeamOutlined,
  UserOutlined,
  WarningOutlined,
} from "@ant-design/icons";
import { Card, Col, Row, Skeleton, Statistic, Tag } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ContactStatsCard } from "../modules/contact-policy/contact-stats-card.tsx";
import { CustomerStatsCard } from "../modules/customers/customer-stats-card.tsx";
import { QueueChart } from "../modules/system/queue-chart.tsx";
import { queueRows, useOverview } from "../modules/system/system.api.ts";
import { PageHeader } from "../ui/page-header.tsx";
import { QueryError } from "../ui/query-error.tsx";

function StatCard({
  title,
  value,
  icon,
  suffix,
}: {
  title: string;
  value: ReactNode;
  icon: ReactNode;
  suffix?: ReactNode;
}) {
  return (
    <Card className="stat-card" style={{ height: "100%" }}>
      <Statistic title={title} value={value as string} prefix={icon} suffix={suffix} />
    </Card>
  );
}

const shortcuts = [
  { path: "/settings/users", key: "users", icon: <UserOutlined /> },
  { path: "/settings/audit", key: "audit", icon: <AuditOutlined /> },
  { path: "/settings/api-keys", key: "apiKeys", icon: <KeyOutlined /> },
  { path: "/settings/system", key: "system", icon: <CloudServerOutlined /> },
];

export function DashboardPage() {
  const { t } = useTranslation();
  const overview = useOverview(10_000);
  const data = overview.data;
  const totals = queueRows(data).reduce(
    (sum, q) => ({
      waiting: sum.waiting + q.waiting + q.delayed,
      active: sum.active + q.active,
      failed: sum.failed + q.failed,
      dead: sum.dead + q.dead,
    }),
    { waiting: 0, active: 0, failed: 0, dead: 0 },
  );

  return (
    <>
      <PageHeader title={t("dashboard.title")} subtitle={t("dashboard.subtitle")} />
      {overview.isError ? (
        <QueryError error={overview.error} onRetry={() => void overview.refetch()} />
      ) : overview.isPending ? (
        <Skeleton active paragraph={{ rows: 10 }} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} sm={12} xl={6}>
            <StatCard title={t("dashboard.tenant")} value={data?.tenant.name} icon={<ClusterOutlined />} />
          </Col>
          <Col xs={24} sm={12} xl={6}>
            <StatCard title={t("dashboard.users")} value={data?.users} icon={<TeamOutlined />} />
          </Col>
          <Col xs={24} sm={12} xl={6}>
            <StatCard
              title={t("dashboard.mode")}
              value={data ? t(`dashboard.modes.${data.mode}`) : ""}
              icon={<CloudServerOutlined />}
            />
          </Col>
          <Col xs={24} sm={12} xl={6}>
            <StatCard
              title={t("dashboard.version")}
              value={data?.version}
              icon={<Tag color="green">v</Tag>}
            />
          </Col>

          <Col xs={24}>
            <CustomerStatsCard />
          </Col>
          <Col xs={24}>
            <ContactStatsCard />
          </Col>

          <Col xs={24} xl={16}>
            <Card
              title={t("dashboard.queuesChart")}
              extra={<Link to="/settings/system">{t("nav.system")}</Link>}
            >
              <QueueChart overview={data} height={300} />
            </Card>
          </Col>
          <Col xs={24} xl={8}>
            <Card title={t("dashboard.queueTotals")} style={{ marginBottom: 16 }}>
              <Row gutter={[16, 16]}>
                <Col span={12}>
                  <Statistic title={t("dashboard.waiting")} value={totals.waiting} />
                </Col>
                <Col span={12}>
                  <Statistic title={t("dashboard.active")} value={totals.active} />
                </Col>
                <Col span={12}>
                  <Statistic
                    title={t("dashboard.failed")}
                    value={totals.failed}
                    styles={{ content: { color: totals.failed > 0 ? "#fa8c16" : undefined } }}
                  />
                </Col>
                <Col span={12}>
                  <Statistic
                    title={t("dashboard.dead")}
                    value={totals.dead}
                    prefix={totals.dead > 0 ? <WarningOutlined /> : undefined}
                    styles={{ content: { color: totals.dead > 0 ? "#f5222d" : undefined } }}
                  />
                </Col>
              </Row>
            </Card>
            <Card title={t("dashboard.shortcuts")}>
              <Row gutter={[8, 8]}>
                {shortcuts.map((s) => (
                  <Col span={12} key={s.key}>
                    <Link to={s.path}>
                      <Card size="small" hoverable styles={{ body: { textAlign: "center" } }}>
                        <div style={{ fontSize: 20, color: "#07c160" }}>{s.icon}</div>
                        <div>{t(`nav.${s.key}`)}</div>
                      </Card>
                    </Link>
                  </Col>
                ))}
              </Row>
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}

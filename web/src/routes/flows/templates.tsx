import { DownloadOutlined, RightOutlined } from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Row,
  Segmented,
  Skeleton,
  Space,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import {
  type FlowTemplate,
  flowTemplatesKey,
  installFlowTemplate,
  useFlowTemplates,
} from "../../modules/flow-templates/flow-templates.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

type Filter = "all" | FlowTemplate["category"];

const industryColor: Record<FlowTemplate["industry"], string> = {
  general: "blue",
  retail: "magenta",
  appliance: "orange",
  education: "green",
  service: "volcano",
  automotive: "geekblue",
};

/** The flow designer's route for one flow (the designer opens drafts there). */
const designerPath = (flowId: string) => `/flows/${encodeURIComponent(flowId)}`;

/** 模板库: SOP and industry templates; installing one creates a draft flow and opens the designer. */
export function FlowTemplatesPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const me = useMe();
  const canInstall = hasPermission(me.data, "flows.manage");
  const templates = useFlowTemplates();
  const [filter, setFilter] = useState<Filter>("all");
  const install = useActionMutation({
    mutationFn: (key: string) => installFlowTemplate(key),
    invalidate: [flowTemplatesKey, ["flows"]],
    onSuccess: (r) => {
      message.success(t("flowTemplates.installed", { name: r.name }));
      navigate(designerPath(r.flowId));
    },
  });

  if (templates.isError)
    return <QueryError error={templates.error} onRetry={() => void templates.refetch()} />;
  const items = (templates.data?.items ?? []).filter((x) => filter === "all" || x.category === filter);
  return (
    <>
      <PageHeader
        title={t("flowTemplates.title")}
        subtitle={t("flowTemplates.subtitle")}
        extra={
          <Segmented<Filter>
            value={filter}
            onChange={setFilter}
            options={[
              { value: "all", label: t("flowTemplates.all") },
              { value: "sop", label: t("flowTemplates.categories.sop") },
              { value: "industry", label: t("flowTemplates.categories.industry") },
            ]}
          />
        }
      />
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        message={t("flowTemplates.guardrails")}
        description={t("flowTemplates.placeholderCoupons")}
      />
      {!templates.data ? (
        <Skeleton active />
      ) : items.length === 0 ? (
        <Empty description={t("flowTemplates.empty")} />
      ) : (
        <Row gutter={[16, 16]}>
          {items.map((tpl) => (
            <Col key={tpl.key} xs={24} lg={12} xxl={8}>
              <TemplateCard
                tpl={tpl}
                canInstall={canInstall}
                installing={install.isPending && install.variables === tpl.key}
                onInstall={() => install.mutate(tpl.key)}
              />
            </Col>
          ))}
        </Row>
      )}
    </>
  );
}

function TemplateCard({
  tpl,
  canInstall,
  installing,
  onInstall,
}: {
  tpl: FlowTemplate;
  canInstall: boolean;
  installing: boolean;
  onInstall: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Card
      data-testid={`template-${tpl.key}`}
      title={<span title={tpl.name}>{tpl.name}</span>}
      style={{ height: "100%", display: "flex", flexDirection: "column" }}
      styles={{ body: { display: "flex", flexDirection: "column", gap: 12, flex: 1 } }}
    >
      <Space size={4}>
        <Tag color={industryColor[tpl.industry]}>{t(`flowTemplates.industries.${tpl.industry}`)}</Tag>
        <Tag>{t(`flowTemplates.categories.${tpl.category}`)}</Tag>
      </Space>
      <Typography.Paragraph
        type="secondary"
        style={{ margin: 0 }}
        ellipsis={{ rows: 3, tooltip: tpl.description }}
      >
        {tpl.description}
      </Typography.Paragraph>
      <div>
        <Typography.Text strong>{t("flowTemplates.steps")}：</Typography.Text>
        <Flex wrap gap={4} align="center" style={{ marginTop: 6 }}>
          {tpl.steps.map((s, i) => (
            <Space key={s} size={4}>
              {i > 0 ? <RightOutlined style={{ fontSize: 10, color: "#999" }} /> : null}
              <Tag color="processing" style={{ marginInlineEnd: 0 }}>
                {s}
              </Tag>
            </Space>
          ))}
        </Flex>
      </div>
      <Typography.Text>
        <Typography.Text strong>{t("flowTemplates.trigger")}：</Typography.Text>
        {tpl.trigger}
      </Typography.Text>
      <div>
        <Typography.Text strong>{t("flowTemplates.uses")}：</Typography.Text>
        <Flex wrap gap={4} style={{ marginTop: 6 }}>
          {tpl.uses.map((u) => (
            <Tag key={u} bordered={false}>
              {u}
            </Tag>
          ))}
        </Flex>
      </div>
      <Flex justify="space-between" align="center" style={{ marginTop: "auto" }} wrap gap={8}>
        <Space size={12} wrap>
          <Typography.Text type="secondary">
            {t("flowTemplates.nodes", { count: tpl.definition.nodes.length })}
          </Typography.Text>
          {tpl.installs ? (
            <Typography.Text type="secondary">
              {t("flowTemplates.installs", { count: tpl.installs })}
            </Typography.Text>
          ) : null}
          {tpl.lastFlowId ? (
            <Link to={designerPath(tpl.lastFlowId)}>{t("flowTemplates.openLast")}</Link>
          ) : null}
        </Space>
        {canInstall ? (
          <Button
            type="primary"
            icon={<DownloadOutlined />}
            loading={installing}
            onClick={onInstall}
            data-testid={`install-${tpl.key}`}
          >
            {t("flowTemplates.install")}
          </Button>
        ) : null}
      </Flex>
    </Card>
  );
}

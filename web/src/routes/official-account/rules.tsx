import { CheckOutlined, DeleteOutlined } from "@ant-design/icons";
import type { EngagementRuleDto, FollowUpDto } from "@siyu/contracts";
import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  Modal,
  Popconfirm,
  Radio,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import {
  completeFollowUp,
  deleteEngagementRule,
  oafKey,
  saveEngagementRule,
  useArticles,
  useEngagementRules,
  useFollowUps,
  useOaTemplates,
} from "../../modules/oa-features/oa-features.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

function RuleModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const kind = Form.useWatch("kind", form);
  const articles = useArticles();
  const templates = useOaTemplates();
  const templateId = Form.useWatch("templateId", form);
  const template = templates.data?.items.find((x) => x.templateId === templateId);
  const save = useActionMutation({
    mutationFn: (v: {
      kind: "oa_message_followup" | "tag_sends_article";
      name: string;
      keyword?: string;
      tag?: string;
      articleId?: string;
      templateId?: string;
      data?: Record<string, string>;
    }) =>
      saveEngagementRule(
        v.kind === "oa_message_followup"
          ? { kind: v.kind, name: v.name, keyword: v.keyword ?? "" }
          : {
              kind: v.kind,
              name: v.name,
              tag: v.tag ?? "",
              articleId: v.articleId ?? "",
              templateId: v.templateId ?? "",
              data: Object.fromEntries(Object.entries(v.data ?? {}).filter(([, x]) => x)),
            },
      ),
    successText: t("oaf.common.saved"),
    invalidate: [oafKey],
    onSuccess: () => {
      form.resetFields();
      onClose();
    },
  });
  return (
    <Modal
      open={open}
      title={t("oaf.rules.new")}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ kind: "oa_message_followup" }}
        onFinish={save.mutate}
      >
        <Form.Item name="kind">
          <Radio.Group
            optionType="button"
            options={[
              { value: "oa_message_followup", label: t("oaf.rules.kinds.oa_message_followup") },
              { value: "tag_sends_article", label: t("oaf.rules.kinds.tag_sends_article") },
            ]}
          />
        </Form.Item>
        <Form.Item name="name" label={t("oaf.rules.name")} rules={[{ required: true }]}>
          <Input data-testid="rule-name" />
        </Form.Item>
        {kind === "tag_sends_article" ? (
          <>
            <Form.Item name="tag" label={t("oaf.rules.tag")} rules={[{ required: true }]}>
              <Input />
            </Form.Item>
            <Form.Item name="articleId" label={t("oaf.rules.article")} rules={[{ required: true }]}>
              <Select options={(articles.data?.items ?? []).map((a) => ({ value: a.id, label: a.title }))} />
            </Form.Item>
            <Form.Item name="templateId" label={t("oaf.rules.template")} rules={[{ required: true }]}>
              <Select
                options={(templates.data?.items ?? []).map((x) => ({ value: x.templateId, label: x.title }))}
              />
            </Form.Item>
            {(template?.keys ?? []).map((k) => (
              <Form.Item
                key={k}
                name={["data", k]}
                label={k}
                extra={k === template?.keys[0] ? t("oaf.rules.dataHint") : undefined}
              >
                <Input />
              </Form.Item>
            ))}
          </>
        ) : (
          <Form.Item name="keyword" label={t("oaf.rules.keyword")} extra={t("oaf.rules.keywordHint")}>
            <Input />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

/** Cross-engine rules and the follow-ups they create for owner staff. */
export function OaRulesPage() {
  const { t } = useTranslation();
  const rules = useEngagementRules();
  const [status, setStatus] = useState<"open" | "done">("open");
  const followUps = useFollowUps({ status });
  const [creating, setCreating] = useState(false);
  const toggle = useActionMutation({
    mutationFn: (r: EngagementRuleDto) =>
      saveEngagementRule(
        { kind: r.kind, name: r.name, enabled: !r.enabled, ...(r.config as object) } as never,
        r.id,
      ),
    invalidate: [oafKey],
  });
  const remove = useActionMutation({ mutationFn: deleteEngagementRule, invalidate: [oafKey] });
  const done = useActionMutation({ mutationFn: completeFollowUp, invalidate: [oafKey] });
  return (
    <>
      <PageHeader
        title={t("oaf.rules.title")}
        subtitle={t("oaf.rules.subtitle")}
        extra={
          <CreateButton onClick={() => setCreating(true)} testId="rule-create">
            {t("oaf.rules.new")}
          </CreateButton>
        }
      />
      <Space direction="vertical" size={16} style={{ width: "100%" }}>
        <Alert type="info" showIcon message={t("oaf.rules.hint")} />
        <Card title={t("oaf.rules.list")}>
          <Table
            rowKey="id"
            size="small"
            loading={rules.isPending}
            dataSource={rules.data?.items ?? []}
            pagination={false}
            columns={[
              { title: t("oaf.rules.name"), dataIndex: "name" },
              {
                title: t("oaf.rules.kind"),
                dataIndex: "kind",
                render: (v: string) => <Tag>{t(`oaf.rules.kinds.${v}`)}</Tag>,
              },
              {
                title: t("oaf.rules.config"),
                dataIndex: "config",
                render: (c: Record<string, unknown>) =>
                  Object.entries(c)
                    .filter(([k]) => k !== "data")
                    .map(([k, v]) => `${k}: ${String(v) || "*"}`)
                    .join(" · "),
              },
              { title: t("oaf.rules.fired"), dataIndex: "fired", align: "right" },
              {
                title: "",
                render: (_: unknown, r: EngagementRuleDto) => (
                  <Space>
                    <Button size="small" onClick={() => toggle.mutate(r)}>
                      {r.enabled ? t("oaf.rules.disable") : t("oaf.rules.enable")}
                    </Button>
                    <Popconfirm title={t("oaf.common.deleteConfirm")} onConfirm={() => remove.mutate(r.id)}>
                      <Button size="small" type="text" icon={<DeleteOutlined />} />
                    </Popconfirm>
                  </Space>
                ),
              },
            ]}
          />
        </Card>
        <Card
          title={t("oaf.rules.followUps")}
          extra={
            <Radio.Group
              value={status}
              onChange={(e) => setStatus(e.target.value)}
              optionType="button"
              options={[
                { value: "open", label: t("oaf.rules.open") },
                { value: "done", label: t("oaf.rules.done") },
              ]}
            />
          }
        >
          <Table<FollowUpDto>
            rowKey="id"
            size="small"
            data-testid="follow-ups"
            dataSource={followUps.data?.items ?? []}
            pagination={{ pageSize: 10 }}
            columns={[
              { title: t("oaf.common.time"), dataIndex: "createdAt", render: formatTime },
              {
                title: t("oaf.rules.customer"),
                dataIndex: "customerName",
                render: (v: string | null, r: { customerId: string }) => (
                  <Link to={`/customers/${r.customerId}`}>{v || r.customerId}</Link>
                ),
              },
              { title: t("oaf.rules.owner"), dataIndex: "ownerUserid" },
              {
                title: t("oaf.rules.task"),
                dataIndex: "title",
                render: (v: string) => <Typography.Text>{v}</Typography.Text>,
              },
              {
                title: "",
                render: (_: unknown, r: { id: string; status: string }) =>
                  r.status === "open" ? (
                    <Button size="small" icon={<CheckOutlined />} onClick={() => done.mutate(r.id)}>
                      {t("oaf.rules.complete")}
                    </Button>
                  ) : null,
              },
            ]}
          />
        </Card>
      </Space>
      <RuleModal open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

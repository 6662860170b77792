import { DeleteOutlined, EditOutlined, PlayCircleOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import {
  App,
  Button,
  Col,
  Empty,
  Form,
  Input,
  Popconfirm,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { http, type Page } from "../../api/client.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { FormModal } from "../../ui/form-modal.tsx";
import { formatTime } from "../../ui/format.ts";
import { QueryError } from "../../ui/query-error.tsx";
import { ExpressionField } from "../segments/expression-field.tsx";
import {
  createTagRule,
  deleteTagRule,
  runTagRule,
  type TagRule,
  type TagRuleInput,
  updateTagRule,
  useTags,
} from "./customers.api.ts";

function TagRuleModal({ rule, onClose }: { rule: TagRule | null; onClose: () => void }) {
  const { t } = useTranslation();
  const tags = useTags();
  return (
    <FormModal<TagRuleInput>
      open
      title={rule ? t("customers.tagAdmin.editRule") : t("customers.tagAdmin.createRule")}
      okText={rule ? t("common.save") : t("common.create")}
      onClose={onClose}
      mutationFn={(v) => {
        const input = { name: v.name, tag: v.tag, enabled: v.enabled, expression: v.expression.trim() };
        return rule ? updateTagRule(rule.id, input) : createTagRule(input);
      }}
      successText={t("common.saved")}
      invalidate={[["tag-rules"]]}
      width={1040}
      initialValues={
        rule
          ? { name: rule.name, tag: rule.tag, expression: rule.expression, enabled: rule.enabled }
          : { name: "", expression: "", enabled: true }
      }
    >
      <Row gutter={16}>
        <Col xs={24} md={10}>
          <Form.Item
            name="name"
            label={t("customers.tagAdmin.ruleName")}
            rules={[{ required: true, whitespace: true }]}
          >
            <Input />
          </Form.Item>
        </Col>
        <Col xs={24} md={10}>
          <Form.Item
            name="tag"
            label={t("customers.tagAdmin.ruleTag")}
            rules={[{ required: true }]}
            extra={t("customers.tagAdmin.ruleTagHint")}
          >
            <Select
              showSearch={{ optionFilterProp: "label" }}
              options={(tags.data?.items ?? []).map((tag) => ({ value: tag.name, label: tag.name }))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={4}>
          <Form.Item name="enabled" label={t("customers.tagAdmin.enabled")} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Col>
      </Row>
      <ExpressionField
        label={t("customers.tagAdmin.ruleCondition")}
        rules={[{ required: true, whitespace: true }]}
      />
    </FormModal>
  );
}

/** Rule-based auto tags: a segment expression decides who carries the tag; "run now" applies it at once. */
export function TagRulesPanel() {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  const rules = useQuery({
    queryKey: ["tag-rules"],
    queryFn: () => http.get<Page<TagRule>>("/api/tag-rules", { limit: 500 }),
  });
  const [editing, setEditing] = useState<TagRule | null | "new">(null);
  const toggle = useActionMutation({
    mutationFn: (r: TagRule) => updateTagRule(r.id, { enabled: !r.enabled }),
    invalidate: [["tag-rules"]],
  });
  const remove = useActionMutation({ mutationFn: deleteTagRule, invalidate: [["tag-rules"]] });
  const run = useActionMutation({
    mutationFn: runTagRule,
    invalidate: [["tag-rules"], ["tags"], ["customers"]],
    onSuccess: (result) =>
      modal.success({
        title: t("customers.tagAdmin.runDone"),
        content: t("customers.tagAdmin.runResult", result),
      }),
  });

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <CreateButton onClick={() => setEditing("new")} testId="tag-rule-create">
          {t("customers.tagAdmin.createRule")}
        </CreateButton>
        <Typography.Text type="secondary">{t("customers.tagAdmin.rulesHint")}</Typography.Text>
      </Space>
      {rules.isError ? (
        <QueryError error={rules.error} onRetry={() => void rules.refetch()} />
      ) : (
        <Table<TagRule>
          rowKey="id"
          data-testid="tag-rules-table"
          loading={rules.isFetching}
          dataSource={rules.data?.items ?? []}
          pagination={false}
          scroll={{ x: 900 }}
          locale={{ emptyText: <Empty description={t("customers.tagAdmin.noRules")} /> }}
          columns={[
            {
              title: t("customers.tagAdmin.ruleName"),
              dataIndex: "name",
              render: (n: string) => <Typography.Text strong>{n}</Typography.Text>,
            },
            {
              title: t("customers.tagAdmin.ruleTag"),
              dataIndex: "tag",
              render: (tag: string) => <Tag color="green">{tag}</Tag>,
            },
            {
              title: t("customers.tagAdmin.ruleCondition"),
              dataIndex: "expression",
              render: (e: string) => (
                <Typography.Text code ellipsis style={{ maxWidth: 380 }}>
                  {e}
                </Typography.Text>
              ),
            },
            {
              title: t("customers.tagAdmin.enabled"),
              dataIndex: "enabled",
              width: 90,
              render: (enabled: boolean, r) => (
                <Switch
                  size="small"
                  checked={enabled}
                  loading={toggle.isPending && toggle.variables?.id === r.id}
                  onChange={() => toggle.mutate(r)}
                />
              ),
            },
            {
              title: t("customers.tagAdmin.lastRun"),
              dataIndex: "lastRunAt",
              width: 170,
              render: formatTime,
            },
            {
              title: t("common.actions"),
              key: "actions",
              fixed: "right",
              width: 240,
              render: (_: unknown, r) => (
                <Space size={0}>
                  <Button
                    type="link"
                    size="small"
                    icon={<PlayCircleOutlined />}
                    loading={run.isPending && run.variables === r.id}
                    onClick={() => run.mutate(r.id)}
                  >
                    {t("customers.tagAdmin.runNow")}
                  </Button>
                  <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(r)}>
                    {t("common.edit")}
                  </Button>
                  <Popconfirm
                    title={t("customers.tagAdmin.deleteRuleConfirm")}
                    onConfirm={() => remove.mutate(r.id)}
                  >
                    <Button type="link" size="small" danger icon={<DeleteOutlined />}>
                      {t("common.delete")}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      )}
      {editing !== null ? (
        <TagRuleModal rule={editing === "new" ? null : editing} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}

import { PlusOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Input, Modal, Popconfirm, Select, Space, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import { FlowStatus } from "../../modules/flows/flow-status.tsx";
import {
  archiveFlow,
  createFlow,
  type Flow,
  flowsKey,
  useFlowAnalytics,
} from "../../modules/flows/flows.api.ts";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

/** Instances still going (running or waiting), from the flow's analytics. */
function LiveCount({ flow }: { flow: Flow }) {
  const analytics = useFlowAnalytics(flow.id);
  if (!flow.publishedVersion) return <>—</>;
  const i = analytics.data?.instances;
  return <span data-testid="flow-live-count">{i ? i.running + i.waiting : "…"}</span>;
}

/** 流程: every flow with its state, versions and live instances. */
export function FlowsListPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useMe();
  const canManage = hasPermission(me.data, "flows.manage");
  const [status, setStatus] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [form] = Form.useForm<{ name: string; description?: string }>();
  const list = useCursorPage<Flow>("flows", "/api/flows", { status }, 20);
  const create = useMutation({
    mutationFn: (v: { name: string; description?: string }) => createFlow(v),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: [...flowsKey] });
      navigate(`/flows/${encodeURIComponent(f.id)}`);
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  const archive = useMutation({
    mutationFn: (id: string) => archiveFlow(id),
    onSuccess: () => {
      message.success(t("flows.archived"));
      void qc.invalidateQueries({ queryKey: [...flowsKey] });
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  return (
    <>
      <PageHeader
        title={t("flows.title")}
        subtitle={t("flows.subtitle")}
        extra={
          <>
            <Select
              allowClear
              placeholder={t("flows.statusFilter")}
              style={{ width: 140 }}
              value={status}
              onChange={setStatus}
              options={["draft", "active", "archived"].map((s) => ({
                value: s,
                label: t(`flows.status.${s}`),
              }))}
            />
            <Link to="/tasks">
              <Button>{t("tasks.title")}</Button>
            </Link>
            {canManage ? (
              <Button
                type="primary"
                icon={<PlusOutlined />}
                onClick={() => setCreating(true)}
                data-testid="flow-create"
              >
                {t("flows.create")}
              </Button>
            ) : null}
          </>
        }
      />
      <CursorTable<Flow>
        list={list}
        rowKey="id"
        data-testid="flows-table"
        locale={{ emptyText: t("flows.empty") }}
        columns={[
          {
            title: t("flows.name"),
            dataIndex: "name",
            render: (name: string, f) => (
              <div>
                <Link to={`/flows/${encodeURIComponent(f.id)}`}>{name}</Link>
                {f.description ? (
                  <Typography.Text type="secondary" style={{ display: "block", fontSize: 12 }}>
                    {f.description}
                  </Typography.Text>
                ) : null}
              </div>
            ),
          },
          {
            title: t("flows.statusCol"),
            dataIndex: "status",
            render: (_: string, f) => <FlowStatus flow={f} />,
          },
          {
            title: t("flows.versionCol"),
            dataIndex: "version",
            render: (_: number, f) =>
              f.publishedVersion
                ? t("flows.versionShort", { published: f.publishedVersion, draft: f.version })
                : t("flows.versionShortDraft", { draft: f.version }),
          },
          { title: t("flows.liveInstances"), key: "live", render: (_: unknown, f) => <LiveCount flow={f} /> },
          { title: t("flows.updatedAt"), dataIndex: "updatedAt", render: formatTime },
          {
            title: t("common.actions", { defaultValue: "操作" }),
            key: "actions",
            render: (_: unknown, f) => (
              <Space size={4}>
                <Link to={`/flows/${encodeURIComponent(f.id)}`}>{t("flows.design")}</Link>
                {f.publishedVersion ? (
                  <Link to={`/flows/${encodeURIComponent(f.id)}?tab=monitor`}>{t("flows.tabs.monitor")}</Link>
                ) : null}
                {canManage && f.status !== "archived" ? (
                  <Popconfirm title={t("flows.archiveConfirm")} onConfirm={() => archive.mutate(f.id)}>
                    <Button type="link" size="small" danger>
                      {t("flows.archive")}
                    </Button>
                  </Popconfirm>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={creating}
        title={t("flows.create")}
        onCancel={() => setCreating(false)}
        okButtonProps={{ loading: create.isPending, "data-testid": "flow-create-submit" }}
        onOk={() => void form.validateFields().then((v) => create.mutate(v))}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" preserve={false}>
          <Form.Item name="name" label={t("flows.name")} rules={[{ required: true, max: 100 }]}>
            <Input data-testid="flow-create-name" placeholder={t("flows.namePlaceholder")} />
          </Form.Item>
          <Form.Item name="description" label={t("flows.description")}>
            <Input.TextArea autoSize={{ minRows: 2 }} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

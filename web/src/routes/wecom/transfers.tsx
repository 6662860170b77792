import { ReloadOutlined } from "@ant-design/icons";
import { Button, Card, Drawer, Form, Input, Select, Space, Table, Tabs, Tag, Typography } from "antd";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import {
  createGroupTransfer,
  createTransfer,
  refreshTransfer,
  statusColor,
  type Transfer,
  type TransferDetail,
  type Unassigned,
  useCustomerSearch,
  useStaff,
  useTransfer,
  useUnassigned,
} from "../../modules/wecom-actions/wecom-actions.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

function StaffSelect(props: {
  value?: string;
  onChange?: (v: string) => void;
  activeOnly?: boolean;
  resigned?: boolean;
}) {
  const staff = useStaff();
  const items = (staff.data?.items ?? []).filter((s) =>
    props.resigned ? s.status === "resigned" : props.activeOnly ? s.status === "active" : true,
  );
  return (
    <Select
      showSearch
      value={props.value}
      onChange={props.onChange}
      loading={staff.isFetching}
      optionFilterProp="label"
      options={items.map((s) => ({ value: s.userid, label: `${s.name} (${s.userid})` }))}
    />
  );
}

/** 在职继承: pick the handover member's customers and the takeover member. */
function OnJobForm({ onCreated }: { onCreated: (t: TransferDetail) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{
    handover: string;
    takeover: string;
    customerIds: string[];
    message?: string;
  }>();
  const [q, setQ] = useState("");
  const customers = useCustomerSearch(q);
  const create = useActionMutation({
    mutationFn: (v: { handover: string; takeover: string; customerIds: string[]; message?: string }) =>
      createTransfer({
        kind: "onjob",
        handoverUserid: v.handover,
        takeoverUserid: v.takeover,
        customerIds: v.customerIds,
        ...(v.message ? { message: v.message } : {}),
      }),
    successText: t("wecomActions.transfers.created"),
    invalidate: [["wecom-transfers"]],
    onSuccess: (r) => {
      form.resetFields();
      onCreated(r);
    },
  });
  return (
    <Form
      form={form}
      layout="vertical"
      onFinish={(v) => create.mutate(v)}
      data-testid="onjob-form"
      style={{ maxWidth: 640 }}
    >
      <Form.Item name="handover" label={t("wecomActions.transfers.handover")} rules={[{ required: true }]}>
        <StaffSelect activeOnly />
      </Form.Item>
      <Form.Item
        name="customerIds"
        label={t("wecomActions.transfers.customers")}
        rules={[{ required: true }]}
      >
        <Select
          mode="multiple"
          showSearch
          filterOption={false}
          onSearch={setQ}
          options={(customers.data?.items ?? []).map((c) => ({ value: c.id, label: c.name || c.id }))}
        />
      </Form.Item>
      <Form.Item name="takeover" label={t("wecomActions.transfers.takeover")} rules={[{ required: true }]}>
        <StaffSelect activeOnly />
      </Form.Item>
      <Form.Item name="message" label={t("wecomActions.transfers.message")}>
        <Input maxLength={200} />
      </Form.Item>
      <Typography.Paragraph type="secondary">{t("wecomActions.transfers.onJobHint")}</Typography.Paragraph>
      <Button type="primary" htmlType="submit" loading={create.isPending}>
        {t("wecomActions.transfers.start")}
      </Button>
    </Form>
  );
}

/** 离职继承: WeCom's list of customers waiting after a member left, grouped by that member. */
function ResignedPanel({ onCreated }: { onCreated: (t: TransferDetail) => void }) {
  const { t } = useTranslation();
  const unassigned = useUnassigned(true);
  const [takeover, setTakeover] = useState<string>();
  const [selected, setSelected] = useState<string[]>([]);
  const groups = useMemo(() => {
    const by = new Map<string, Unassigned[]>();
    for (const u of unassigned.data?.items ?? [])
      by.set(u.handoverUserid, [...(by.get(u.handoverUserid) ?? []), u]);
    return [...by.entries()];
  }, [unassigned.data]);
  const create = useActionMutation({
    mutationFn: (handover: string) =>
      createTransfer({
        kind: "resigned",
        handoverUserid: handover,
        takeoverUserid: takeover ?? "",
        externalUserids: selected.filter((e) =>
          (unassigned.data?.items ?? []).some((u) => u.externalUserid === e && u.handoverUserid === handover),
        ),
      }),
    successText: t("wecomActions.transfers.created"),
    invalidate: [["wecom-transfers"], ["wecom-unassigned"]],
    onSuccess: (r) => {
      setSelected([]);
      onCreated(r);
    },
  });
  if (unassigned.isError)
    return <QueryError error={unassigned.error} onRetry={() => void unassigned.refetch()} />;
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size={16}>
      <Space>
        <Typography.Text>{t("wecomActions.transfers.takeover")}</Typography.Text>
        <div style={{ width: 260 }}>
          <StaffSelect activeOnly value={takeover} onChange={setTakeover} />
        </div>
        <Button
          icon={<ReloadOutlined />}
          onClick={() => void unassigned.refetch()}
          loading={unassigned.isFetching}
        >
          {t("common.refresh")}
        </Button>
      </Space>
      {groups.length === 0 && !unassigned.isFetching ? (
        <Typography.Text type="secondary">{t("wecomActions.transfers.noneWaiting")}</Typography.Text>
      ) : null}
      {groups.map(([handover, items]) => (
        <Card
          key={handover}
          size="small"
          title={`${handover} · ${t("wecomActions.transfers.waitingCount", { count: items.length })}`}
          extra={
            <Button
              type="primary"
              size="small"
              disabled={!takeover || !selected.some((e) => items.some((i) => i.externalUserid === e))}
              loading={create.isPending && create.variables === handover}
              onClick={() => create.mutate(handover)}
            >
              {t("wecomActions.transfers.assign")}
            </Button>
          }
        >
          <Table<Unassigned>
            rowKey="externalUserid"
            size="small"
            pagination={{ pageSize: 20 }}
            dataSource={items}
            rowSelection={{
              selectedRowKeys: selected,
              onChange: (keys) =>
                setSelected((prev) => [
                  ...prev.filter((k) => !items.some((i) => i.externalUserid === k)),
                  ...keys.map(String),
                ]),
            }}
            columns={[
              {
                title: t("wecomActions.customer"),
                dataIndex: "name",
                render: (n: string | null, u) =>
                  u.customerId ? (
                    <Link to={`/customers/${encodeURIComponent(u.customerId)}`}>{n ?? u.customerId}</Link>
                  ) : (
                    (n ?? "—")
                  ),
              },
              { title: "external_userid", dataIndex: "externalUserid" },
              {
                title: t("wecomActions.transfers.dimissionTime"),
                dataIndex: "dimissionTime",
                render: formatTime,
              },
            ]}
          />
        </Card>
      ))}
    </Space>
  );
}

function GroupForm({ onCreated }: { onCreated: (t: TransferDetail) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ kind: "onjob" | "resigned"; chatIds: string; newOwner: string }>();
  const create = useActionMutation({
    mutationFn: (v: { kind: "onjob" | "resigned"; chatIds: string; newOwner: string }) =>
      createGroupTransfer({
        kind: v.kind,
        newOwner: v.newOwner,
        chatIds: v.chatIds.split(/[\s,，]+/).filter(Boolean),
      }),
    successText: t("wecomActions.transfers.created"),
    invalidate: [["wecom-transfers"]],
    onSuccess: (r) => {
      form.resetFields();
      onCreated(r);
    },
  });
  return (
    <Form
      form={form}
      layout="vertical"
      initialValues={{ kind: "onjob" }}
      onFinish={(v) => create.mutate(v)}
      style={{ maxWidth: 640 }}
    >
      <Form.Item name="kind" label={t("wecomActions.transfers.kind")}>
        <Select
          options={[
            { value: "onjob", label: t("wecomActions.transfers.kinds.group_onjob") },
            { value: "resigned", label: t("wecomActions.transfers.kinds.group_resigned") },
          ]}
        />
      </Form.Item>
      <Form.Item name="chatIds" label={t("wecomActions.transfers.chatIds")} rules={[{ required: true }]}>
        <Input.TextArea rows={3} placeholder="wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA, …" />
      </Form.Item>
      <Form.Item name="newOwner" label={t("wecomActions.transfers.newOwner")} rules={[{ required: true }]}>
        <StaffSelect activeOnly />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={create.isPending}>
        {t("wecomActions.transfers.start")}
      </Button>
    </Form>
  );
}

function TransferDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const detail = useTransfer(id);
  const refresh = useActionMutation({
    mutationFn: () => refreshTransfer(id ?? ""),
    successText: t("wecomActions.refreshing"),
    invalidate: [["wecom-transfers"]],
  });
  return (
    <Drawer
      open={id !== null}
      onClose={onClose}
      size="large"
      title={id}
      extra={
        <Button icon={<ReloadOutlined />} loading={refresh.isPending} onClick={() => refresh.mutate()}>
          {t("wecomActions.fetchResults")}
        </Button>
      }
    >
      {detail.isError ? <QueryError error={detail.error} /> : null}
      <Table
        rowKey="subjectId"
        size="small"
        loading={detail.isFetching}
        dataSource={detail.data?.items ?? []}
        data-testid="transfer-items-table"
        columns={[
          {
            title: t("wecomActions.customer"),
            dataIndex: "customerId",
            render: (c: string | null, i) =>
              c ? <Link to={`/customers/${encodeURIComponent(c)}`}>{c}</Link> : i.subjectId,
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: string) => <Tag color={statusColor[s]}>{t(`wecomActions.status.${s}`)}</Tag>,
          },
          { title: "errcode", dataIndex: "errcode", render: (v: number | null) => (v ? v : "") },
          { title: t("wecomActions.transfers.takeoverTime"), dataIndex: "takeoverTime", render: formatTime },
        ]}
      />
    </Drawer>
  );
}

/** 企业微信 › 客户继承: on-job transfers, resigned staff's waiting customers, group owners, and status. */
export function TransfersPage() {
  const { t } = useTranslation();
  const [open, setOpen] = useState<string | null>(null);
  const list = useCursorPage<Transfer>("wecom-transfers", "/api/wecom/transfers", {});
  const onCreated = (r: TransferDetail) => setOpen(r.id);
  return (
    <>
      <PageHeader title={t("wecomActions.transfers.title")} subtitle={t("wecomActions.transfers.subtitle")} />
      <Card style={{ marginBottom: 16 }}>
        <Tabs
          items={[
            {
              key: "onjob",
              label: t("wecomActions.transfers.onJob"),
              children: <OnJobForm onCreated={onCreated} />,
            },
            {
              key: "resigned",
              label: t("wecomActions.transfers.resigned"),
              children: <ResignedPanel onCreated={onCreated} />,
            },
            {
              key: "groups",
              label: t("wecomActions.transfers.groups"),
              children: <GroupForm onCreated={onCreated} />,
            },
          ]}
        />
      </Card>
      <Card title={t("wecomActions.transfers.history")}>
        <CursorTable<Transfer>
          list={list}
          rowKey="id"
          data-testid="transfers-table"
          scroll={{ x: 900 }}
          onRow={(r) => ({ onClick: () => setOpen(r.id), style: { cursor: "pointer" } })}
          columns={[
            {
              title: t("wecomActions.transfers.kind"),
              dataIndex: "kind",
              render: (k: string) => t(`wecomActions.transfers.kinds.${k}`),
            },
            {
              title: t("wecomActions.transfers.handover"),
              dataIndex: "handoverUserid",
              render: (v: string | null) => v ?? "—",
            },
            { title: t("wecomActions.transfers.takeover"), dataIndex: "takeoverUserid" },
            {
              title: t("common.status"),
              dataIndex: "status",
              render: (s: string) => <Tag color={statusColor[s]}>{t(`wecomActions.status.${s}`)}</Tag>,
            },
            {
              title: t("wecomActions.transfers.result"),
              key: "counts",
              render: (_: unknown, r) => (
                <Space size={4} wrap>
                  {Object.entries(r.counts).map(([k, n]) => (
                    <Tag key={k} color={statusColor[k]}>
                      {t(`wecomActions.status.${k}`)} {n}
                    </Tag>
                  ))}
                </Space>
              ),
            },
            { title: t("common.createdAt"), dataIndex: "createdAt", width: 180, render: formatTime },
          ]}
        />
      </Card>
      <TransferDrawer id={open} onClose={() => setOpen(null)} />
    </>
  );
}

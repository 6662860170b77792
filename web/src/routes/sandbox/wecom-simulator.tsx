import { ExperimentOutlined, LinkOutlined, LoadingOutlined, MobileOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Form,
  Input,
  Popconfirm,
  Radio,
  Result,
  Row,
  Select,
  Skeleton,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from "antd";
import { type ReactNode, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sidebarPath } from "../../modules/wecom/customer-wecom-card.tsx";
import {
  connectToSimulator,
  type SimContact,
  type SimCustomer,
  type SimDelivery,
  type SimFaultRule,
  type SimWelcome,
  simApi,
  useSandboxEnabled,
} from "../../modules/wecom/sandbox.api.ts";
import { getWecomContact, useWecomSettings, wecomSettingsKey } from "../../modules/wecom/wecom.api.ts";
import { errorText } from "../../ui/error-text.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

const simTime = (s: number) => new Date(s * 1000).toLocaleString();

/** Polls Siyu until the external contact exists there (its callback processed), for up to a minute. */
function CustomerAppears({ externalUserid, since }: { externalUserid: string; since: number }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [said, setSaid] = useState("");
  const contact = useQuery({
    queryKey: ["wecom", "contact", externalUserid],
    queryFn: async () => {
      try {
        return await getWecomContact(externalUserid);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    refetchInterval: (q) => (q.state.data || Date.now() - since > 60_000 ? false : 1000),
  });
  const appeared = Boolean(contact.data);
  // Once Siyu has it, the simulator's delivery log is refreshed so it no longer reads "pending".
  useEffect(() => {
    if (appeared) void queryClient.invalidateQueries({ queryKey: ["sim"] });
  }, [appeared, queryClient]);
  if (contact.data) {
    return (
      <Alert
        type="success"
        showIcon
        data-testid="sim-customer-appeared"
        title={t("sandbox.appeared")}
        description={
          <Flex gap={16} wrap>
            <Link
              to={`/customers/${encodeURIComponent(contact.data.customerId)}`}
              data-testid="sim-customer-link"
            >
              <LinkOutlined /> {contact.data.name || externalUserid} · {t("sandbox.openCustomer")}
            </Link>
            {/* What the staff member sees in the WeCom chat with this customer (the sandbox has no chat). */}
            <Link to={sidebarPath(externalUserid)} target="_blank" data-testid="sim-sidebar-link">
              <MobileOutlined /> {t("sandbox.openSidebar")}
            </Link>
            {/* The customer writes: the staff's sidebar opens on that chat with the message, as in WeCom. */}
            <Space.Compact style={{ minWidth: 280 }}>
              <Input
                size="small"
                maxLength={200}
                value={said}
                onChange={(e) => setSaid(e.target.value)}
                placeholder={t("sandbox.messagePlaceholder")}
                data-testid="sim-message"
              />
              <Button
                size="small"
                type="primary"
                disabled={!said.trim()}
                onClick={() => window.open(sidebarPath(externalUserid, said.trim()), "_blank")}
                data-testid="sim-message-send"
              >
                {t("sandbox.sendMessage")}
              </Button>
            </Space.Compact>
          </Flex>
        }
      />
    );
  }
  const gaveUp = Date.now() - since > 60_000;
  return (
    <Alert
      type={gaveUp ? "warning" : "info"}
      showIcon
      icon={gaveUp ? undefined : <LoadingOutlined />}
      title={t("sandbox.scanned")}
      description={`${externalUserid} · ${gaveUp ? t("sandbox.notYet") : t("sandbox.waiting")}`}
    />
  );
}

function ActAsCustomer({ corpId }: { corpId: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const state = useQuery({ queryKey: ["sim", corpId, "state"], queryFn: () => simApi.state(corpId) });
  const [form] = Form.useForm<{
    via: "staff" | "way";
    userid?: string;
    configId?: string;
    name: string;
    gender: 0 | 1 | 2;
    unionid?: string;
  }>();
  const via = Form.useWatch("via", form) ?? "staff";
  const [added, setAdded] = useState<{ externalUserid: string; at: number } | null>(null);
  const add = useMutation({
    mutationFn: async (v: {
      via: "staff" | "way";
      userid?: string;
      configId?: string;
      name: string;
      gender: 0 | 1 | 2;
      unionid?: string;
    }) => {
      const customer: SimCustomer = { name: v.name.trim(), gender: v.gender };
      if (v.unionid?.trim()) customer.unionid = v.unionid.trim();
      return v.via === "way" && v.configId
        ? simApi.scan(corpId, v.configId, customer)
        : simApi.addContact(corpId, v.userid ?? "", customer);
    },
    onSuccess: (r) => {
      setAdded({ externalUserid: r.external_userid, at: Date.now() });
      void queryClient.invalidateQueries({ queryKey: ["sim", corpId] });
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const members = (state.data?.members ?? []).filter((m) => m.status === 1 && m.customerContact);
  const ways = state.data?.contactWays ?? [];

  return (
    <Card title={t("sandbox.actAs")} data-testid="sim-act-card">
      {state.isError ? (
        <QueryError error={state.error} onRetry={() => void state.refetch()} />
      ) : (
        <Form
          form={form}
          layout="vertical"
          initialValues={{ via: "staff", gender: 0 }}
          onFinish={(v) => add.mutate(v)}
        >
          <Form.Item name="via" label={t("sandbox.target")}>
            <Radio.Group
              optionType="button"
              options={[
                { value: "staff", label: t("sandbox.byStaff") },
                { value: "way", label: t("sandbox.byWay") },
              ]}
            />
          </Form.Item>
          {via === "staff" ? (
            <Form.Item name="userid" label={t("sandbox.staff")} rules={[{ required: true }]}>
              <Select
                loading={state.isPending}
                data-testid="sim-staff"
                options={members.map((m) => ({ value: m.userid, label: `${m.name}（${m.userid}）` }))}
              />
            </Form.Item>
          ) : (
            <Form.Item
              name="configId"
              label={t("sandbox.way")}
              rules={[{ required: true }]}
              extra={ways.length ? undefined : t("sandbox.noWays")}
            >
              <Select
                options={ways.map((w) => ({
                  value: w.config_id,
                  label: `${w.remark || w.state || w.config_id} · ${w.user.join(", ")}`,
                }))}
              />
            </Form.Item>
          )}
          <Row gutter={12}>
            <Col span={14}>
              <Form.Item
                name="name"
                label={t("sandbox.nickname")}
                rules={[{ required: true, whitespace: true, message: t("sandbox.nicknameRequired") }]}
              >
                <Input maxLength={64} data-testid="sim-nickname" />
              </Form.Item>
            </Col>
            <Col span={10}>
              <Form.Item name="gender" label={t("sandbox.gender")}>
                <Select
                  options={([0, 1, 2] as const).map((g) => ({ value: g, label: t(`sandbox.genders.${g}`) }))}
                />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="unionid" label={t("sandbox.unionid")}>
            <Input maxLength={64} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={add.isPending} data-testid="sim-scan">
            {t("sandbox.scan")}
          </Button>
        </Form>
      )}
      {added ? (
        <div style={{ marginTop: 16 }}>
          <CustomerAppears
            key={added.externalUserid}
            externalUserid={added.externalUserid}
            since={added.at}
          />
        </div>
      ) : null}
      <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0, fontSize: 12 }}>
        {t("sandbox.messageMissing")}
      </Typography.Paragraph>
    </Card>
  );
}

type FaultKey = "rate" | "5xx" | "slow";
const faultRules: Record<FaultKey, Omit<SimFaultRule, "id" | "remaining">> = {
  rate: { api: "*", errcode: 45009 },
  "5xx": { api: "*", httpStatus: 503 },
  slow: { api: "*", delayMs: 3000 },
};
const faultOf = (r: SimFaultRule): FaultKey | null =>
  r.remaining !== null
    ? null
    : r.errcode === 45009
      ? "rate"
      : r.httpStatus
        ? "5xx"
        : r.delayMs
          ? "slow"
          : null;

function Faults({ corpId }: { corpId: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const faults = useQuery({ queryKey: ["sim", corpId, "faults"], queryFn: () => simApi.faults(corpId) });
  const on = new Set((faults.data?.rules ?? []).map(faultOf).filter((k): k is FaultKey => k !== null));
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["sim", corpId, "faults"] });
  const toggle = useMutation({
    // The simulator clears faults all at once: switching one off clears and re-arms the others.
    mutationFn: async ({ key, enable }: { key: FaultKey; enable: boolean }) => {
      if (enable) {
        await simApi.addFault(corpId, { ...faultRules[key], times: null });
        return;
      }
      await simApi.clearFaults(corpId);
      for (const other of on) {
        if (other !== key) await simApi.addFault(corpId, { ...faultRules[other], times: null });
      }
    },
    onSettled: () => void refresh(),
    onError: (error) => message.error(errorText(t, error)),
  });
  const expire = useMutation({
    mutationFn: () => simApi.expireTokens(corpId),
    onSuccess: (r) => message.success(t("sandbox.expired", { n: r.expired })),
    onError: (error) => message.error(errorText(t, error)),
  });
  const clear = useMutation({
    mutationFn: () => simApi.clearFaults(corpId),
    onSettled: () => void refresh(),
  });
  const labels: Record<FaultKey, string> = {
    rate: t("sandbox.fault45009"),
    "5xx": t("sandbox.fault5xx"),
    slow: t("sandbox.faultSlow"),
  };
  return (
    <Card title={t("sandbox.faults")} data-testid="sim-faults">
      <Typography.Paragraph type="secondary">{t("sandbox.faultsHint")}</Typography.Paragraph>
      <Space orientation="vertical" style={{ width: "100%" }}>
        {(Object.keys(faultRules) as FaultKey[]).map((key) => (
          <Flex key={key} justify="space-between" align="center">
            <span>{labels[key]}</span>
            <Switch
              checked={on.has(key)}
              loading={toggle.isPending || faults.isFetching}
              onChange={(enable) => toggle.mutate({ key, enable })}
              data-testid={`sim-fault-${key}`}
            />
          </Flex>
        ))}
        <Flex gap={8} wrap style={{ marginTop: 8 }}>
          <Button onClick={() => expire.mutate()} loading={expire.isPending}>
            {t("sandbox.expireTokens")}
          </Button>
          <Button onClick={() => clear.mutate()} loading={clear.isPending}>
            {t("sandbox.clearFaults")}
          </Button>
        </Flex>
      </Space>
    </Card>
  );
}

function SimContacts({ corpId }: { corpId: string }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const queryClient = useQueryClient();
  const contacts = useQuery({
    queryKey: ["sim", corpId, "contacts"],
    queryFn: () => simApi.contacts(corpId),
    refetchInterval: 3000,
  });
  const done = (text: string) => {
    message.success(text);
    void queryClient.invalidateQueries({ queryKey: ["sim", corpId] });
  };
  const leave = useMutation({
    mutationFn: (v: { userid: string; ext: string }) => simApi.customerDeletesMember(corpId, v.userid, v.ext),
    onSuccess: () => done(t("sandbox.left")),
    onError: (error) => message.error(errorText(t, error)),
  });
  const edit = useMutation({
    mutationFn: (v: { userid: string; ext: string; remark: string }) =>
      simApi.editContact(corpId, v.userid, v.ext, v.remark),
    onSuccess: () => done(t("sandbox.edited")),
    onError: (error) => message.error(errorText(t, error)),
  });
  const askRemark = (userid: string, ext: string, current: string) => {
    let value = current;
    modal.confirm({
      title: t("sandbox.remarkPrompt"),
      content: <Input defaultValue={current} maxLength={20} onChange={(e) => (value = e.target.value)} />,
      onOk: () => edit.mutateAsync({ userid, ext, remark: value }),
    });
  };
  const rows = (contacts.data?.contacts ?? []).flatMap((c: SimContact) =>
    c.follow_user.map((f) => ({ key: `${c.external_userid}:${f.userid}`, contact: c, follow: f })),
  );
  return (
    <Card title={t("sandbox.contacts")} extra={contacts.data ? <Tag>{contacts.data.total}</Tag> : null}>
      <Table
        rowKey="key"
        size="small"
        data-testid="sim-contacts"
        loading={contacts.isPending}
        dataSource={rows}
        pagination={rows.length > 10 ? { pageSize: 10 } : false}
        locale={{ emptyText: <Empty description={t("sandbox.noContacts")} /> }}
        columns={[
          {
            title: t("sandbox.nickname"),
            key: "name",
            render: (_: unknown, r) => (
              <div>
                <Typography.Text strong>{r.contact.name}</Typography.Text>
                <br />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {r.contact.external_userid}
                </Typography.Text>
              </div>
            ),
          },
          { title: t("sandbox.followStaff"), key: "staff", render: (_: unknown, r) => r.follow.userid },
          {
            title: t("wecom.customer.remark"),
            key: "remark",
            render: (_: unknown, r) => r.follow.remark || "—",
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_: unknown, r) => (
              <Space size={4}>
                <Button
                  size="small"
                  type="link"
                  onClick={() => askRemark(r.follow.userid, r.contact.external_userid, r.follow.remark)}
                >
                  {t("sandbox.remark")}
                </Button>
                <Link
                  to={sidebarPath(r.contact.external_userid)}
                  target="_blank"
                  data-testid="sim-contact-sidebar"
                >
                  {t("wecom.customer.openSidebar")}
                </Link>
                <Popconfirm
                  title={t("sandbox.leaveConfirm")}
                  onConfirm={() =>
                    leave.mutateAsync({ userid: r.follow.userid, ext: r.contact.external_userid })
                  }
                >
                  <Button size="small" type="link" danger data-testid="sim-leave">
                    {t("sandbox.leave")}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

const deliveryColor: Record<SimDelivery["state"], string> = {
  held: "default",
  pending: "processing",
  delivered: "success",
  failed: "error",
};

function Deliveries({ corpId }: { corpId: string }) {
  const { t } = useTranslation();
  const callbacks = useQuery({
    queryKey: ["sim", corpId, "callbacks"],
    queryFn: () => simApi.callbacks(corpId),
    refetchInterval: 2000,
  });
  const rows = [...(callbacks.data?.deliveries ?? [])].reverse();
  return (
    <Card title={t("sandbox.callbacks")} extra={callbacks.data ? <Tag>{callbacks.data.total}</Tag> : null}>
      <Table<SimDelivery>
        rowKey="id"
        size="small"
        data-testid="sim-callbacks"
        dataSource={rows}
        loading={callbacks.isPending}
        pagination={rows.length > 10 ? { pageSize: 10 } : false}
        locale={{ emptyText: <Empty description={t("sandbox.noCallbacks")} /> }}
        columns={[
          { title: "#", dataIndex: "id", width: 48 },
          {
            title: t("sandbox.event"),
            key: "event",
            render: (_: unknown, d) => (
              <div>
                <code>{d.changeType || d.event}</code>
                <br />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {d.event} · {new Date(d.createdAt).toLocaleTimeString()}
                </Typography.Text>
              </div>
            ),
          },
          {
            title: t("sandbox.deliveryState"),
            key: "state",
            width: 200,
            render: (_: unknown, d) => {
              const last = d.attempts[d.attempts.length - 1];
              return (
                <Flex gap={6} align="center" wrap>
                  <Tag color={deliveryColor[d.state]}>{t(`sandbox.deliveryStates.${d.state}`)}</Tag>
                  {last ? (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {`${d.attempts.map((a) => a.status ?? a.error ?? "—").join(" / ")} · ${Math.round(last.latencyMs)} ms`}
                    </Typography.Text>
                  ) : null}
                </Flex>
              );
            },
          },
        ]}
      />
    </Card>
  );
}

function Welcomes({ corpId }: { corpId: string }) {
  const { t } = useTranslation();
  const welcomes = useQuery({
    queryKey: ["sim", corpId, "welcomes"],
    queryFn: () => simApi.welcomes(corpId),
    refetchInterval: 3000,
  });
  const rows = [...(welcomes.data?.welcome_messages ?? [])].reverse();
  return (
    <Card title={t("sandbox.welcomes")}>
      <Table<SimWelcome>
        rowKey="welcome_code"
        size="small"
        dataSource={rows}
        pagination={rows.length > 10 ? { pageSize: 10 } : false}
        locale={{ emptyText: <Empty description={t("sandbox.noWelcomes")} /> }}
        columns={[
          { title: t("sandbox.followStaff"), dataIndex: "userid" },
          { title: t("wecom.customer.externalUserid"), dataIndex: "external_userid" },
          {
            title: t("sandbox.welcomeText"),
            key: "text",
            render: (_: unknown, w) => w.text?.content ?? "—",
          },
          { title: t("common.createdAt"), dataIndex: "sent_at", render: simTime },
        ]}
      />
    </Card>
  );
}

function Connect({ corpId }: { corpId: string | null }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const settings = useWecomSettings();
  const connect = useMutation({
    mutationFn: async () => {
      if (!settings.data) throw new Error("settings not loaded");
      return connectToSimulator(settings.data);
    },
    onSuccess: (corp) => {
      message.success(t("sandbox.connected", { corpId: corp.corpId }));
      void queryClient.invalidateQueries({ queryKey: wecomSettingsKey });
      void queryClient.invalidateQueries({ queryKey: ["sim"] });
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const button = (onClick?: () => void) => (
    <Button type="primary" loading={connect.isPending} onClick={onClick} data-testid="sim-connect">
      {corpId ? t("sandbox.reconnect") : t("sandbox.connect")}
    </Button>
  );
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      title={corpId ? t("sandbox.otherCorp", { corpId }) : t("sandbox.notConnected")}
      action={
        corpId ? (
          <Popconfirm title={t("sandbox.reconnectConfirm")} onConfirm={() => connect.mutateAsync()}>
            {button()}
          </Popconfirm>
        ) : (
          button(() => connect.mutate())
        )
      }
    />
  );
}

export function WecomSimulatorPage() {
  const { t } = useTranslation();
  const enabled = useSandboxEnabled();
  const settings = useWecomSettings();
  const corps = useQuery({ queryKey: ["sim", "corps"], queryFn: simApi.corps, enabled });
  const corpId = settings.data?.corpId ?? null;
  const wired = Boolean(corpId && corps.data?.corps.some((c) => c.corpId === corpId));

  let body: ReactNode;
  if (!enabled) {
    body = (
      <Card>
        <Result icon={<ExperimentOutlined />} title={t("sandbox.off")} />
      </Card>
    );
  } else if (settings.isError) {
    body = <QueryError error={settings.error} onRetry={() => void settings.refetch()} />;
  } else if (!settings.data || corps.isPending) {
    body = (
      <Card>
        <Skeleton active />
      </Card>
    );
  } else if (!wired || !corpId) {
    body = <Connect corpId={settings.data.configured ? corpId : null} />;
  } else {
    body = (
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={10}>
          <Space orientation="vertical" size={16} style={{ width: "100%" }}>
            <ActAsCustomer corpId={corpId} />
            <Faults corpId={corpId} />
          </Space>
        </Col>
        <Col xs={24} xl={14}>
          <Space orientation="vertical" size={16} style={{ width: "100%" }}>
            <SimContacts corpId={corpId} />
            <Deliveries corpId={corpId} />
            <Welcomes corpId={corpId} />
          </Space>
        </Col>
      </Row>
    );
  }
  return (
    <>
      <PageHeader
        title={t("sandbox.title")}
        subtitle={t("sandbox.subtitle")}
        extra={wired && corpId ? <Tag color="purple">{`${t("sandbox.corp")} ${corpId}`}</Tag> : null}
      />
      {body}
    </>
  );
}

import { ExperimentOutlined, SendOutlined, UserAddOutlined } from "@ant-design/icons";
import type { OaMenuButtonInput, OaSettingsDto } from "@siyu/contracts";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Dropdown,
  Empty,
  Input,
  Result,
  Row,
  Select,
  Space,
  Tag,
  Typography,
} from "antd";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { http, type Page } from "../../api/client.ts";
import { CustomerTimeline } from "../../modules/customers/customer-timeline.tsx";
import type { Customer } from "../../modules/customers/customers.api.ts";
import { useOaQrCodes } from "../../modules/oa-features/oa-features.api.ts";
import { menuOf, oaSimApi, type SimOaDelivery } from "../../modules/oa-features/oa-sandbox.api.ts";
import { simApi, useSandboxEnabled } from "../../modules/wecom/sandbox.api.ts";
import { useWecomSettings } from "../../modules/wecom/wecom.api.ts";
import { errorText } from "../../ui/error-text.ts";
import { PageHeader } from "../../ui/page-header.tsx";

interface Bubble {
  id?: number;
  from: "me" | "account" | "system";
  text: string;
  link?: string;
}

let nextBubble = 1;

const replyBubble = (d: SimOaDelivery | undefined): Bubble | null => {
  const r = d?.reply;
  if (!r) return null;
  if (r.MsgType === "text") return { from: "account", text: r.Content ?? "" };
  if (r.MsgType === "news")
    return {
      from: "account",
      text: `📰 ${r.ArticleTitle ?? ""}`,
      ...(r.ArticleUrl ? { link: r.ArticleUrl } : {}),
    };
  return { from: "account", text: `[${r.MsgType}]` };
};

/** The customer Siyu made of a follower (found by the openid identity), with its identities and source. */
function SiyuSees({ openid }: { openid: string }) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ["oa-follower", "customer", openid],
    queryFn: async () => {
      const page = await http.get<Page<Customer>>("/api/customers", { q: openid, limit: 5 });
      return page.items.find((c) => c.identities.some((i) => i.value === openid)) ?? null;
    },
    refetchInterval: 2000,
  });
  const c = q.data;
  if (!c)
    return (
      <Card title={t("oaf.sim.siyuSees")}>
        <Empty description={t("oaf.sim.notYet")} />
      </Card>
    );
  return (
    <Card
      title={t("oaf.sim.siyuSees")}
      data-testid="oa-follower-customer"
      extra={<Link to={`/customers/${c.id}`}>{t("oaf.sim.openProfile")}</Link>}
    >
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t("oaf.sim.name")}>{c.name}</Descriptions.Item>
        <Descriptions.Item label={t("oaf.sim.source")}>
          <span data-testid="oa-follower-source">{c.source ?? "—"}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("oaf.sim.identities")}>
          <Space wrap data-testid="oa-follower-identities">
            {c.identities.map((i) => (
              <Tag
                key={`${i.type}:${i.value}`}
                color={i.type.startsWith("wecom") ? "blue" : i.type === "unionid" ? "purple" : "green"}
              >
                {i.type}
              </Tag>
            ))}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t("oaf.sim.tags")}>
          <Space wrap>
            {c.tags.map((x) => (
              <Tag key={x.id}>{x.name}</Tag>
            ))}
          </Space>
        </Descriptions.Item>
      </Descriptions>
      <CustomerTimeline customerId={c.id} refetchMs={2000} />
    </Card>
  );
}

function MenuBar({
  buttons,
  onPress,
}: {
  buttons: OaMenuButtonInput[];
  onPress: (b: OaMenuButtonInput) => void;
}) {
  if (!buttons.length) return null;
  return (
    <div
      style={{ display: "flex", borderTop: "1px solid #e5e6eb", background: "#f7f7f7" }}
      data-testid="oa-follower-menu"
    >
      {buttons.map((b) =>
        b.sub_button?.length ? (
          <Dropdown
            key={b.name}
            menu={{
              items: b.sub_button.map((s) => ({ key: s.name, label: s.name, onClick: () => onPress(s) })),
            }}
          >
            <div
              style={{
                flex: 1,
                textAlign: "center",
                padding: 10,
                cursor: "pointer",
                borderRight: "1px solid #e5e6eb",
              }}
            >
              ≡ {b.name}
            </div>
          </Dropdown>
        ) : (
          <button
            type="button"
            key={b.name}
            onClick={() => onPress(b)}
            style={{
              flex: 1,
              textAlign: "center",
              padding: 10,
              cursor: "pointer",
              border: "none",
              borderRight: "1px solid #e5e6eb",
              background: "transparent",
              font: "inherit",
            }}
          >
            {b.name}
          </button>
        ),
      )}
    </div>
  );
}

function Follower({ appId }: { appId: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const codes = useOaQrCodes();
  const wecom = useWecomSettings();
  const corpId = wecom.data?.configured ? (wecom.data.corpId ?? null) : null;
  const contacts = useQuery({
    queryKey: ["oa-follower", "wecom-contacts", corpId],
    enabled: Boolean(corpId),
    queryFn: () => simApi.contacts(corpId as string),
  });
  const account = useQuery({
    queryKey: ["oa-follower", "account", appId],
    queryFn: () => oaSimApi.account(appId),
    refetchInterval: 5000,
  });
  const followers = useQuery({
    queryKey: ["oa-follower", "followers", appId],
    queryFn: () => oaSimApi.followers(appId),
    refetchInterval: 5000,
  });
  const sends = useQuery({
    queryKey: ["oa-follower", "sends", appId],
    queryFn: () => oaSimApi.templateSends(appId),
    refetchInterval: 3000,
  });
  const [openid, setOpenid] = useState<string | null>(null);
  const [scene, setScene] = useState<string | undefined>();
  const [unionid, setUnionid] = useState<string | undefined>();
  const [text, setText] = useState("");
  const [chat, setChat] = useState<Record<string, Bubble[]>>({});
  const [busy, setBusy] = useState(false);
  const me = followers.data?.items.find((f) => f.openid === openid);
  const say = (id: string, ...b: Array<Bubble | null>) =>
    setChat((c) => ({
      ...c,
      [id]: [
        ...(c[id] ?? []),
        ...b.filter((x): x is Bubble => x !== null).map((x) => ({ ...x, id: nextBubble++ })),
      ],
    }));
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
      void queryClient.invalidateQueries({ queryKey: ["oa-follower"] });
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };
  const following = new Set(
    (followers.data?.items ?? []).filter((f) => f.subscribe === 1).map((f) => f.unionid),
  );
  const people = (contacts.data?.contacts ?? []).filter((c): c is typeof c & { unionid: string } =>
    Boolean((c as { unionid?: string }).unionid),
  );
  const myTemplates = (sends.data?.items ?? []).filter((s) => s.touser === openid);
  const menu = useMemo(() => menuOf(account.data, me), [account.data, me]);

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={10}>
        <Space orientation="vertical" size={16} style={{ width: "100%" }}>
          <Card title={t("oaf.sim.follow")}>
            <Space orientation="vertical" style={{ width: "100%" }}>
              <Select
                allowClear
                placeholder={t("oaf.sim.pickCode")}
                value={scene}
                onChange={setScene}
                data-testid="oa-follower-scene"
                options={(codes.data?.items ?? []).map((c) => ({
                  value: c.scene,
                  label: `${c.name} (${c.scene})`,
                }))}
                style={{ width: "100%" }}
              />
              <Select
                allowClear
                placeholder={t("oaf.sim.asWecomContact")}
                value={unionid}
                onChange={setUnionid}
                data-testid="oa-follower-person"
                options={people.map((c) => ({
                  value: c.unionid,
                  label: `${c.name}${following.has(c.unionid) ? ` · ${t("oaf.sim.alreadyFollowing")}` : ""}`,
                }))}
                style={{ width: "100%" }}
              />
              <Button
                type="primary"
                icon={<UserAddOutlined />}
                loading={busy}
                data-testid="oa-follower-follow"
                onClick={() =>
                  run(async () => {
                    const r = await oaSimApi.follow(appId, {
                      ...(scene ? { scene } : {}),
                      ...(unionid ? { unionid } : {}),
                      ...(openid && me?.subscribe === 1 && scene ? { openid } : {}),
                    });
                    setOpenid(r.openid);
                    say(
                      r.openid,
                      {
                        from: "system",
                        text:
                          r.event === "SCAN"
                            ? t("oaf.sim.scanned", { scene })
                            : t("oaf.sim.followed", { scene: scene ?? "—" }),
                      },
                      replyBubble(r.delivery),
                    );
                  })
                }
              >
                {t("oaf.sim.followButton")}
              </Button>
            </Space>
          </Card>
          <Card
            title={t("oaf.sim.phone")}
            extra={
              <Select
                style={{ width: 220 }}
                placeholder={t("oaf.sim.pickFollower")}
                value={openid}
                onChange={setOpenid}
                showSearch
                options={[...(followers.data?.items ?? [])]
                  .reverse()
                  .slice(0, 200)
                  .map((f) => ({
                    value: f.openid,
                    label: `${f.openid.slice(0, 14)}…${f.subscribe ? "" : " ✕"}`,
                  }))}
              />
            }
          >
            {!openid ? (
              <Empty description={t("oaf.sim.noFollower")} />
            ) : (
              <div
                style={{ border: "1px solid #e5e6eb", borderRadius: 12, overflow: "hidden", maxWidth: 380 }}
              >
                <div style={{ background: "#ededed", padding: "8px 12px", fontWeight: 600 }}>
                  {account.data?.name ?? "公众号"}
                  {me?.subscribe === 0 ? (
                    <Tag style={{ marginLeft: 8 }}>{t("oaf.sim.unfollowed")}</Tag>
                  ) : null}
                </div>
                <div
                  style={{
                    minHeight: 220,
                    maxHeight: 360,
                    overflowY: "auto",
                    padding: 12,
                    background: "#f5f5f5",
                  }}
                  data-testid="oa-follower-chat"
                >
                  {(chat[openid] ?? []).map((b) => (
                    <div
                      key={b.id}
                      style={{
                        textAlign: b.from === "me" ? "right" : b.from === "system" ? "center" : "left",
                        margin: "6px 0",
                      }}
                    >
                      <span
                        data-testid={b.from === "account" ? "oa-follower-reply" : undefined}
                        style={{
                          display: "inline-block",
                          padding: b.from === "system" ? "2px 8px" : "8px 12px",
                          borderRadius: 8,
                          background:
                            b.from === "me" ? "#95ec69" : b.from === "system" ? "transparent" : "#fff",
                          color: b.from === "system" ? "#999" : undefined,
                          fontSize: b.from === "system" ? 12 : 14,
                          maxWidth: 280,
                        }}
                      >
                        {b.link ? (
                          <a href={b.link} target="_blank" rel="noreferrer">
                            {b.text}
                          </a>
                        ) : (
                          b.text
                        )}
                      </span>
                    </div>
                  ))}
                  {myTemplates.map((s) => (
                    <Card
                      key={s.msgid}
                      size="small"
                      style={{ margin: "8px 0" }}
                      data-testid="oa-follower-template"
                    >
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {t("oaf.sim.templateMessage")} · {s.template_id} · {s.status}
                      </Typography.Text>
                      {Object.entries(s.data).map(([k, v]) => (
                        <div key={k} style={{ fontSize: 13 }}>
                          {k}: {v.value}
                        </div>
                      ))}
                      {s.url ? (
                        <a href={s.url} target="_blank" rel="noreferrer" style={{ fontSize: 12 }}>
                          {t("oaf.sim.details")}
                        </a>
                      ) : null}
                    </Card>
                  ))}
                </div>
                <Space.Compact style={{ width: "100%" }}>
                  <Input
                    value={text}
                    onChange={(e) => setText(e.target.value)}
                    placeholder={t("oaf.sim.typeMessage")}
                    data-testid="oa-follower-input"
                    disabled={me?.subscribe === 0}
                    onPressEnter={() => document.getElementById("oa-follower-send")?.click()}
                  />
                  <Button
                    id="oa-follower-send"
                    icon={<SendOutlined />}
                    data-testid="oa-follower-send"
                    disabled={!text.trim() || me?.subscribe === 0}
                    loading={busy}
                    onClick={() =>
                      run(async () => {
                        const content = text.trim();
                        setText("");
                        say(openid, { from: "me", text: content });
                        const r = await oaSimApi.message(appId, openid, content);
                        say(openid, replyBubble(r.delivery));
                      })
                    }
                  />
                </Space.Compact>
                {me?.subscribe === 1 ? (
                  <MenuBar
                    buttons={menu}
                    onPress={(b) =>
                      run(async () => {
                        if (b.type === "click" && b.key) {
                          say(openid, { from: "system", text: t("oaf.sim.clicked", { name: b.name }) });
                          const r = await oaSimApi.click(appId, openid, b.key);
                          say(openid, replyBubble(r.delivery));
                        } else if (b.url) {
                          say(openid, { from: "system", text: t("oaf.sim.viewed", { url: b.url }) });
                          await oaSimApi.view(appId, openid, b.url);
                        }
                      })
                    }
                  />
                ) : null}
              </div>
            )}
            {openid && me?.subscribe === 1 ? (
              <Button
                danger
                style={{ marginTop: 12 }}
                data-testid="oa-follower-unfollow"
                onClick={() =>
                  run(async () => {
                    await oaSimApi.unfollow(appId, openid);
                    say(openid, { from: "system", text: t("oaf.sim.unfollowed") });
                  })
                }
              >
                {t("oaf.sim.unfollow")}
              </Button>
            ) : null}
          </Card>
        </Space>
      </Col>
      <Col xs={24} xl={14}>
        {openid ? <SiyuSees openid={openid} /> : <Alert type="info" showIcon message={t("oaf.sim.hint")} />}
      </Col>
    </Row>
  );
}

/** The sandbox follower: act as a WeChat user of the simulated Official Account (SIYU_SANDBOX=1). */
export function OaFollowerPage() {
  const { t } = useTranslation();
  const enabled = useSandboxEnabled();
  const settings = useQuery({
    queryKey: ["oa-follower", "settings"],
    queryFn: () => http.get<OaSettingsDto>("/api/settings/official-account"),
  });
  const appId = settings.data?.configured ? settings.data.appId : null;
  return (
    <>
      <PageHeader
        title={t("oaf.sim.title")}
        subtitle={t("oaf.sim.subtitle")}
        extra={appId ? <Tag color="green">{appId}</Tag> : null}
      />
      {!enabled ? (
        <Card>
          <Result icon={<ExperimentOutlined />} title={t("oaf.sim.off")} />
        </Card>
      ) : appId ? (
        <Follower appId={appId} />
      ) : (
        <Card>
          <Result title={t("oaf.sim.notConfigured")} />
        </Card>
      )}
    </>
  );
}

import { useQuery } from "@tanstack/react-query";
import { Avatar, Card, Descriptions, Flex, Result, Skeleton, Tabs, Tag, Typography } from "antd";
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useLocation, useSearchParams } from "react-router";
import { ApiError, http, type Page } from "../api/client.ts";
import { getToken } from "../api/session.ts";
import { hasPermission, useMe } from "../modules/auth/auth.api.ts";
import { CustomerTagsEditor } from "../modules/customers/customer-tags-editor.tsx";
import { CustomerTimeline } from "../modules/customers/customer-timeline.tsx";
import { type Customer, getCustomer } from "../modules/customers/customers.api.ts";
import { useOwnerName } from "../modules/customers/owner-names.ts";
import { SidebarFollowUps } from "../modules/oa-features/sidebar-follow-ups.tsx";
import { chatBridge } from "../modules/sidebar/chat-bridge.ts";
import { SidebarReplies } from "../modules/sidebar/sidebar-replies.tsx";
import { useCustomerWecom } from "../modules/wecom/wecom.api.ts";
import { QueryError } from "../ui/query-error.tsx";

/**
 * The customer a sidebar opens on: `customerId`, or the WeCom `externalUserId` found through the
 * customer search (whose `q` matches any identity value), preferring the exact WeCom identity. The
 * customer itself is the console's `["customers", "one", id]` query, so tag edits show at once.
 */
function useSidebarCustomer(customerId: string | null, externalUserId: string | null) {
  const resolved = useQuery({
    queryKey: ["customers", "sidebar-resolve", externalUserId],
    enabled: !customerId && Boolean(externalUserId),
    queryFn: async (): Promise<string | null> => {
      const page = await http.get<Page<Customer>>("/api/customers", { q: externalUserId, limit: 5 });
      const exact = page.items.find((c) =>
        c.identities.some((i) => i.type === "wecom_external_userid" && i.value === externalUserId),
      );
      return (exact ?? page.items[0])?.id ?? null;
    },
  });
  const id = customerId ?? resolved.data ?? null;
  const one = useQuery({
    queryKey: ["customers", "one", id],
    enabled: Boolean(id),
    queryFn: () => getCustomer(id as string),
  });
  if (!customerId && resolved.isError)
    return { state: "error" as const, error: resolved.error, retry: resolved.refetch };
  if (!customerId && resolved.data === null) return { state: "missing" as const };
  if (one.isError)
    return one.error instanceof ApiError && one.error.status === 404
      ? { state: "missing" as const }
      : { state: "error" as const, error: one.error, retry: one.refetch };
  if (one.data) return { state: "ready" as const, customer: one.data };
  return { state: "loading" as const };
}

function Frame({ children }: { children: ReactNode }) {
  return (
    <div style={{ minHeight: "100vh", background: "#f2f3f5" }}>
      <div style={{ maxWidth: 480, margin: "0 auto", padding: 12 }} data-testid="sidebar">
        {children}
      </div>
    </div>
  );
}

function Profile({ customer, editable }: { customer: Customer; editable: boolean }) {
  const { t } = useTranslation();
  const ownerName = useOwnerName();
  const me = useMe();
  const wecom = useCustomerWecom(customer.id);
  const loginOwners = customer.ownerUserIds.map((id) =>
    id === me.data?.user.id ? me.data.user.name : ownerName(id),
  );
  // Without a Siyu login among them, the WeCom members still following the customer are its owners.
  const owners = loginOwners.length
    ? loginOwners
    : [
        ...new Set(
          (wecom.data?.contacts ?? []).flatMap((c) =>
            c.follows.filter((f) => !f.endedAt).map((f) => f.staffName || f.userid),
          ),
        ),
      ];
  return (
    <Card size="small" data-testid="sidebar-profile" styles={{ body: { padding: 12 } }}>
      <Flex gap={12} align="center">
        <Avatar size={44} style={{ background: "#07c160", flex: "none" }}>
          {customer.name.slice(0, 1) || "?"}
        </Avatar>
        <div style={{ minWidth: 0 }}>
          <Typography.Title level={5} style={{ margin: 0 }} ellipsis data-testid="sidebar-name">
            {customer.name || customer.id}
          </Typography.Title>
          {customer.lifecycleStage ? (
            <Tag color="blue" style={{ marginTop: 2 }}>
              {t(`customers.stages.${customer.lifecycleStage}`, { defaultValue: customer.lifecycleStage })}
            </Tag>
          ) : null}
        </div>
      </Flex>
      <Descriptions
        size="small"
        column={1}
        style={{ marginTop: 10 }}
        styles={{ label: { width: 72, color: "#8c8c8c" } }}
        items={[
          {
            key: "phone",
            label: t("sidebar.phone"),
            children: <span data-testid="sidebar-phone">{customer.phone ?? t("sidebar.none")}</span>,
          },
          {
            key: "owner",
            label: t("sidebar.owner"),
            children: (
              <span data-testid="sidebar-owner">{owners.length ? owners.join("、") : t("sidebar.none")}</span>
            ),
          },
          { key: "source", label: t("sidebar.source"), children: customer.source ?? t("sidebar.none") },
        ]}
      />
      <Typography.Text type="secondary" style={{ display: "block", margin: "4px 0 6px", fontSize: 12 }}>
        {t("sidebar.tags")}
      </Typography.Text>
      <CustomerTagsEditor customer={customer} editable={editable} />
    </Card>
  );
}

/**
 * The WeCom chat sidebar (SPEC §2): a phone-width page on the customer of the open chat — profile, tags,
 * quick replies with suggestions, activity. Opened with `?externalUserId=wm…` or `?customerId=cus_…`
 * (and optionally `&text=` the customer's last message); in the WeCom client the chat tells the customer.
 */
export function SidebarPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const [params] = useSearchParams();
  const bridge = useMemo(() => chatBridge(), []);
  const [hostExternalId, setHostExternalId] = useState<string | null>(null);
  const customerId = params.get("customerId");
  const externalUserId = params.get("externalUserId") ?? hostExternalId;
  const signedIn = Boolean(getToken());
  useEffect(() => {
    if (!signedIn || customerId || params.get("externalUserId")) return;
    void bridge.currentExternalUserId().then(setHostExternalId);
  }, [bridge, customerId, params, signedIn]);
  const me = useMe();
  const customer = useSidebarCustomer(signedIn ? customerId : null, signedIn ? externalUserId : null);
  const [tab, setTab] = useState("replies");

  const name = customer.state === "ready" ? customer.customer.name : "";
  useEffect(() => {
    if (name) document.title = `${name} · ${t("sidebar.title")}`;
  }, [name, t]);

  if (!signedIn) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (!customerId && !externalUserId) {
    return (
      <Frame>
        <Result status="info" title={t("sidebar.title")} subTitle={t("sidebar.noCustomer")} />
      </Frame>
    );
  }
  if (customer.state === "loading" || me.isPending) {
    return (
      <Frame>
        <Skeleton active avatar paragraph={{ rows: 6 }} />
      </Frame>
    );
  }
  if (customer.state === "missing") {
    return (
      <Frame>
        <Result
          status="404"
          title={t("sidebar.title")}
          subTitle={t("sidebar.notFound", { id: customerId ?? externalUserId })}
          data-testid="sidebar-not-found"
        />
      </Frame>
    );
  }
  if (customer.state === "error") {
    return (
      <Frame>
        <QueryError error={customer.error} onRetry={() => void customer.retry()} />
      </Frame>
    );
  }
  const c = customer.customer;
  const canUseReplies = hasPermission(me.data, "quickreplies.use");
  return (
    <Frame>
      <Flex vertical gap={12}>
        <Profile customer={c} editable={hasPermission(me.data, "customers.write")} />
        <SidebarFollowUps customerId={c.id} />
        <Card size="small" styles={{ body: { paddingTop: 0 } }}>
          <Tabs
            activeKey={canUseReplies ? tab : "timeline"}
            onChange={setTab}
            items={[
              ...(canUseReplies
                ? [
                    {
                      key: "replies",
                      label: t("sidebar.replies"),
                      children: (
                        <SidebarReplies
                          customerId={c.id}
                          bridge={bridge}
                          initialText={params.get("text") ?? ""}
                        />
                      ),
                    },
                  ]
                : []),
              {
                key: "timeline",
                label: t("sidebar.timeline"),
                children: <CustomerTimeline customerId={c.id} />,
              },
            ]}
            data-testid="sidebar-tabs"
          />
        </Card>
      </Flex>
    </Frame>
  );
}

import {
  ApiOutlined,
  BranchesOutlined,
  EditOutlined,
  IdcardOutlined,
  InfoCircleOutlined,
  MessageOutlined,
  MinusCircleOutlined,
  PlusCircleOutlined,
  ShoppingOutlined,
  UserAddOutlined,
  WechatOutlined,
  WifiOutlined,
} from "@ant-design/icons";
import { useInfiniteQuery } from "@tanstack/react-query";
import { Button, Empty, Flex, Select, Tag, Timeline, Typography } from "antd";
import type { ReactNode } from "react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { http, type Page } from "../../api/client.ts";
import { formatTime } from "../../ui/format.ts";
import { QueryError } from "../../ui/query-error.tsx";
import type { TimelineEntry } from "./customers.api.ts";
import { useIdentityLabel } from "./identity-type.tsx";

const timelineTypes = [
  "customer.created",
  "customer.updated",
  "customer.tag_added",
  "customer.tag_removed",
  "customer.merged",
  "customer.identity_added",
  "oa.subscribed",
  "oa.unsubscribed",
  "oa.message_received",
] as const;

function icon(type: string): { node: ReactNode; color: string } {
  if (type === "customer.created") return { node: <UserAddOutlined />, color: "green" };
  if (type === "customer.updated") return { node: <EditOutlined />, color: "blue" };
  if (type === "customer.tag_added") return { node: <PlusCircleOutlined />, color: "green" };
  if (type === "customer.tag_removed") return { node: <MinusCircleOutlined />, color: "red" };
  if (type === "customer.merged") return { node: <BranchesOutlined />, color: "purple" };
  if (type === "customer.identity_added") return { node: <IdcardOutlined />, color: "cyan" };
  if (type.startsWith("order.")) return { node: <ShoppingOutlined />, color: "orange" };
  if (type.startsWith("wecom.")) return { node: <WechatOutlined />, color: "green" };
  if (type === "oa.unsubscribed") return { node: <WifiOutlined />, color: "red" };
  if (type.startsWith("oa.")) return { node: <WifiOutlined />, color: "cyan" };
  if (type === "quick_reply.sent") return { node: <MessageOutlined />, color: "green" };
  if (type.startsWith("webhook.")) return { node: <ApiOutlined />, color: "gray" };
  return { node: <InfoCircleOutlined />, color: "gray" };
}

const causeColors: Record<string, string> = {
  manual: "blue",
  rule: "purple",
  import: "cyan",
  merge: "orange",
};

function str(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function EntryBody({ entry }: { entry: TimelineEntry }) {
  const { t } = useTranslation();
  const identityLabel = useIdentityLabel();
  const d = entry.data;
  const title = t(`customers.timelineTypes.${entry.type}`, { defaultValue: entry.type });
  let detail: ReactNode = null;
  if (entry.type === "customer.tag_added" || entry.type === "customer.tag_removed") {
    const cause = str(d.cause);
    detail = (
      <>
        <Tag>{str(d.tag)}</Tag>
        {cause ? (
          <Tag color={causeColors[cause] ?? "default"} data-testid="timeline-cause">
            {t(`customers.causes.${cause}`, { defaultValue: cause })}
          </Tag>
        ) : null}
      </>
    );
  } else if (entry.type === "customer.identity_added") {
    // The value and where it is unique (a corp, an appid, a shop); contact details carry no value
    // here — the profile's identity list shows them, masked where the caller may not see them.
    const value = str(d.value);
    const where = str(d.scope);
    detail = (
      <Typography.Text data-testid="timeline-identity">
        {identityLabel(str(d.type))}
        {value ? (
          <>
            {" · "}
            <Typography.Text copyable={{ text: value }} style={{ wordBreak: "break-all" }}>
              {value}
            </Typography.Text>
          </>
        ) : null}
        {where ? <Typography.Text type="secondary"> ({where})</Typography.Text> : null}
      </Typography.Text>
    );
  } else if (entry.type === "customer.merged") {
    detail = (
      <Typography.Text type="secondary">
        {t("customers.mergedFrom", { name: str(d.sourceName ?? d.sourceId) })}
      </Typography.Text>
    );
  } else if (entry.type === "customer.updated" && d.changes && typeof d.changes === "object") {
    detail = (
      <Typography.Text type="secondary">{Object.keys(d.changes as object).join(", ")}</Typography.Text>
    );
  } else if (entry.type === "contact.opted_out" || entry.type === "contact.opted_in") {
    detail = (
      <>
        <Tag color={entry.type === "contact.opted_out" ? "red" : "green"}>
          {t(`contactPolicy.channels.${str(d.channel)}`, { defaultValue: str(d.channel) })}
        </Tag>
        <Typography.Text type="secondary">
          {t(`contactPolicy.sources.${str(d.source)}`, { defaultValue: str(d.source) })}
          {d.note ? ` · ${str(d.note)}` : ""}
        </Typography.Text>
      </>
    );
  } else if (entry.type === "quick_reply.sent") {
    detail = (
      <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0 }}>
        <Typography.Text>{str(d.title)}</Typography.Text> · {str(d.content)}
      </Typography.Paragraph>
    );
  } else if (entry.type === "channel.oa_qr_followed" || entry.type === "channel.oa_qr_scanned") {
    // Channel attribution of an Official Account QR code: the code and its scene.
    detail = (
      <>
        <Tag color="green" data-testid="timeline-channel">
          {str(d.qrCode)}
        </Tag>
        <Typography.Text type="secondary">{str(d.scene)}</Typography.Text>
      </>
    );
  } else if (
    entry.type === "content.clicked" ||
    entry.type === "engagement.article_sent" ||
    entry.type === "engagement.follow_up_created"
  ) {
    detail = (
      <Typography.Text type="secondary">
        {str(d.title)}
        {d.ownerUserid ? ` · ${str(d.ownerUserid)}` : ""}
      </Typography.Text>
    );
  } else if (entry.type === "oa.template_sent") {
    detail = (
      <Typography.Text type="secondary">
        {str(d.templateId)} · {str(d.status)}
        {d.errcode ? ` (${str(d.errcode)})` : ""}
      </Typography.Text>
    );
  } else if (entry.type.startsWith("oa.")) {
    // Official Account facts: what the follower did, in a few words (scene, key, link, text, result).
    const bits = [d.scene, d.key, d.url, d.content, d.status].map(str).filter(Boolean);
    detail = bits.length ? (
      <Flex gap={4} wrap data-testid="timeline-oa">
        {bits.map((b) => (
          <Tag
            key={b}
            bordered={false}
            style={{ maxWidth: 420, overflow: "hidden", textOverflow: "ellipsis" }}
          >
            {b}
          </Tag>
        ))}
      </Flex>
    ) : null;
  } else if (Object.keys(d).length > 0 && entry.type !== "customer.created") {
    detail = (
      <Typography.Text type="secondary" ellipsis style={{ display: "block", maxWidth: "min(560px, 100%)" }}>
        {JSON.stringify(d)}
      </Typography.Text>
    );
  }
  return (
    <div data-testid="timeline-entry">
      <Flex gap={8} align="baseline" wrap>
        <Typography.Text strong>{title}</Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {formatTime(entry.at)}
        </Typography.Text>
      </Flex>
      {detail ? <div style={{ marginTop: 4 }}>{detail}</div> : null}
    </div>
  );
}

/**
 * Every event on the person, newest first, filterable by type, with "load more". `refetchMs`: poll,
 * for views that watch events arrive (the simulator's "what Siyu sees").
 */
export function CustomerTimeline({ customerId, refetchMs }: { customerId: string; refetchMs?: number }) {
  const { t } = useTranslation();
  const [type, setType] = useState<string | undefined>();
  const query = useInfiniteQuery({
    queryKey: ["customers", "timeline", customerId, type],
    queryFn: ({ pageParam }) =>
      http.get<Page<TimelineEntry>>(`/api/customers/${encodeURIComponent(customerId)}/timeline`, {
        type,
        cursor: pageParam,
        limit: 20,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    ...(refetchMs ? { refetchInterval: refetchMs } : {}),
  });
  const entries = query.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div data-testid="customer-timeline">
      <Select
        allowClear
        value={type}
        onChange={setType}
        placeholder={t("customers.timelineFilter")}
        style={{ width: 220, marginBottom: 16 }}
        options={timelineTypes.map((value) => ({ value, label: t(`customers.timelineTypes.${value}`) }))}
      />
      {query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : query.isPending ? (
        <Typography.Text type="secondary">{t("common.loading")}</Typography.Text>
      ) : entries.length === 0 ? (
        <Empty description={t("customers.timelineEmpty")} />
      ) : (
        <>
          <Timeline
            items={entries.map((entry) => {
              const i = icon(entry.type);
              return { key: entry.id, color: i.color, icon: i.node, content: <EntryBody entry={entry} /> };
            })}
          />
          {query.hasNextPage ? (
            <Button
              block
              onClick={() => void query.fetchNextPage()}
              loading={query.isFetchingNextPage}
              data-testid="timeline-more"
            >
              {t("customers.loadMore")}
            </Button>
          ) : null}
        </>
      )}
    </div>
  );
}

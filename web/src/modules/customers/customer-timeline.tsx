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
    detail = (
      <Typography.Text>
        {identityLabel(str(d.type))} · {str(d.value)}
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
  } else if (entry.type === "quick_reply.sent") {
    detail = (
      <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0 }}>
        <Typography.Text>{str(d.title)}</Typography.Text> · {str(d.content)}
      </Typography.Paragraph>
    );
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

/** Every event on the person, newest first, filterable by type, with "load more". */
export function CustomerTimeline({ customerId }: { customerId: string }) {
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

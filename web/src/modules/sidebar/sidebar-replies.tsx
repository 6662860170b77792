import {
  AppstoreOutlined,
  BulbOutlined,
  CopyOutlined,
  LinkOutlined,
  PictureOutlined,
  SendOutlined,
} from "@ant-design/icons";
import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Empty, Flex, Input, Tag, Typography } from "antd";
import { type ReactNode, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { QueryError } from "../../ui/query-error.tsx";
import {
  listQuickReplies,
  markQuickReplyUsed,
  type QuickReplyAttachment,
  type QuickReplyDto,
  type QuickReplySuggestion,
  useQuickReplyGroups,
  useQuickReplySuggestions,
} from "../quick-replies/quick-replies.api.ts";
import type { ChatBridge } from "./chat-bridge.ts";

const attachmentIcon: Record<QuickReplyAttachment["type"], ReactNode> = {
  image: <PictureOutlined />,
  link: <LinkOutlined />,
  miniprogram: <AppstoreOutlined />,
};

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

function ReplyCard({
  reply,
  bridge,
  onSend,
  sending,
  matched,
  testId,
}: {
  reply: QuickReplyDto;
  bridge: ChatBridge;
  onSend: (reply: QuickReplyDto) => void;
  sending: boolean;
  matched?: string[];
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <Card
      size="small"
      hoverable
      onClick={() => onSend(reply)}
      data-testid={testId}
      data-reply-id={reply.id}
      styles={{ body: { padding: "10px 12px" } }}
    >
      <Flex justify="space-between" align="start" gap={8}>
        <div style={{ minWidth: 0, flex: 1 }}>
          <Flex gap={6} align="center" wrap>
            <Typography.Text strong>{reply.title}</Typography.Text>
            {reply.attachments.map((a, i) => (
              // Attachments never reorder within a card; the index keeps two links apart.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              <Typography.Text key={i} type="secondary">
                {attachmentIcon[a.type]}
              </Typography.Text>
            ))}
          </Flex>
          <Typography.Paragraph
            type="secondary"
            ellipsis={{ rows: 3 }}
            style={{ margin: "4px 0 0", fontSize: 13, whiteSpace: "pre-wrap" }}
          >
            {reply.content}
          </Typography.Paragraph>
          {matched?.length ? (
            <Typography.Text type="success" style={{ fontSize: 12 }}>
              {t("sidebar.matched", { words: matched.join("、") })}
            </Typography.Text>
          ) : null}
        </div>
        <Button
          size="small"
          type="primary"
          ghost
          loading={sending}
          icon={bridge.kind === "wecom" ? <SendOutlined /> : <CopyOutlined />}
          onClick={(e) => {
            e.stopPropagation();
            onSend(reply);
          }}
          data-testid="reply-send"
        >
          {bridge.kind === "wecom" ? t("sidebar.send") : t("sidebar.copy")}
        </Button>
      </Flex>
    </Card>
  );
}

/**
 * The sidebar's 话术 tab: suggestions from what the customer wrote (or the most used replies), then the
 * library with search and group chips. A tap hands the reply to the chat bridge and counts the use on
 * the customer's timeline.
 */
export function SidebarReplies({
  customerId,
  bridge,
  initialText,
}: {
  customerId: string;
  bridge: ChatBridge;
  initialText: string;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [said, setSaid] = useState(initialText);
  const [search, setSearch] = useState("");
  const [groupId, setGroupId] = useState<string | undefined>();
  const [sendingId, setSendingId] = useState<string | null>(null);
  const saidDebounced = useDebounced(said.trim(), 300);
  const q = useDebounced(search.trim(), 300);
  const suggestions = useQuickReplySuggestions(saidDebounced, 3);
  const groups = useQuickReplyGroups();
  const filters = { q: q || undefined, groupId };
  const list = useInfiniteQuery({
    queryKey: ["quick-replies", "sidebar", filters],
    queryFn: ({ pageParam }) => listQuickReplies(filters, { limit: 20, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const replies = list.data?.pages.flatMap((p) => p.items) ?? [];

  const send = async (reply: QuickReplyDto) => {
    setSendingId(reply.id);
    try {
      const outcome = await bridge.send({ content: reply.content, attachments: reply.attachments });
      message.success(outcome === "sent" ? t("sidebar.sent") : t("sidebar.copied"));
      // Counting is bookkeeping: a failure here must not undo what the staff member already has.
      await markQuickReplyUsed(reply.id, customerId).catch(() => undefined);
      void queryClient.invalidateQueries({ queryKey: ["customers", "timeline", customerId] });
      void queryClient.invalidateQueries({ queryKey: ["quick-replies", "suggest"] });
    } catch {
      message.error(t("sidebar.copyFailed"));
    } finally {
      setSendingId(null);
    }
  };

  const suggested: QuickReplySuggestion[] = suggestions.data?.items ?? [];
  return (
    <Flex vertical gap={12} data-testid="sidebar-replies">
      <div>
        <Input.TextArea
          value={said}
          onChange={(e) => setSaid(e.target.value)}
          autoSize={{ minRows: 1, maxRows: 3 }}
          placeholder={t("sidebar.customerSaid")}
          allowClear
          data-testid="sidebar-said"
        />
        <Typography.Text type="secondary" style={{ display: "block", margin: "8px 0 6px", fontSize: 12 }}>
          <BulbOutlined /> {saidDebounced ? t("sidebar.suggestions") : t("sidebar.frequent")}
        </Typography.Text>
        <Flex vertical gap={8} data-testid="sidebar-suggestions">
          {suggested.length === 0 && !suggestions.isPending ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t("sidebar.noReplies")}
            </Typography.Text>
          ) : null}
          {suggested.map((s) => (
            <ReplyCard
              key={s.id}
              reply={s}
              matched={s.matched}
              bridge={bridge}
              onSend={send}
              sending={sendingId === s.id}
              testId="suggested-reply"
            />
          ))}
        </Flex>
      </div>
      <div>
        <Input.Search
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          placeholder={t("sidebar.search")}
          allowClear
          data-testid="sidebar-reply-search"
        />
        <div style={{ overflowX: "auto", whiteSpace: "nowrap", margin: "8px 0", paddingBottom: 2 }}>
          <Tag.CheckableTag checked={groupId === undefined} onChange={() => setGroupId(undefined)}>
            {t("sidebar.all")}
          </Tag.CheckableTag>
          {(groups.data?.items ?? []).map((g) => (
            <Tag.CheckableTag key={g.id} checked={groupId === g.id} onChange={() => setGroupId(g.id)}>
              {g.name}
            </Tag.CheckableTag>
          ))}
        </div>
        {list.isError ? (
          <QueryError error={list.error} onRetry={() => void list.refetch()} />
        ) : list.isPending ? (
          <Typography.Text type="secondary">{t("common.loading")}</Typography.Text>
        ) : replies.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("sidebar.noReplies")} />
        ) : (
          <Flex vertical gap={8} data-testid="sidebar-reply-list">
            {replies.map((r) => (
              <ReplyCard
                key={r.id}
                reply={r}
                bridge={bridge}
                onSend={send}
                sending={sendingId === r.id}
                testId="sidebar-reply"
              />
            ))}
            {list.hasNextPage ? (
              <Button block onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
                {t("sidebar.more")}
              </Button>
            ) : null}
          </Flex>
        )}
      </div>
    </Flex>
  );
}

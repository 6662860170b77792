import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Card, Flex, Form, Input, InputNumber, Select, Switch } from "antd";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import {
  createQuickReply,
  type QuickReplyAttachment,
  type QuickReplyDto,
  type QuickReplyGroupDto,
  updateQuickReply,
} from "./quick-replies.api.ts";

type AttachmentType = QuickReplyAttachment["type"];

interface AttachmentValues {
  type: AttachmentType;
  url?: string;
  title?: string;
  appId?: string;
  page?: string;
}

interface ReplyValues {
  title: string;
  content: string;
  groupId?: string | null;
  keywords?: string[];
  sortOrder?: number;
  personal?: boolean;
  attachments?: AttachmentValues[];
}

const opt = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);

/** The form's loose rows into the API's strict shapes (empty optional fields left out). */
function toAttachment(a: AttachmentValues): QuickReplyAttachment {
  if (a.type === "image") {
    const name = opt(a.title);
    return { type: "image", url: a.url?.trim() ?? "", ...(name ? { name } : {}) };
  }
  if (a.type === "link") return { type: "link", title: a.title?.trim() ?? "", url: a.url?.trim() ?? "" };
  return {
    type: "miniprogram",
    title: a.title?.trim() ?? "",
    appId: a.appId?.trim() ?? "",
    page: a.page?.trim() ?? "",
  };
}

function fromAttachment(a: QuickReplyAttachment): AttachmentValues {
  if (a.type === "image") return { type: "image", url: a.url, title: a.name };
  if (a.type === "link") return { type: "link", url: a.url, title: a.title };
  return { type: "miniprogram", title: a.title, appId: a.appId, page: a.page };
}

/**
 * Create or edit one reply (give it a `key` per reply, so each opening starts from its values). Staff without `quickreplies.manage` can only write personal replies, so the
 * switch is fixed on for them.
 */
export function ReplyFormModal({
  open,
  reply,
  groups,
  defaultGroupId,
  canManage,
  onClose,
}: {
  open: boolean;
  reply: QuickReplyDto | null;
  groups: QuickReplyGroupDto[];
  defaultGroupId?: string;
  canManage: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const initial: Partial<ReplyValues> = reply
    ? {
        title: reply.title,
        content: reply.content,
        groupId: reply.groupId,
        keywords: reply.keywords,
        sortOrder: reply.sortOrder,
        attachments: reply.attachments.map(fromAttachment),
      }
    : { groupId: defaultGroupId ?? null, keywords: [], sortOrder: 0, personal: !canManage, attachments: [] };

  return (
    <FormModal<ReplyValues>
      open={open}
      title={reply ? t("quickReplies.edit") : t("quickReplies.create")}
      onClose={onClose}
      width={640}
      initialValues={initial}
      successText={t("quickReplies.created")}
      invalidate={[["quick-replies"]]}
      formTestId="reply-form"
      okButtonProps={{ "data-testid": "reply-form-submit" }}
      mutationFn={(v) => {
        const input = {
          title: v.title,
          content: v.content,
          groupId: v.groupId ?? null,
          keywords: v.keywords ?? [],
          sortOrder: v.sortOrder ?? 0,
          attachments: (v.attachments ?? []).map(toAttachment),
        };
        return reply
          ? updateQuickReply(reply.id, input)
          : createQuickReply({ ...input, personal: v.personal });
      }}
    >
      <Form.Item
        name="title"
        label={t("quickReplies.titleLabel")}
        rules={[{ required: true, whitespace: true, message: t("quickReplies.titleRequired") }]}
      >
        <Input maxLength={100} data-testid="reply-form-title" />
      </Form.Item>
      <Form.Item
        name="content"
        label={t("quickReplies.content")}
        rules={[{ required: true, whitespace: true, message: t("quickReplies.contentRequired") }]}
      >
        <Input.TextArea rows={4} maxLength={4000} showCount data-testid="reply-form-content" />
      </Form.Item>
      <Flex gap={16}>
        <Form.Item name="groupId" label={t("quickReplies.group")} style={{ flex: 1 }}>
          <Select
            allowClear
            placeholder={t("quickReplies.ungrouped")}
            options={groups.map((g) => ({ value: g.id, label: g.name }))}
            data-testid="reply-form-group"
          />
        </Form.Item>
        <Form.Item name="sortOrder" label={t("quickReplies.sortOrder")}>
          <InputNumber precision={0} min={-1_000_000} max={1_000_000} style={{ width: 120 }} />
        </Form.Item>
        {reply ? null : (
          <Form.Item name="personal" label={t("quickReplies.personal")} valuePropName="checked">
            <Switch disabled={!canManage} data-testid="reply-form-personal" />
          </Form.Item>
        )}
      </Flex>
      <Form.Item name="keywords" label={t("quickReplies.keywords")} extra={t("quickReplies.keywordsHint")}>
        <Select
          mode="tags"
          tokenSeparators={[",", "，", " "]}
          open={false}
          data-testid="reply-form-keywords"
        />
      </Form.Item>
      <Form.Item label={t("quickReplies.attachments")}>
        <Form.List name="attachments">
          {(fields, { add, remove }) => (
            <Flex vertical gap={8}>
              {fields.map((field) => (
                <Card size="small" key={field.key}>
                  <Flex gap={8} align="start">
                    <Form.Item name={[field.name, "type"]} noStyle>
                      <Select
                        style={{ width: 110 }}
                        options={(["image", "link", "miniprogram"] as const).map((type) => ({
                          value: type,
                          label: t(`quickReplies.attachmentType.${type}`),
                        }))}
                      />
                    </Form.Item>
                    <Form.Item noStyle shouldUpdate>
                      {({ getFieldValue }) => {
                        const type = getFieldValue(["attachments", field.name, "type"]) as AttachmentType;
                        return (
                          <Flex vertical gap={8} style={{ flex: 1 }}>
                            {type !== "miniprogram" ? (
                              <Form.Item
                                name={[field.name, "url"]}
                                noStyle
                                rules={[{ required: true, pattern: /^https?:\/\/\S+$/i }]}
                              >
                                <Input placeholder={t("quickReplies.attachmentUrl")} />
                              </Form.Item>
                            ) : null}
                            <Form.Item
                              name={[field.name, "title"]}
                              noStyle
                              rules={[{ required: type !== "image" }]}
                            >
                              <Input placeholder={t("quickReplies.attachmentTitle")} />
                            </Form.Item>
                            {type === "miniprogram" ? (
                              <Flex gap={8}>
                                <Form.Item
                                  name={[field.name, "appId"]}
                                  noStyle
                                  rules={[{ required: true, pattern: /^wx[0-9a-zA-Z]{8,30}$/ }]}
                                >
                                  <Input placeholder={t("quickReplies.attachmentAppId")} />
                                </Form.Item>
                                <Form.Item name={[field.name, "page"]} noStyle rules={[{ required: true }]}>
                                  <Input placeholder={t("quickReplies.attachmentPage")} />
                                </Form.Item>
                              </Flex>
                            ) : null}
                          </Flex>
                        );
                      }}
                    </Form.Item>
                    <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(field.name)} />
                  </Flex>
                </Card>
              ))}
              {fields.length < 9 ? (
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: "link" })}>
                  {t("quickReplies.attachmentAdd")}
                </Button>
              ) : null}
            </Flex>
          )}
        </Form.List>
      </Form.Item>
    </FormModal>
  );
}

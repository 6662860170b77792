import {
  AppstoreOutlined,
  DeleteOutlined,
  EditOutlined,
  LinkOutlined,
  MobileOutlined,
  PictureOutlined,
  PlusOutlined,
} from "@ant-design/icons";
import {
  Button,
  Card,
  Col,
  Flex,
  Form,
  Input,
  Menu,
  Popconfirm,
  Row,
  Segmented,
  Space,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { type ReactNode, useState } from "react";
import { useTranslation } from "react-i18next";
import { useCursorQuery } from "../../api/use-cursor-page.ts";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import {
  createQuickReplyGroup,
  deleteQuickReply,
  deleteQuickReplyGroup,
  listQuickReplies,
  type QuickReplyAttachment,
  type QuickReplyDto,
  type QuickReplyFilters,
  type QuickReplyGroupDto,
  renameQuickReplyGroup,
  useQuickReplyGroups,
} from "../../modules/quick-replies/quick-replies.api.ts";
import { ReplyFormModal } from "../../modules/quick-replies/reply-form-modal.tsx";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { FormModal } from "../../ui/form-modal.tsx";
import { PageHeader } from "../../ui/page-header.tsx";

const attachmentIcon: Record<QuickReplyAttachment["type"], ReactNode> = {
  image: <PictureOutlined />,
  link: <LinkOutlined />,
  miniprogram: <AppstoreOutlined />,
};

function GroupModal({ group, onClose }: { group: QuickReplyGroupDto | "new" | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <FormModal<{ name: string }>
      open={group !== null}
      title={group === "new" ? t("quickReplies.groupCreate") : t("quickReplies.groupRename")}
      onClose={onClose}
      initialValues={{ name: group && group !== "new" ? group.name : "" }}
      successText={t("quickReplies.groupSaved")}
      invalidate={[["quick-replies"]]}
      okButtonProps={{ "data-testid": "group-form-submit" }}
      mutationFn={(v) =>
        group && group !== "new"
          ? renameQuickReplyGroup(group.id, v.name.trim())
          : createQuickReplyGroup(v.name.trim())
      }
    >
      <Form.Item
        name="name"
        label={t("quickReplies.groupName")}
        rules={[{ required: true, whitespace: true, message: t("quickReplies.groupNameRequired") }]}
      >
        <Input maxLength={50} data-testid="group-form-name" />
      </Form.Item>
    </FormModal>
  );
}

/** 话术库 management: groups on the left, the replies of the chosen group on the right. */
export function QuickRepliesPage() {
  const { t } = useTranslation();
  const me = useMe();
  const canManage = hasPermission(me.data, "quickreplies.manage");
  const groups = useQuickReplyGroups();
  const [groupId, setGroupId] = useState<string>("all");
  const [q, setQ] = useState("");
  const [scope, setScope] = useState<NonNullable<QuickReplyFilters["scope"]>>("all");
  const [editing, setEditing] = useState<QuickReplyDto | "new" | null>(null);
  const [groupEditing, setGroupEditing] = useState<QuickReplyGroupDto | "new" | null>(null);
  const filters: QuickReplyFilters = {
    q: q || undefined,
    groupId: groupId === "all" ? undefined : groupId,
    scope: scope === "all" ? undefined : scope,
  };
  const list = useCursorQuery<QuickReplyDto>({
    key: ["quick-replies", "list"],
    filters,
    fetchPage: (page) => listQuickReplies(filters, page),
  });
  const removeReply = useActionMutation({
    mutationFn: (id: string) => deleteQuickReply(id),
    successText: t("quickReplies.deleted"),
    invalidate: [["quick-replies"]],
  });
  const removeGroup = useActionMutation({
    mutationFn: (id: string) => deleteQuickReplyGroup(id),
    successText: t("quickReplies.groupDeleted"),
    invalidate: [["quick-replies"]],
    onSuccess: () => setGroupId("all"),
  });
  const groupItems = groups.data?.items ?? [];
  const mayEdit = (r: QuickReplyDto) => r.personal || canManage;

  return (
    <>
      <PageHeader
        title={t("quickReplies.title")}
        subtitle={t("quickReplies.subtitle")}
        extra={
          <>
            <Button icon={<MobileOutlined />} href="/sidebar" target="_blank" data-testid="open-sidebar">
              {t("sidebar.title")}
            </Button>
            <CreateButton onClick={() => setEditing("new")} testId="reply-create">
              {t("quickReplies.create")}
            </CreateButton>
          </>
        }
      />
      <Row gutter={16}>
        <Col xs={24} md={7} lg={6}>
          <Card
            size="small"
            title={t("quickReplies.groups")}
            extra={
              canManage ? (
                <Button
                  size="small"
                  type="text"
                  icon={<PlusOutlined />}
                  onClick={() => setGroupEditing("new")}
                  data-testid="group-create"
                />
              ) : null
            }
            styles={{ body: { padding: 4 } }}
          >
            <Menu
              data-testid="reply-groups"
              selectedKeys={[groupId]}
              onClick={({ key }) => setGroupId(key)}
              style={{ borderInlineEnd: "none" }}
              items={[
                { key: "all", label: t("quickReplies.allGroups") },
                ...groupItems.map((g) => ({
                  key: g.id,
                  label: (
                    <Flex justify="space-between" align="center" gap={4}>
                      <Typography.Text ellipsis>{g.name}</Typography.Text>
                      <Typography.Text type="secondary">{g.replies}</Typography.Text>
                    </Flex>
                  ),
                })),
                { key: "none", label: t("quickReplies.ungrouped") },
              ]}
            />
            {canManage && groupId !== "all" && groupId !== "none" ? (
              <Flex gap={4} style={{ padding: 8 }}>
                <Button
                  size="small"
                  icon={<EditOutlined />}
                  onClick={() => setGroupEditing(groupItems.find((g) => g.id === groupId) ?? null)}
                >
                  {t("common.edit")}
                </Button>
                <Popconfirm
                  title={t("quickReplies.groupDeleteConfirm", {
                    name: groupItems.find((g) => g.id === groupId)?.name ?? "",
                  })}
                  onConfirm={() => removeGroup.mutate(groupId)}
                >
                  <Button size="small" danger icon={<DeleteOutlined />}>
                    {t("common.delete")}
                  </Button>
                </Popconfirm>
              </Flex>
            ) : null}
          </Card>
        </Col>
        <Col xs={24} md={17} lg={18}>
          <Card size="small">
            <Flex gap={12} wrap style={{ marginBottom: 12 }}>
              <Input.Search
                allowClear
                placeholder={t("quickReplies.searchPlaceholder")}
                onSearch={(value) => setQ(value.trim())}
                style={{ maxWidth: 320 }}
                data-testid="replies-search"
              />
              <Segmented
                value={scope}
                onChange={(v) => setScope(v as typeof scope)}
                options={(["all", "tenant", "personal"] as const).map((value) => ({
                  value,
                  label: t(`quickReplies.scope.${value}`),
                }))}
              />
            </Flex>
            <CursorTable<QuickReplyDto>
              list={list}
              rowKey="id"
              // Fixed layout: the content column takes what the sized columns leave.
              tableLayout="fixed"
              data-testid="replies-table"
              locale={{ emptyText: t("quickReplies.empty") }}
              columns={[
                {
                  // Title and content share the wide column: the text is what an editor scans for.
                  title: `${t("quickReplies.titleLabel")} / ${t("quickReplies.content")}`,
                  dataIndex: "title",
                  render: (_, r) => (
                    <>
                      <Space size={4} wrap>
                        <Typography.Text strong>{r.title}</Typography.Text>
                        {r.personal ? <Tag color="gold">{t("quickReplies.personalTag")}</Tag> : null}
                        {[...new Set(r.attachments.map((a) => a.type))].map((type) => (
                          <Tooltip key={type} title={t(`quickReplies.attachmentType.${type}`)}>
                            {attachmentIcon[type]}
                          </Tooltip>
                        ))}
                      </Space>
                      <Typography.Paragraph
                        type="secondary"
                        ellipsis={{ rows: 2 }}
                        style={{ margin: "4px 0 0" }}
                      >
                        {r.content}
                      </Typography.Paragraph>
                    </>
                  ),
                },
                {
                  title: t("quickReplies.group"),
                  dataIndex: "group",
                  width: 100,
                  render: (v: string | null) => v ?? "—",
                },
                {
                  title: t("quickReplies.keywords"),
                  dataIndex: "keywords",
                  width: 180,
                  render: (v: string[]) => (
                    <Flex wrap gap={4}>
                      {v.map((k) => (
                        <Tag key={k} style={{ marginInlineEnd: 0 }}>
                          {k}
                        </Tag>
                      ))}
                    </Flex>
                  ),
                },
                { title: t("quickReplies.useCount"), dataIndex: "useCount", width: 90, align: "right" },
                {
                  title: t("common.actions"),
                  key: "actions",
                  width: 110,
                  render: (_, r) =>
                    mayEdit(r) ? (
                      <Space size={0}>
                        <Button type="link" size="small" onClick={() => setEditing(r)}>
                          {t("common.edit")}
                        </Button>
                        <Popconfirm
                          title={t("quickReplies.deleteConfirm", { title: r.title })}
                          onConfirm={() => removeReply.mutate(r.id)}
                        >
                          <Button type="link" size="small" danger>
                            {t("common.delete")}
                          </Button>
                        </Popconfirm>
                      </Space>
                    ) : null,
                },
              ]}
            />
          </Card>
        </Col>
      </Row>
      <ReplyFormModal
        key={editing === null ? "closed" : editing === "new" ? "new" : editing.id}
        open={editing !== null}
        reply={editing === "new" ? null : editing}
        groups={groupItems}
        defaultGroupId={groupId !== "all" && groupId !== "none" ? groupId : undefined}
        canManage={canManage}
        onClose={() => setEditing(null)}
      />
      <GroupModal
        key={groupEditing === null ? "closed" : groupEditing === "new" ? "new" : groupEditing.id}
        group={groupEditing}
        onClose={() => setGroupEditing(null)}
      />
    </>
  );
}

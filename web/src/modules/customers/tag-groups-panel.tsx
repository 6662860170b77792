import { DeleteOutlined, EditOutlined, PlusOutlined, TeamOutlined } from "@ant-design/icons";
import {
  Badge,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Form,
  Input,
  Modal,
  Popconfirm,
  Row,
  Select,
  Skeleton,
  Space,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { FormModal } from "../../ui/form-modal.tsx";
import { QueryError } from "../../ui/query-error.tsx";
import {
  createTag,
  createTagGroup,
  deleteTag,
  deleteTagGroup,
  type Tag as TagDto,
  type TagGroup,
  tagColors,
  updateTag,
  updateTagGroup,
  useTagGroups,
  useTags,
} from "./customers.api.ts";

function ColorPicker({ value, onChange }: { value?: string; onChange?: (v: string) => void }) {
  return (
    <Flex wrap gap={6}>
      {tagColors.map((c) => (
        <Tag.CheckableTag
          key={c}
          checked={value === c}
          onChange={() => onChange?.(c)}
          style={{
            padding: 0,
            border: value === c ? "2px solid #333" : "2px solid transparent",
            borderRadius: 6,
          }}
        >
          <Tag color={c} style={{ margin: 0 }}>
            {c}
          </Tag>
        </Tag.CheckableTag>
      ))}
    </Flex>
  );
}

interface TagValues {
  name: string;
  color: string;
  groupId?: string | null;
}

function TagModal({
  tag,
  groupId,
  groups,
  onClose,
}: {
  tag: TagDto | null;
  groupId?: string | null;
  groups: TagGroup[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<TagValues>();
  const invalidate = [["tags"], ["customers"]];
  const save = useActionMutation({
    mutationFn: (v: TagValues) => {
      const input = { name: v.name.trim(), color: v.color, groupId: v.groupId ?? null };
      return tag ? updateTag(tag.id, input) : createTag(input);
    },
    successText: t("common.saved"),
    invalidate,
    onSuccess: onClose,
  });
  const remove = useActionMutation({ mutationFn: () => deleteTag(tag!.id), invalidate, onSuccess: onClose });
  return (
    <Modal
      open
      title={tag ? t("customers.tagAdmin.editTag") : t("customers.tagAdmin.createTag")}
      onCancel={onClose}
      destroyOnHidden
      footer={
        <Flex justify="space-between">
          <span>
            {tag ? (
              <Popconfirm
                title={t("customers.tagAdmin.deleteTagConfirm", { count: tag.customers })}
                onConfirm={() => remove.mutate()}
              >
                <Button danger icon={<DeleteOutlined />} loading={remove.isPending}>
                  {t("common.delete")}
                </Button>
              </Popconfirm>
            ) : null}
          </span>
          <Space>
            <Button onClick={onClose}>{t("common.cancel")}</Button>
            <Button
              type="primary"
              loading={save.isPending}
              onClick={() => form.submit()}
              data-testid="tag-save"
            >
              {t("common.save")}
            </Button>
          </Space>
        </Flex>
      }
    >
      <Form<TagValues>
        form={form}
        layout="vertical"
        initialValues={
          tag
            ? { name: tag.name, color: tag.color, groupId: tag.groupId }
            : { name: "", color: "green", groupId }
        }
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item
          name="name"
          label={t("customers.tagAdmin.tagName")}
          rules={[{ required: true, whitespace: true }]}
        >
          <Input data-testid="tag-name" />
        </Form.Item>
        <Form.Item name="color" label={t("customers.tagAdmin.color")}>
          <ColorPicker />
        </Form.Item>
        <Form.Item name="groupId" label={t("customers.tagAdmin.group")}>
          <Select
            allowClear
            placeholder={t("customers.tagAdmin.ungrouped")}
            options={groups.map((g) => ({ value: g.id, label: g.name }))}
          />
        </Form.Item>
        {tag ? (
          <Link to={`/customers?tag=${encodeURIComponent(tag.name)}`}>
            <TeamOutlined /> {t("customers.tagAdmin.viewCustomers", { count: tag.customers })}
          </Link>
        ) : null}
      </Form>
    </Modal>
  );
}

function GroupModal({ group, onClose }: { group: TagGroup | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <FormModal<{ name: string }>
      open
      title={group ? t("customers.tagAdmin.renameGroup") : t("customers.tagAdmin.createGroup")}
      onClose={onClose}
      mutationFn={(v) => (group ? updateTagGroup(group.id, v.name.trim()) : createTagGroup(v.name.trim()))}
      successText={t("common.saved")}
      invalidate={[["tag-groups"], ["tags"]]}
      initialValues={{ name: group?.name ?? "" }}
    >
      <Form.Item
        name="name"
        label={t("customers.tagAdmin.groupName")}
        rules={[{ required: true, whitespace: true }]}
      >
        <Input />
      </Form.Item>
    </FormModal>
  );
}

/** Tag groups with their tags (colour, customer count); create, rename, recolour and delete both. */
export function TagGroupsPanel() {
  const { t } = useTranslation();
  const tags = useTags();
  const groups = useTagGroups();
  const [tagModal, setTagModal] = useState<{ tag: TagDto | null; groupId?: string | null } | null>(null);
  const [groupModal, setGroupModal] = useState<TagGroup | null | "new">(null);
  const removeGroup = useActionMutation({
    mutationFn: deleteTagGroup,
    invalidate: [["tag-groups"], ["tags"]],
  });

  if (tags.isError) return <QueryError error={tags.error} onRetry={() => void tags.refetch()} />;
  if (tags.isPending) return <Skeleton active />;
  const groupList = groups.data?.items ?? [];
  const allTags = tags.data.items;
  const sections: { group: TagGroup | null; tags: TagDto[] }[] = [
    ...groupList.map((g) => ({ group: g, tags: allTags.filter((tag) => tag.groupId === g.id) })),
    {
      group: null,
      tags: allTags.filter((tag) => !tag.groupId || !groupList.some((g) => g.id === tag.groupId)),
    },
  ];

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <CreateButton onClick={() => setTagModal({ tag: null })} testId="tag-create">
          {t("customers.tagAdmin.createTag")}
        </CreateButton>
        <Button icon={<PlusOutlined />} onClick={() => setGroupModal("new")} data-testid="tag-group-create">
          {t("customers.tagAdmin.createGroup")}
        </Button>
      </Space>
      {allTags.length === 0 && groupList.length === 0 ? (
        <Empty description={t("customers.tagAdmin.empty")} />
      ) : (
        <Row gutter={[16, 16]} data-testid="tag-groups">
          {sections
            .filter((s) => s.group || s.tags.length > 0)
            .map(({ group, tags: list }) => (
              <Col xs={24} lg={12} xxl={8} key={group?.id ?? "ungrouped"}>
                <Card
                  size="small"
                  title={
                    <Space>
                      {group?.name ?? (
                        <Typography.Text type="secondary">
                          {t("customers.tagAdmin.ungrouped")}
                        </Typography.Text>
                      )}
                      <Badge count={list.length} color="#bfbfbf" showZero />
                    </Space>
                  }
                  extra={
                    group ? (
                      <Space size={0}>
                        <Button
                          type="text"
                          size="small"
                          icon={<PlusOutlined />}
                          onClick={() => setTagModal({ tag: null, groupId: group.id })}
                          aria-label={t("customers.tagAdmin.createTag")}
                        />
                        <Button
                          type="text"
                          size="small"
                          icon={<EditOutlined />}
                          onClick={() => setGroupModal(group)}
                          aria-label={t("customers.tagAdmin.renameGroup")}
                        />
                        <Popconfirm
                          title={t("customers.tagAdmin.deleteGroupConfirm")}
                          onConfirm={() => removeGroup.mutate(group.id)}
                        >
                          <Button
                            type="text"
                            size="small"
                            danger
                            icon={<DeleteOutlined />}
                            aria-label={t("common.delete")}
                          />
                        </Popconfirm>
                      </Space>
                    ) : null
                  }
                  style={{ height: "100%" }}
                >
                  {list.length === 0 ? (
                    <Typography.Text type="secondary">{t("customers.tagAdmin.groupEmpty")}</Typography.Text>
                  ) : (
                    <Flex wrap gap={8}>
                      {list.map((tag) => (
                        <Tag
                          key={tag.id}
                          color={tag.color || undefined}
                          style={{ cursor: "pointer", marginInlineEnd: 0, padding: "2px 8px" }}
                          onClick={() => setTagModal({ tag })}
                          data-testid="tag-chip"
                        >
                          {tag.name}
                          <span style={{ marginInlineStart: 6, opacity: 0.7 }}>{tag.customers}</span>
                        </Tag>
                      ))}
                    </Flex>
                  )}
                </Card>
              </Col>
            ))}
        </Row>
      )}
      {tagModal ? (
        <TagModal
          tag={tagModal.tag}
          groupId={tagModal.groupId}
          groups={groupList}
          onClose={() => setTagModal(null)}
        />
      ) : null}
      {groupModal !== null ? (
        <GroupModal group={groupModal === "new" ? null : groupModal} onClose={() => setGroupModal(null)} />
      ) : null}
    </>
  );
}

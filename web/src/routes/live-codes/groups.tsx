import { DeleteOutlined, DownloadOutlined, EditOutlined } from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  Card,
  Drawer,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Progress,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import {
  createGroupCode,
  deleteGroupCode,
  fetchBlob,
  type GroupCode,
  groupCodesKey,
  groupQrPath,
  saveBlob,
  updateGroupCode,
  useChannelAlerts,
  useGroupCodeStats,
  useGroupCodes,
  useWecomGroupOptions,
} from "../../modules/live-codes/live-codes.api.ts";
import { WecomNotConfigured } from "../../modules/wecom/wecom-guard.tsx";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

interface GroupCodeFormValues {
  name: string;
  fullMessage?: string;
  chats: Array<{ chatId?: string; capacity?: number | null; qrImageUrl?: string }>;
}

/** 新建 / 编辑群活码: the groups in rotation order, each with its capacity and QR image. */
function GroupCodeForm({ open, code, onClose }: { open: boolean; code?: GroupCode; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<GroupCodeFormValues>();
  const groups = useWecomGroupOptions();
  const options = (groups.data?.items ?? [])
    .filter((g) => !g.dismissed)
    .map((g) => ({
      value: g.chatId,
      label: `${g.name || g.chatId}（${t("groupCodes.members", { n: g.memberCount })}）`,
    }));
  const save = useActionMutation<GroupCodeFormValues, GroupCode>({
    mutationFn: (v) => {
      const body = {
        name: v.name.trim(),
        fullMessage: v.fullMessage?.trim() || null,
        chats: v.chats.map((c) => ({
          chatId: c.chatId ?? "",
          capacity: c.capacity ?? 200,
          qrImageUrl: c.qrImageUrl?.trim() || null,
        })),
      };
      return code ? updateGroupCode(code.id, body) : createGroupCode(body);
    },
    successText: code ? t("common.saved") : t("groupCodes.created"),
    invalidate: [groupCodesKey],
    onSuccess: () => onClose(),
  });
  return (
    <Drawer
      open={open}
      onClose={onClose}
      size={720}
      destroyOnHidden
      title={code ? t("groupCodes.edit") : t("groupCodes.create")}
      extra={
        <Space>
          <Button onClick={onClose}>{t("common.cancel")}</Button>
          <Button
            type="primary"
            loading={save.isPending}
            onClick={() => form.submit()}
            data-testid="group-code-save"
          >
            {t("common.save")}
          </Button>
        </Space>
      }
    >
      <Form<GroupCodeFormValues>
        form={form}
        layout="vertical"
        data-testid="group-code-form"
        initialValues={
          code
            ? {
                name: code.name,
                fullMessage: code.fullMessage ?? undefined,
                chats: code.chats.map((c) => ({
                  chatId: c.chatId,
                  capacity: c.capacity,
                  qrImageUrl: c.qrImageUrl ?? undefined,
                })),
              }
            : { chats: [{ capacity: 200 }] }
        }
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item name="name" label={t("groupCodes.name")} rules={[{ required: true, whitespace: true }]}>
          <Input
            maxLength={100}
            placeholder={t("groupCodes.namePlaceholder")}
            data-testid="group-code-name"
          />
        </Form.Item>
        <Typography.Text strong>{t("groupCodes.chats")}</Typography.Text>
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t("groupCodes.chatsHint")}
        </Typography.Paragraph>
        <Form.List
          name="chats"
          rules={[
            {
              validator: async (_r, chats: GroupCodeFormValues["chats"] | undefined) => {
                if (!chats?.length) throw new Error(t("groupCodes.needChat"));
                const ids = chats.map((c) => c?.chatId).filter(Boolean);
                if (new Set(ids).size !== ids.length) throw new Error(t("groupCodes.duplicateChat"));
              },
            },
          ]}
        >
          {(fields, { add, remove }, { errors }) => (
            <Flex vertical gap={8}>
              {fields.map((field, i) => (
                <Card size="small" key={field.key} data-testid="group-code-chat">
                  <Flex gap={8} align="start" wrap>
                    <Tag style={{ marginTop: 4 }}>{i + 1}</Tag>
                    <Form.Item
                      name={[field.name, "chatId"]}
                      rules={[{ required: true, message: t("groupCodes.pickChat") }]}
                      style={{ flex: "1 1 240px", marginBottom: 0 }}
                    >
                      <Select
                        showSearch
                        optionFilterProp="label"
                        loading={groups.isPending}
                        options={options}
                        placeholder={t("groupCodes.pickChat")}
                        data-testid="group-code-chat-select"
                      />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "capacity"]}
                      style={{ marginBottom: 0 }}
                      rules={[{ required: true, message: t("groupCodes.capacityRequired") }]}
                    >
                      <InputNumber
                        min={1}
                        max={2000}
                        addonBefore={t("groupCodes.capacity")}
                        style={{ width: 160 }}
                        data-testid="group-code-capacity"
                      />
                    </Form.Item>
                    <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(field.name)} />
                  </Flex>
                  <Form.Item
                    name={[field.name, "qrImageUrl"]}
                    style={{ marginBottom: 0, marginTop: 8 }}
                    rules={[{ type: "url", message: t("groupCodes.badUrl") }]}
                  >
                    <Input
                      placeholder={t("groupCodes.qrImagePlaceholder")}
                      data-testid="group-code-qr-image"
                    />
                  </Form.Item>
                </Card>
              ))}
              <Form.ErrorList errors={errors} />
              <Button
                type="dashed"
                onClick={() => add({ capacity: 200 })}
                disabled={fields.length >= 50}
                data-testid="group-code-add-chat"
              >
                {t("groupCodes.addChat")}
              </Button>
            </Flex>
          )}
        </Form.List>
        <Form.Item
          name="fullMessage"
          label={t("groupCodes.fullMessage")}
          style={{ marginTop: 16 }}
          extra={t("groupCodes.fullMessageHint")}
        >
          <Input maxLength={200} placeholder={t("groupCodes.fullMessageDefault")} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

function GroupCodeStats({ id }: { id: string }) {
  const { t } = useTranslation();
  const stats = useGroupCodeStats(id);
  if (!stats.data) return null;
  return (
    <Space size={32}>
      <Statistic title={t("groupCodes.scans30")} value={stats.data.scans} />
      <Statistic title={t("groupCodes.joins30")} value={stats.data.joins} />
    </Space>
  );
}

/** 群活码: one link for several customer groups, moving on to the next when one is full. */
export function GroupCodesPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useMe();
  const canManage = hasPermission(me.data, "channels.manage");
  const codes = useGroupCodes();
  const alerts = useChannelAlerts();
  const [editing, setEditing] = useState<GroupCode | "new" | null>(null);
  const remove = useActionMutation<string, GroupCode>({
    mutationFn: deleteGroupCode,
    successText: t("groupCodes.deleted"),
    invalidate: [groupCodesKey],
  });
  const recent = (alerts.data?.items ?? []).filter((a) => a.kind === "group_code_full").slice(0, 3);
  const fullNow = new Set((codes.data?.items ?? []).filter((c) => c.status === "full").map((c) => c.id));
  const items = codes.data?.items ?? [];

  return (
    <>
      <PageHeader
        title={t("groupCodes.title")}
        subtitle={t("groupCodes.subtitle")}
        extra={
          <Space>
            <Link to="/live-codes">{t("groupCodes.backToLiveCodes")}</Link>
            {canManage ? (
              <CreateButton onClick={() => setEditing("new")} testId="group-code-create">
                {t("groupCodes.create")}
              </CreateButton>
            ) : null}
          </Space>
        }
      />
      <WecomNotConfigured />
      {recent
        .filter((a) => a.groupCodeId && fullNow.has(a.groupCodeId))
        .map((a) => (
          <Alert
            key={a.id}
            type="warning"
            showIcon
            style={{ marginBottom: 12 }}
            data-testid="group-code-full-alert"
            message={t("groupCodes.allFullAlert", {
              name: String(a.data.name ?? ""),
              time: formatTime(a.createdAt),
            })}
          />
        ))}
      <Table<GroupCode>
        rowKey="id"
        loading={codes.isPending}
        dataSource={items}
        pagination={false}
        data-testid="group-code-table"
        locale={{ emptyText: <Empty description={t("groupCodes.empty")} /> }}
        expandable={{
          expandedRowRender: (c) => (
            <Flex vertical gap={12}>
              <GroupCodeStats id={c.id} />
              <Typography.Text type="secondary">
                {t("groupCodes.landing")}: <Typography.Text copyable>{c.landingUrl}</Typography.Text>
              </Typography.Text>
            </Flex>
          ),
        }}
        columns={[
          {
            title: t("groupCodes.name"),
            key: "name",
            render: (_, c) => (
              <Space direction="vertical" size={0}>
                <Typography.Text strong>{c.name}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t("groupCodes.scansJoins", { scans: c.scans, joins: c.joins })}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t("groupCodes.status"),
            key: "status",
            width: 110,
            render: (_, c) =>
              c.status === "full" ? (
                <Tag color="error" data-testid="group-code-status">
                  {t("groupCodes.statusFull")}
                </Tag>
              ) : (
                <Tag color="success" data-testid="group-code-status">
                  {t("groupCodes.statusActive")}
                </Tag>
              ),
          },
          {
            title: t("groupCodes.rotation"),
            key: "chats",
            render: (_, c) => (
              <Flex vertical gap={4} style={{ minWidth: 280 }}>
                {c.chats.map((g, i) => (
                  <Flex key={g.chatId} gap={8} align="center" data-testid="group-code-chat-row">
                    <Tag color={g.chatId === c.currentChatId ? "processing" : "default"}>
                      {g.chatId === c.currentChatId ? t("groupCodes.current") : i + 1}
                    </Tag>
                    <span style={{ minWidth: 90 }}>{g.name || g.chatId}</span>
                    <Progress
                      size="small"
                      style={{ width: 140, margin: 0 }}
                      percent={Math.min(100, Math.round((g.memberCount / g.capacity) * 100))}
                      status={g.full ? "exception" : "normal"}
                      format={() => `${g.memberCount}/${g.capacity}`}
                    />
                    {g.dismissed ? <Tag>{t("groupCodes.dismissed")}</Tag> : null}
                  </Flex>
                ))}
              </Flex>
            ),
          },
          {
            title: t("groupCodes.actions"),
            key: "actions",
            width: 200,
            render: (_, c) => (
              <Space>
                <Button
                  size="small"
                  icon={<DownloadOutlined />}
                  onClick={() =>
                    fetchBlob(groupQrPath(c.id))
                      .then((b) => saveBlob(b, `${c.name}.png`))
                      .catch((e: unknown) => message.error(errorText(t, e)))
                  }
                >
                  QR
                </Button>
                {canManage ? (
                  <>
                    <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(c)} />
                    <Popconfirm title={t("groupCodes.deleteConfirm")} onConfirm={() => remove.mutate(c.id)}>
                      <Button size="small" danger icon={<DeleteOutlined />} />
                    </Popconfirm>
                  </>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      {editing ? (
        <GroupCodeForm open code={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}

import {
  CloudUploadOutlined,
  DeleteOutlined,
  MinusCircleOutlined,
  PlusOutlined,
  RedoOutlined,
  SyncOutlined,
} from "@ant-design/icons";
import type { OaMenuButtonInput, OaMenuDto, OaMenuInput, OaTagMapDto } from "@siyu/contracts";
import {
  Alert,
  Button,
  Card,
  Col,
  Form,
  Input,
  Popconfirm,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import {
  deleteOaMenu,
  dismissOaMenuRemoval,
  oafKey,
  publishOaMenus,
  retryOaMenuRemoval,
  saveOaMenu,
  syncOaTag,
  useOaMenus,
  useOaTagMap,
} from "../../modules/oa-features/oa-features.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

type FormButton = OaMenuButtonInput & { sub_button?: OaMenuButtonInput[] };

function ButtonFields({ prefix, sub }: { prefix: (string | number)[]; sub: boolean }) {
  const { t } = useTranslation();
  return (
    <Space wrap align="start">
      <Form.Item name={[...prefix, "name"]} rules={[{ required: true }]} style={{ marginBottom: 8 }}>
        <Input placeholder={t("oaf.menu.buttonName")} style={{ width: 130 }} maxLength={sub ? 30 : 8} />
      </Form.Item>
      <Form.Item name={[...prefix, "type"]} style={{ marginBottom: 8 }}>
        <Select
          allowClear={!sub}
          placeholder={sub ? undefined : t("oaf.menu.submenu")}
          style={{ width: 120 }}
          options={[
            { value: "click", label: t("oaf.menu.click") },
            { value: "view", label: t("oaf.menu.view") },
            { value: "miniprogram", label: t("oaf.menu.miniprogram") },
          ]}
        />
      </Form.Item>
      <Form.Item noStyle shouldUpdate>
        {(form) => {
          const type = form.getFieldValue([...prefix, "type"]);
          if (type === "click")
            return (
              <Form.Item name={[...prefix, "key"]} rules={[{ required: true }]} style={{ marginBottom: 8 }}>
                <Input placeholder="key" style={{ width: 150 }} />
              </Form.Item>
            );
          if (type === "view" || type === "miniprogram")
            return (
              <Space wrap>
                <Form.Item name={[...prefix, "url"]} rules={[{ required: true }]} style={{ marginBottom: 8 }}>
                  <Input placeholder="https://" style={{ width: 200 }} />
                </Form.Item>
                {type === "miniprogram" ? (
                  <>
                    <Form.Item
                      name={[...prefix, "appid"]}
                      rules={[{ required: true }]}
                      style={{ marginBottom: 8 }}
                    >
                      <Input placeholder="appid" style={{ width: 130 }} />
                    </Form.Item>
                    <Form.Item
                      name={[...prefix, "pagepath"]}
                      rules={[{ required: true }]}
                      style={{ marginBottom: 8 }}
                    >
                      <Input placeholder="pages/index" style={{ width: 140 }} />
                    </Form.Item>
                  </>
                ) : null}
              </Space>
            );
          return null;
        }}
      </Form.Item>
    </Space>
  );
}

/** The menu tree: ≤3 top buttons, each a button or a sub-menu of ≤5 (WeChat's limits). */
function MenuEditor({ menu, onDone }: { menu: OaMenuDto | "new"; onDone: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const existing = menu === "new" ? null : menu;
  const save = useActionMutation({
    mutationFn: (v: { name: string; tag?: string; buttons: FormButton[] }) =>
      saveOaMenu(
        {
          name: v.name,
          tag: v.tag?.trim() ? v.tag.trim() : null,
          buttons: v.buttons.map((b) =>
            b.sub_button?.length
              ? { name: b.name, sub_button: b.sub_button }
              : { ...b, sub_button: undefined },
          ) as OaMenuInput["buttons"],
        },
        existing?.id,
      ),
    successText: t("oaf.common.saved"),
    invalidate: [oafKey],
    onSuccess: onDone,
  });
  return (
    <Card
      title={existing ? existing.name : t("oaf.menu.new")}
      extra={
        <Space>
          <Button onClick={onDone}>{t("oaf.common.cancel")}</Button>
          <Button
            type="primary"
            onClick={() => form.submit()}
            loading={save.isPending}
            data-testid="oa-menu-save"
          >
            {t("oaf.common.save")}
          </Button>
        </Space>
      }
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={
          existing
            ? { name: existing.name, tag: existing.tag ?? "", buttons: existing.buttons }
            : { buttons: [{ name: "", type: "click" }] }
        }
        onFinish={save.mutate}
      >
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="name" label={t("oaf.menu.name")} rules={[{ required: true }]}>
              <Input data-testid="oa-menu-name" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="tag" label={t("oaf.menu.tag")} extra={t("oaf.menu.tagHint")}>
              <Input placeholder="VIP" data-testid="oa-menu-tag" />
            </Form.Item>
          </Col>
        </Row>
        <Form.List name="buttons">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Card key={field.key} size="small" style={{ marginBottom: 8, background: "#fafafa" }}>
                  <Space align="start">
                    <ButtonFields prefix={[field.name]} sub={false} />
                    <MinusCircleOutlined onClick={() => remove(field.name)} style={{ marginTop: 8 }} />
                  </Space>
                  <Form.List name={[field.name, "sub_button"]}>
                    {(subs, subOps) => (
                      <div style={{ paddingLeft: 24 }}>
                        {subs.map((s) => (
                          <Space key={s.key} align="start">
                            <ButtonFields prefix={[s.name]} sub />
                            <MinusCircleOutlined
                              onClick={() => subOps.remove(s.name)}
                              style={{ marginTop: 8 }}
                            />
                          </Space>
                        ))}
                        {subs.length < 5 ? (
                          <Button
                            size="small"
                            type="dashed"
                            icon={<PlusOutlined />}
                            onClick={() => subOps.add({ type: "click" })}
                          >
                            {t("oaf.menu.addSub")}
                          </Button>
                        ) : null}
                      </div>
                    )}
                  </Form.List>
                </Card>
              ))}
              {fields.length < 3 ? (
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: "click" })}>
                  {t("oaf.menu.addTop")}
                </Button>
              ) : null}
            </>
          )}
        </Form.List>
      </Form>
    </Card>
  );
}

/** A phone-like preview of a menu's top bar. */
function MenuPreview({ buttons }: { buttons: OaMenuButtonInput[] }) {
  return (
    <div
      style={{
        display: "flex",
        border: "1px solid #e5e6eb",
        borderRadius: 6,
        overflow: "hidden",
        maxWidth: 360,
      }}
    >
      {buttons.map((b) => (
        <div
          key={b.name}
          style={{
            flex: 1,
            textAlign: "center",
            padding: "6px 4px",
            borderRight: "1px solid #eee",
            fontSize: 13,
          }}
        >
          {b.sub_button?.length ? "≡ " : ""}
          {b.name}
        </div>
      ))}
    </div>
  );
}

/** Personalised menus by tag (default + conditional), and the Siyu tag ↔ OA tag map. */
export function OaMenusPage() {
  const { t } = useTranslation();
  const menus = useOaMenus();
  const tagMap = useOaTagMap();
  const [editing, setEditing] = useState<OaMenuDto | "new" | null>(null);
  const [tag, setTag] = useState("");
  const publish = useActionMutation({
    mutationFn: publishOaMenus,
    successText: t("oaf.menu.published"),
    invalidate: [oafKey],
  });
  const remove = useActionMutation({ mutationFn: deleteOaMenu, invalidate: [oafKey] });
  const retryRemoval = useActionMutation({
    mutationFn: retryOaMenuRemoval,
    successText: t("oaf.menu.retryRemovalStarted"),
    invalidate: [oafKey],
  });
  const dismissRemoval = useActionMutation({
    mutationFn: dismissOaMenuRemoval,
    successText: t("oaf.menu.removalDismissed"),
    invalidate: [oafKey],
  });
  const sync = useActionMutation({
    mutationFn: syncOaTag,
    successText: t("oaf.menu.tagSynced"),
    invalidate: [oafKey],
    onSuccess: () => setTag(""),
  });
  return (
    <>
      <PageHeader
        title={t("oaf.menu.title")}
        subtitle={t("oaf.menu.subtitle")}
        extra={
          <>
            <Button
              icon={<CloudUploadOutlined />}
              loading={publish.isPending}
              onClick={() => publish.mutate()}
              data-testid="oa-menu-publish"
            >
              {t("oaf.menu.publish")}
            </Button>
            <CreateButton onClick={() => setEditing("new")} testId="oa-menu-create">
              {t("oaf.menu.new")}
            </CreateButton>
          </>
        }
      />
      <Space direction="vertical" size={16} style={{ width: "100%" }}>
        {editing ? <MenuEditor menu={editing} onDone={() => setEditing(null)} /> : null}
        <Card title={t("oaf.menu.list")}>
          <Table
            rowKey="id"
            size="small"
            loading={menus.isPending}
            dataSource={menus.data?.items ?? []}
            pagination={false}
            columns={[
              { title: t("oaf.menu.name"), dataIndex: "name" },
              {
                title: t("oaf.menu.audience"),
                dataIndex: "tag",
                render: (v: string | null, r: OaMenuDto) =>
                  v ? (
                    <Tag color="gold">
                      {v}
                      {r.oaTagId !== null ? ` → OA #${r.oaTagId}` : ""}
                    </Tag>
                  ) : (
                    <Tag>{t("oaf.menu.default")}</Tag>
                  ),
              },
              {
                title: t("oaf.menu.preview"),
                dataIndex: "buttons",
                render: (b: OaMenuButtonInput[]) => <MenuPreview buttons={b} />,
              },
              {
                title: t("oaf.menu.status"),
                dataIndex: "status",
                render: (v: string, r: OaMenuDto) => (
                  <Space direction="vertical" size={0}>
                    {r.removal ? (
                      // Deleted in Siyu; WeChat still has it until the removal succeeds.
                      <Tag
                        color={r.removal === "failed" ? "red" : "processing"}
                        data-testid={`oa-menu-removal-${r.removal}`}
                      >
                        {t(`oaf.menu.removal.${r.removal}`)}
                      </Tag>
                    ) : (
                      <Tag color={v === "published" ? "green" : v === "failed" ? "red" : "default"}>
                        {t(`oaf.menu.${v}`)}
                      </Tag>
                    )}
                    {r.error ? <Typography.Text type="danger">{r.error}</Typography.Text> : null}
                    {r.publishedAt ? (
                      <Typography.Text type="secondary">{formatTime(r.publishedAt)}</Typography.Text>
                    ) : null}
                  </Space>
                ),
              },
              {
                title: "",
                render: (_: unknown, r: OaMenuDto) =>
                  r.removal === "failed" ? (
                    // WeChat refused or kept failing: try again (a fresh call), or forget it here.
                    <Space>
                      <Button
                        size="small"
                        icon={<RedoOutlined />}
                        loading={retryRemoval.isPending && retryRemoval.variables === r.id}
                        onClick={() => retryRemoval.mutate(r.id)}
                        data-testid={`oa-menu-retry-removal-${r.id}`}
                      >
                        {t("oaf.menu.retryRemoval")}
                      </Button>
                      <Popconfirm
                        title={t("oaf.menu.dismissRemovalConfirm")}
                        onConfirm={() => dismissRemoval.mutate(r.id)}
                      >
                        <Button size="small" type="text" data-testid={`oa-menu-dismiss-removal-${r.id}`}>
                          {t("oaf.menu.dismissRemoval")}
                        </Button>
                      </Popconfirm>
                    </Space>
                  ) : r.removal ? null : (
                    <Space>
                      <Button size="small" onClick={() => setEditing(r)}>
                        {t("oaf.common.edit")}
                      </Button>
                      <Popconfirm title={t("oaf.common.deleteConfirm")} onConfirm={() => remove.mutate(r.id)}>
                        <Button size="small" type="text" icon={<DeleteOutlined />} />
                      </Popconfirm>
                    </Space>
                  ),
              },
            ]}
          />
        </Card>
        <Card title={t("oaf.menu.tagMap")}>
          <Alert type="info" showIcon message={t("oaf.menu.tagMapHint")} style={{ marginBottom: 12 }} />
          <Space style={{ marginBottom: 12 }}>
            <Input
              value={tag}
              onChange={(e) => setTag(e.target.value)}
              placeholder="VIP"
              data-testid="oa-tag-map-input"
            />
            <Button
              icon={<SyncOutlined />}
              disabled={!tag.trim()}
              loading={sync.isPending}
              onClick={() => sync.mutate(tag.trim())}
            >
              {t("oaf.menu.mapSync")}
            </Button>
          </Space>
          <Table<OaTagMapDto>
            rowKey="tag"
            size="small"
            dataSource={tagMap.data?.items ?? []}
            pagination={false}
            columns={[
              { title: t("oaf.menu.siyuTag"), dataIndex: "tag" },
              {
                title: t("oaf.menu.oaTag"),
                render: (_: unknown, r: { oaTagId: number; oaTagName: string }) =>
                  `${r.oaTagName} (#${r.oaTagId})`,
              },
              { title: t("oaf.menu.members"), dataIndex: "members", align: "right" },
              { title: t("oaf.common.time"), dataIndex: "syncedAt", render: formatTime },
              {
                title: "",
                render: (_: unknown, r: { tag: string }) => (
                  <Button size="small" onClick={() => sync.mutate(r.tag)}>
                    {t("oaf.menu.resync")}
                  </Button>
                ),
              },
            ]}
          />
        </Card>
      </Space>
    </>
  );
}

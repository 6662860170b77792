import { DeleteOutlined, SendOutlined, SyncOutlined } from "@ant-design/icons";
import type { OaTemplateDto } from "@siyu/contracts";
import {
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Radio,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  Typography,
} from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import {
  deleteArticle,
  deleteKeywordReply,
  deleteOaTemplate,
  oafKey,
  saveArticle,
  saveKeywordReply,
  saveOaTemplate,
  saveOaWelcome,
  sendOaTemplate,
  syncOaTemplates,
  useArticles,
  useKeywordReplies,
  useOaTemplateBatches,
  useOaTemplateSends,
  useOaTemplates,
  useOaWelcome,
} from "../../modules/oa-features/oa-features.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

const statusColor: Record<string, string> = {
  success: "green",
  sent: "blue",
  sending: "default",
  failed_user_block: "orange",
  failed_system: "red",
  rejected: "red",
  blocked: "purple",
  skipped: "purple",
};

function SendModal({ template, onClose }: { template: OaTemplateDto | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const articles = useArticles();
  const audience = Form.useWatch("audience", form);
  const send = useActionMutation({
    mutationFn: (v: {
      audience: string;
      value: string;
      articleId?: string;
      url?: string;
      purpose?: "marketing" | "transactional";
      data: Record<string, string>;
    }) =>
      sendOaTemplate({
        templateId: template?.templateId as string,
        ...(v.audience === "customers"
          ? { customerIds: v.value.split(/[\s,]+/).filter(Boolean) }
          : v.audience === "segment"
            ? { segmentId: v.value }
            : { tag: v.value }),
        data: v.data ?? {},
        purpose: v.purpose ?? "marketing",
        ...(v.articleId ? { articleId: v.articleId } : v.url ? { url: v.url } : {}),
      }),
    successText: t("oaf.tpl.queued"),
    invalidate: [oafKey],
    onSuccess: onClose,
  });
  return (
    <Modal
      open={Boolean(template)}
      title={`${t("oaf.tpl.send")} · ${template?.title ?? ""}`}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={send.isPending}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ audience: "tag", purpose: "marketing" }}
        onFinish={send.mutate}
      >
        <Form.Item name="audience" label={t("oaf.tpl.audience")}>
          <Radio.Group
            options={[
              { value: "tag", label: t("oaf.tpl.byTag") },
              { value: "segment", label: t("oaf.tpl.bySegment") },
              { value: "customers", label: t("oaf.tpl.byCustomers") },
            ]}
          />
        </Form.Item>
        <Form.Item name="value" label={t(`oaf.tpl.${audience ?? "tag"}Value`)} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        {(template?.keys ?? []).map((k) => (
          <Form.Item
            key={k}
            name={["data", k]}
            label={k}
            extra={k === template?.keys[0] ? t("oaf.tpl.nameHint") : undefined}
          >
            <Input maxLength={200} />
          </Form.Item>
        ))}
        <Form.Item name="articleId" label={t("oaf.tpl.article")}>
          <Select
            allowClear
            options={(articles.data?.items ?? []).map((a) => ({ value: a.id, label: a.title }))}
          />
        </Form.Item>
        <Form.Item name="url" label={t("oaf.tpl.url")}>
          <Input placeholder="https://" />
        </Form.Item>
        <Form.Item name="purpose" label={t("oaf.tpl.purpose")} extra={t("oaf.tpl.purposeHint")}>
          <Radio.Group
            options={[
              { value: "marketing", label: t("oaf.tpl.marketing") },
              { value: "transactional", label: t("oaf.tpl.transactional") },
            ]}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Templates() {
  const { t } = useTranslation();
  const list = useOaTemplates();
  const batches = useOaTemplateBatches();
  const [batchId, setBatchId] = useState<string | undefined>();
  const sends = useOaTemplateSends({ ...(batchId ? { batchId } : {}) });
  const [sending, setSending] = useState<OaTemplateDto | null>(null);
  const [entering, setEntering] = useState(false);
  const [form] = Form.useForm();
  const sync = useActionMutation({
    mutationFn: syncOaTemplates,
    successText: t("oaf.tpl.synced"),
    invalidate: [oafKey],
  });
  const enter = useActionMutation({
    mutationFn: saveOaTemplate,
    invalidate: [oafKey],
    onSuccess: () => setEntering(false),
  });
  const remove = useActionMutation({ mutationFn: deleteOaTemplate, invalidate: [oafKey] });
  return (
    <Space direction="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title={t("oaf.tpl.title")}
        extra={
          <Space>
            <Button
              icon={<SyncOutlined />}
              loading={sync.isPending}
              onClick={() => sync.mutate()}
              data-testid="oa-template-sync"
            >
              {t("oaf.tpl.sync")}
            </Button>
            <CreateButton onClick={() => setEntering(true)} testId="oa-template-enter">
              {t("oaf.tpl.enter")}
            </CreateButton>
          </Space>
        }
      >
        <Table
          size="small"
          rowKey="id"
          loading={list.isPending}
          dataSource={list.data?.items ?? []}
          pagination={false}
          columns={[
            { title: t("oaf.tpl.name"), dataIndex: "title" },
            {
              title: "template_id",
              dataIndex: "templateId",
              render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
            },
            {
              title: t("oaf.tpl.keys"),
              dataIndex: "keys",
              render: (v: string[]) => v.map((k) => <Tag key={k}>{k}</Tag>),
            },
            {
              title: t("oaf.tpl.source"),
              dataIndex: "source",
              render: (v: string) => t(v === "synced" ? "oaf.tpl.sourceSynced" : "oaf.tpl.sourceEntered"),
            },
            {
              title: "",
              render: (_: unknown, r: OaTemplateDto) => (
                <Space>
                  <Button size="small" icon={<SendOutlined />} onClick={() => setSending(r)}>
                    {t("oaf.tpl.send")}
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
      <Card title={t("oaf.tpl.batches")}>
        <Table
          size="small"
          rowKey="id"
          dataSource={batches.data?.items ?? []}
          pagination={{ pageSize: 5 }}
          onRow={(r) => ({ onClick: () => setBatchId(r.id), style: { cursor: "pointer" } })}
          rowClassName={(r) => (r.id === batchId ? "ant-table-row-selected" : "")}
          columns={[
            { title: t("oaf.common.time"), dataIndex: "createdAt", render: formatTime },
            { title: "template_id", dataIndex: "templateId" },
            { title: t("oaf.tpl.recipients"), dataIndex: "total", align: "right" },
            { title: t("oaf.tpl.skipped"), dataIndex: "skipped", align: "right" },
            {
              title: t("oaf.tpl.results"),
              dataIndex: "counts",
              render: (c: Record<string, number>) =>
                Object.entries(c).map(([k, n]) => (
                  <Tag key={k} color={statusColor[k]}>
                    {t(`oaf.tpl.status.${k}`)} {n}
                  </Tag>
                )),
            },
          ]}
        />
        {batchId ? (
          <Table
            size="small"
            rowKey="id"
            style={{ marginTop: 12 }}
            dataSource={sends.data?.items ?? []}
            pagination={{ pageSize: 10 }}
            columns={[
              { title: "openid", dataIndex: "openid" },
              {
                title: t("oaf.tpl.result"),
                dataIndex: "status",
                render: (v: string) => <Tag color={statusColor[v]}>{t(`oaf.tpl.status.${v}`)}</Tag>,
              },
              { title: t("oaf.tpl.error"), dataIndex: "error" },
              { title: t("oaf.common.time"), dataIndex: "finishedAt", render: formatTime },
            ]}
          />
        ) : null}
      </Card>
      <SendModal template={sending} onClose={() => setSending(null)} />
      <Modal
        open={entering}
        title={t("oaf.tpl.enter")}
        onCancel={() => setEntering(false)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={enter.mutate}>
          <Form.Item name="templateId" label="template_id" rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="title" label={t("oaf.tpl.name")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="content" label={t("oaf.tpl.content")} extra="{{thing1.DATA}}">
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}

function Replies() {
  const { t } = useTranslation();
  const welcome = useOaWelcome();
  const articles = useArticles();
  const rules = useKeywordReplies();
  const [text, setText] = useState("");
  useEffect(() => {
    const r = welcome.data?.reply;
    setText(r?.type === "text" ? r.content : "");
  }, [welcome.data]);
  const saveWelcome = useActionMutation({
    mutationFn: saveOaWelcome,
    successText: t("oaf.common.saved"),
    invalidate: [oafKey],
  });
  const [form] = Form.useForm();
  const kind = Form.useWatch("kind", form);
  const save = useActionMutation({
    mutationFn: (v: {
      keyword: string;
      match: "exact" | "contains";
      kind: string;
      content?: string;
      articleId?: string;
      priority?: number;
    }) => {
      return saveKeywordReply({
        keyword: v.keyword,
        match: v.match,
        priority: v.priority ?? 0,
        enabled: true,
        reply:
          v.kind === "article" && v.articleId
            ? { type: "article", articleId: v.articleId }
            : { type: "text", content: v.content ?? "" },
      });
    },
    successText: t("oaf.common.saved"),
    invalidate: [oafKey],
    onSuccess: () => form.resetFields(),
  });
  const remove = useActionMutation({ mutationFn: deleteKeywordReply, invalidate: [oafKey] });
  return (
    <Space direction="vertical" size={16} style={{ width: "100%" }}>
      <Card title={t("oaf.reply.welcome")}>
        <Space.Compact style={{ width: "100%" }}>
          <Input.TextArea
            rows={2}
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder={t("oaf.reply.welcomeHint")}
            data-testid="oa-welcome-text"
          />
        </Space.Compact>
        <Space style={{ marginTop: 8 }}>
          <Button
            type="primary"
            onClick={() => saveWelcome.mutate(text.trim() ? { type: "text", content: text.trim() } : null)}
          >
            {t("oaf.common.save")}
          </Button>
        </Space>
      </Card>
      <Card title={t("oaf.reply.keywords")}>
        <Form
          form={form}
          layout="inline"
          initialValues={{ match: "exact", kind: "text", priority: 0 }}
          onFinish={save.mutate}
          style={{ marginBottom: 12, rowGap: 8 }}
        >
          <Form.Item name="keyword" rules={[{ required: true }]}>
            <Input placeholder={t("oaf.reply.keyword")} data-testid="oa-keyword" />
          </Form.Item>
          <Form.Item name="match">
            <Select
              style={{ width: 110 }}
              options={[
                { value: "exact", label: t("oaf.reply.exact") },
                { value: "contains", label: t("oaf.reply.contains") },
              ]}
            />
          </Form.Item>
          <Form.Item name="kind">
            <Select
              style={{ width: 100 }}
              options={[
                { value: "text", label: t("oaf.reply.text") },
                { value: "article", label: t("oaf.reply.article") },
              ]}
            />
          </Form.Item>
          {kind === "article" ? (
            <Form.Item name="articleId" rules={[{ required: true }]}>
              <Select
                style={{ width: 200 }}
                options={(articles.data?.items ?? []).map((a) => ({ value: a.id, label: a.title }))}
              />
            </Form.Item>
          ) : (
            <Form.Item name="content" rules={[{ required: true }]}>
              <Input
                placeholder={t("oaf.reply.content")}
                style={{ width: 240 }}
                data-testid="oa-keyword-reply"
              />
            </Form.Item>
          )}
          <Form.Item name="priority" tooltip={t("oaf.reply.priority")}>
            <InputNumber min={0} max={1000} style={{ width: 80 }} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="oa-keyword-save">
            {t("oaf.common.add")}
          </Button>
        </Form>
        <Table
          size="small"
          rowKey="id"
          dataSource={rules.data?.items ?? []}
          pagination={false}
          columns={[
            { title: t("oaf.reply.keyword"), dataIndex: "keyword" },
            { title: t("oaf.reply.match"), dataIndex: "match", render: (v: string) => t(`oaf.reply.${v}`) },
            { title: t("oaf.reply.priority"), dataIndex: "priority" },
            {
              title: t("oaf.reply.content"),
              dataIndex: "reply",
              render: (r: {
                type: string;
                content?: string;
                articleId?: string;
                articles?: Array<{ title: string }>;
              }) =>
                r.type === "text"
                  ? r.content
                  : `📄 ${r.articles?.[0]?.title ?? articles.data?.items.find((a) => a.id === r.articleId)?.title ?? r.type}`,
            },
            {
              title: t("oaf.common.enabled"),
              dataIndex: "enabled",
              render: (v: boolean) => <Switch size="small" checked={v} disabled />,
            },
            {
              title: "",
              render: (_: unknown, r: { id: string }) => (
                <Popconfirm title={t("oaf.common.deleteConfirm")} onConfirm={() => remove.mutate(r.id)}>
                  <Button size="small" type="text" icon={<DeleteOutlined />} />
                </Popconfirm>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}

function Content() {
  const { t } = useTranslation();
  const list = useArticles();
  const [form] = Form.useForm();
  const save = useActionMutation({
    mutationFn: (v: { title: string; url: string; summary?: string; coverUrl?: string }) =>
      saveArticle({
        title: v.title,
        url: v.url,
        summary: v.summary ?? "",
        ...(v.coverUrl ? { coverUrl: v.coverUrl } : {}),
      }),
    successText: t("oaf.common.saved"),
    invalidate: [oafKey],
    onSuccess: () => form.resetFields(),
  });
  const remove = useActionMutation({ mutationFn: deleteArticle, invalidate: [oafKey] });
  return (
    <Card title={t("oaf.content.title")}>
      <Form form={form} layout="inline" onFinish={save.mutate} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="title" rules={[{ required: true }]}>
          <Input placeholder={t("oaf.content.articleTitle")} />
        </Form.Item>
        <Form.Item name="url" rules={[{ required: true, type: "url" }]}>
          <Input placeholder="https://" style={{ width: 240 }} />
        </Form.Item>
        <Form.Item name="summary">
          <Input placeholder={t("oaf.content.summary")} />
        </Form.Item>
        <Form.Item name="coverUrl" rules={[{ type: "url" }]}>
          <Input placeholder={t("oaf.content.cover")} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t("oaf.common.add")}
        </Button>
      </Form>
      <Table
        size="small"
        rowKey="id"
        loading={list.isPending}
        dataSource={list.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t("oaf.content.articleTitle"), dataIndex: "title" },
          {
            title: t("oaf.content.tracked"),
            dataIndex: "trackedUrl",
            render: (v: string) => <Typography.Text copyable>{v}</Typography.Text>,
          },
          { title: t("oaf.content.clicks"), dataIndex: "clicks", align: "right" },
          { title: t("oaf.content.anonymous"), dataIndex: "anonymousClicks", align: "right" },
          {
            title: "",
            render: (_: unknown, r: { id: string }) => (
              <Popconfirm title={t("oaf.common.deleteConfirm")} onConfirm={() => remove.mutate(r.id)}>
                <Button size="small" type="text" icon={<DeleteOutlined />} />
              </Popconfirm>
            ),
          },
        ]}
      />
    </Card>
  );
}

/** Template messages, replies (welcome and keywords) and the content library of the Official Account. */
export function OaMessagingPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") ?? "templates";
  return (
    <>
      <PageHeader title={t("oaf.messaging.title")} subtitle={t("oaf.messaging.subtitle")} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams({ tab: k })}
        items={[
          { key: "templates", label: t("oaf.tpl.title"), children: <Templates /> },
          { key: "replies", label: t("oaf.reply.title"), children: <Replies /> },
          { key: "content", label: t("oaf.content.title"), children: <Content /> },
        ]}
      />
    </>
  );
}

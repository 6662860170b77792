import { Card, Form, Input, Select, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import {
  createMoment,
  type Moment,
  statusColor,
  useCorpTags,
  useStaff,
} from "../../modules/wecom-actions/wecom-actions.api.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { FormModal } from "../../ui/form-modal.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

interface Values {
  text: string;
  senders?: string[];
  tagIds?: string[];
}

/** 企业微信 › 朋友圈: moments tasks (add_moment_task) and what WeCom reported for each. */
export function MomentsPage() {
  const { t } = useTranslation();
  const [creating, setCreating] = useState(false);
  const list = useCursorPage<Moment>("wecom-moments", "/api/wecom/moments", {});
  const staff = useStaff();
  const tags = useCorpTags();
  return (
    <>
      <PageHeader
        title={t("wecomActions.moments.title")}
        subtitle={t("wecomActions.moments.subtitle")}
        extra={
          <CreateButton onClick={() => setCreating(true)} testId="moment-create">
            {t("wecomActions.moments.create")}
          </CreateButton>
        }
      />
      <Card>
        <CursorTable<Moment>
          list={list}
          rowKey="id"
          data-testid="moments-table"
          scroll={{ x: 900 }}
          columns={[
            {
              title: t("wecomActions.mass.text"),
              dataIndex: "text",
              render: (v: string) => (
                <Typography.Text ellipsis style={{ maxWidth: 360 }}>
                  {v || "—"}
                </Typography.Text>
              ),
            },
            {
              title: t("common.status"),
              dataIndex: "status",
              width: 120,
              render: (s: string) => <Tag color={statusColor[s]}>{t(`wecomActions.status.${s}`)}</Tag>,
            },
            { title: "moment_id", dataIndex: "momentId", render: (v: string | null) => v ?? "—" },
            { title: t("wecomActions.error"), dataIndex: "error", render: (v: string | null) => v ?? "" },
            { title: t("common.createdAt"), dataIndex: "createdAt", width: 180, render: formatTime },
          ]}
        />
      </Card>
      <FormModal<Values, Moment>
        open={creating}
        title={t("wecomActions.moments.create")}
        onClose={() => setCreating(false)}
        mutationFn={(v) => createMoment({ text: v.text, senders: v.senders ?? [], tagIds: v.tagIds ?? [] })}
        successText={t("wecomActions.moments.created")}
        invalidate={[["wecom-moments"]]}
        resetOnSuccess
        formTestId="moment-form"
      >
        <Form.Item name="text" label={t("wecomActions.mass.text")} rules={[{ required: true }]}>
          <Input.TextArea rows={4} maxLength={1300} showCount />
        </Form.Item>
        <Form.Item name="senders" label={t("wecomActions.moments.senders")}>
          <Select
            mode="multiple"
            options={(staff.data?.items ?? [])
              .filter((s) => s.status === "active")
              .map((s) => ({ value: s.userid, label: `${s.name} (${s.userid})` }))}
          />
        </Form.Item>
        <Form.Item name="tagIds" label={t("wecomActions.moments.tags")}>
          <Select
            mode="multiple"
            options={(tags.data?.items ?? []).map((tag) => ({ value: tag.id, label: tag.name }))}
          />
        </Form.Item>
      </FormModal>
    </>
  );
}

import { BellOutlined, EditOutlined } from "@ant-design/icons";
import { type OptOutScope, optOutScopes } from "@siyu/contracts";
import {
  Button,
  Card,
  Checkbox,
  Descriptions,
  Flex,
  Input,
  Modal,
  Skeleton,
  Table,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { formatTime } from "../../ui/format.ts";
import { QueryError } from "../../ui/query-error.tsx";
import { preferencesKey, saveContactPreferences, useContactPreferences } from "./contact-policy.api.ts";

/** The customer 360 card: what they opted out of (source, when) and how often we reached them lately. */
export function ContactPreferencesCard({ customerId, canEdit }: { customerId: string; canEdit: boolean }) {
  const { t } = useTranslation();
  const prefs = useContactPreferences(customerId);
  const [editing, setEditing] = useState(false);
  const [picked, setPicked] = useState<OptOutScope[]>([]);
  const [note, setNote] = useState("");
  const save = useActionMutation({
    mutationFn: () => saveContactPreferences(customerId, { optOuts: picked, ...(note ? { note } : {}) }),
    successText: t("contactPolicy.prefs.saved"),
    invalidate: [preferencesKey(customerId), ["customers", "timeline", customerId]],
    onSuccess: () => setEditing(false),
  });
  const data = prefs.data;
  const touched = (data?.touches ?? []).filter((x) => x.month > 0);
  return (
    <Card
      title={
        <span>
          <BellOutlined style={{ marginRight: 8 }} />
          {t("contactPolicy.prefs.title")}
        </span>
      }
      extra={
        canEdit && data ? (
          <Button
            size="small"
            icon={<EditOutlined />}
            onClick={() => {
              setPicked(data.optOuts.map((o) => o.channel));
              setNote("");
              setEditing(true);
            }}
            data-testid="contact-prefs-edit"
          >
            {t("contactPolicy.prefs.edit")}
          </Button>
        ) : null
      }
      style={{ marginBottom: 16 }}
      data-testid="contact-prefs"
    >
      {prefs.isError ? (
        <QueryError error={prefs.error} onRetry={() => void prefs.refetch()} />
      ) : !data ? (
        <Skeleton active paragraph={{ rows: 2 }} />
      ) : (
        <>
          <Descriptions column={1} size="small">
            <Descriptions.Item label={t("contactPolicy.prefs.optedOutOf")}>
              {data.optOuts.length === 0 ? (
                <Typography.Text type="secondary">{t("contactPolicy.prefs.none")}</Typography.Text>
              ) : (
                <Flex vertical gap={4}>
                  {data.optOuts.map((o) => (
                    <span key={o.channel}>
                      <Tag color="red">{t(`contactPolicy.channels.${o.channel}`)}</Tag>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {t(`contactPolicy.sources.${o.source}`)} · {formatTime(o.at)}
                        {o.note ? ` · ${o.note}` : ""}
                      </Typography.Text>
                    </span>
                  ))}
                </Flex>
              )}
            </Descriptions.Item>
          </Descriptions>
          {touched.length ? (
            <Table
              size="small"
              rowKey="channel"
              pagination={false}
              dataSource={touched}
              style={{ marginTop: 8 }}
              columns={[
                {
                  title: t("contactPolicy.prefs.touches"),
                  dataIndex: "channel",
                  render: (c: string) => t(`contactPolicy.channels.${c}`),
                },
                { title: t("contactPolicy.prefs.today"), dataIndex: "day", align: "right" },
                { title: t("contactPolicy.prefs.week"), dataIndex: "week", align: "right" },
                { title: t("contactPolicy.prefs.month"), dataIndex: "month", align: "right" },
              ]}
            />
          ) : null}
        </>
      )}
      <Modal
        open={editing}
        title={t("contactPolicy.prefs.edit")}
        onCancel={() => setEditing(false)}
        onOk={() => save.mutate()}
        confirmLoading={save.isPending}
        destroyOnHidden
      >
        <Checkbox.Group
          value={picked}
          onChange={(v) => setPicked(v as OptOutScope[])}
          style={{ display: "flex", flexDirection: "column", gap: 8 }}
          options={optOutScopes.map((s) => ({ value: s, label: t(`contactPolicy.channels.${s}`) }))}
        />
        <Input.TextArea
          style={{ marginTop: 12 }}
          maxLength={500}
          rows={2}
          placeholder={t("contactPolicy.prefs.note")}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
      </Modal>
    </Card>
  );
}

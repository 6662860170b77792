import { SaveOutlined, ThunderboltOutlined } from "@ant-design/icons";
import type { ChannelPolicy } from "@siyu/contracts";
import {
  Alert,
  App,
  Button,
  Card,
  InputNumber,
  Skeleton,
  Space,
  Switch,
  Table,
  TimePicker,
  Typography,
} from "antd";
import dayjs from "dayjs";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import {
  policyKey,
  saveContactPolicy,
  useContactPolicy,
} from "../../modules/contact-policy/contact-policy.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

type CapKey = "perDay" | "perWeek" | "perMonth" | "perCalendarMonth";
const capKeys: CapKey[] = ["perDay", "perWeek", "perMonth", "perCalendarMonth"];

/** What an operations team usually starts from: quiet 21:00–09:00, a few touches a week. */
const recommended: Record<string, Partial<ChannelPolicy>> = {
  wecom_private: { perDay: 2, perWeek: 5, perMonth: 15, quietHours: { start: "21:00", end: "09:00" } },
  wecom_mass: { perDay: 1, perCalendarMonth: 4, quietHours: { start: "21:00", end: "09:00" } },
  wecom_moment: { perDay: 3, quietHours: null },
  oa_template: { perDay: 2, perWeek: 6, quietHours: { start: "21:00", end: "09:00" } },
  sms: { perDay: 1, perWeek: 3, perMonth: 8, quietHours: { start: "20:00", end: "09:00" } },
};

/** 设置 › 触达策略: frequency caps, quiet hours and the transactional exemption per channel. */
export function ContactPolicyPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useMe();
  const canEdit = hasPermission(me.data, "settings.manage");
  const policy = useContactPolicy();
  const [rows, setRows] = useState<ChannelPolicy[]>([]);
  useEffect(() => {
    if (policy.data) setRows(policy.data.channels);
  }, [policy.data]);
  const save = useActionMutation({
    mutationFn: () => saveContactPolicy({ channels: rows }),
    successText: t("contactPolicy.saved"),
    invalidate: [policyKey],
  });
  const update = (channel: string, patch: Partial<ChannelPolicy>) =>
    setRows((rs) => rs.map((r) => (r.channel === channel ? { ...r, ...patch } : r)));

  if (policy.isError) return <QueryError error={policy.error} onRetry={() => void policy.refetch()} />;
  if (!policy.data) return <Skeleton active />;
  return (
    <>
      <PageHeader
        title={t("contactPolicy.title")}
        subtitle={t("contactPolicy.subtitle")}
        extra={
          canEdit ? (
            <Space>
              <Button
                icon={<ThunderboltOutlined />}
                onClick={() => {
                  setRows((rs) => rs.map((r) => ({ ...r, ...recommended[r.channel] })));
                  message.info(t("contactPolicy.recommendedDone"));
                }}
              >
                {t("contactPolicy.recommended")}
              </Button>
              <Button
                type="primary"
                icon={<SaveOutlined />}
                loading={save.isPending}
                onClick={() => save.mutate()}
                data-testid="contact-policy-save"
              >
                {t("contactPolicy.save")}
              </Button>
            </Space>
          ) : null
        }
      />
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        message={t("contactPolicy.timezoneHint", { zone: policy.data.timezone })}
        description={t("contactPolicy.wecomNote")}
      />
      <Card>
        <Table<ChannelPolicy>
          rowKey="channel"
          pagination={false}
          dataSource={rows}
          scroll={{ x: 1000 }}
          data-testid="contact-policy-table"
          columns={[
            {
              title: t("contactPolicy.channel"),
              dataIndex: "channel",
              width: 160,
              render: (c: string) => (
                <Typography.Text strong>{t(`contactPolicy.channels.${c}`)}</Typography.Text>
              ),
            },
            ...capKeys.map((key) => ({
              title: t(`contactPolicy.${key}`),
              key,
              width: 120,
              render: (_: unknown, r: ChannelPolicy) => (
                <InputNumber
                  min={0}
                  max={1000}
                  precision={0}
                  disabled={!canEdit}
                  placeholder={t("contactPolicy.noLimit")}
                  value={r[key]}
                  onChange={(v) => update(r.channel, { [key]: typeof v === "number" ? v : null })}
                  style={{ width: 100 }}
                  data-testid={`cap-${r.channel}-${key}`}
                />
              ),
            })),
            {
              title: t("contactPolicy.quietHours"),
              key: "quiet",
              width: 280,
              render: (_: unknown, r: ChannelPolicy) => (
                <Space>
                  <Switch
                    size="small"
                    disabled={!canEdit}
                    checked={r.quietHours !== null}
                    onChange={(on) =>
                      update(r.channel, { quietHours: on ? { start: "21:00", end: "09:00" } : null })
                    }
                    data-testid={`quiet-${r.channel}`}
                  />
                  {r.quietHours ? (
                    <TimePicker.RangePicker
                      format="HH:mm"
                      order={false}
                      allowClear={false}
                      disabled={!canEdit}
                      value={[dayjs(r.quietHours.start, "HH:mm"), dayjs(r.quietHours.end, "HH:mm")]}
                      onChange={(v) => {
                        if (v?.[0] && v[1])
                          update(r.channel, {
                            quietHours: { start: v[0].format("HH:mm"), end: v[1].format("HH:mm") },
                          });
                      }}
                      style={{ width: 180 }}
                    />
                  ) : (
                    <Typography.Text type="secondary">{t("contactPolicy.quietOff")}</Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: t("contactPolicy.transactionalExempt"),
              key: "exempt",
              width: 120,
              render: (_: unknown, r: ChannelPolicy) => (
                <Switch
                  disabled={!canEdit}
                  checked={r.transactionalExempt}
                  onChange={(on) => update(r.channel, { transactionalExempt: on })}
                />
              ),
            },
          ]}
        />
        <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
          {t("contactPolicy.transactionalHint")}
        </Typography.Paragraph>
      </Card>
    </>
  );
}

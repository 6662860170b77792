import { Card, DatePicker, Form, Input, InputNumber, Table, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { CreateButton } from "../../ui/create-button.tsx";
import { FormModal } from "../../ui/form-modal.tsx";
import { formatTime } from "../../ui/format.ts";
import { addSpend, formatFen, type LiveCodeSpend, liveCodesKey, useLiveCodeSpend } from "./live-codes.api.ts";

interface SpendValues {
  period: [Dayjs, Dayjs];
  amountYuan: number;
  note?: string;
}

/** Channel spend (投放花费) of a code, in fen: the base of cost per add in the statistics. */
export function SpendCard({ id, canManage }: { id: string; canManage: boolean }) {
  const { t } = useTranslation();
  const spend = useLiveCodeSpend(id);
  const [adding, setAdding] = useState(false);
  const total = (spend.data?.items ?? []).reduce((sum, s) => sum + s.amountFen, 0);
  return (
    <Card
      title={t("liveCodes.spend.title")}
      data-testid="live-code-spend"
      extra={
        canManage ? (
          <CreateButton onClick={() => setAdding(true)} testId="live-code-spend-add">
            {t("liveCodes.spend.add")}
          </CreateButton>
        ) : null
      }
    >
      <Table<LiveCodeSpend>
        size="small"
        rowKey="id"
        loading={spend.isPending}
        dataSource={spend.data?.items ?? []}
        pagination={false}
        columns={[
          {
            title: t("liveCodes.spend.period"),
            key: "period",
            render: (_: unknown, s) => `${s.periodStart} ~ ${s.periodEnd}`,
          },
          {
            title: t("liveCodes.spend.amount"),
            dataIndex: "amountFen",
            align: "right",
            render: (f: number) => formatFen(f),
          },
          { title: t("liveCodes.spend.note"), dataIndex: "note", render: (n: string | null) => n || "—" },
          { title: t("common.createdAt"), dataIndex: "createdAt", render: formatTime },
        ]}
        summary={() =>
          spend.data?.items.length ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0}>
                <Typography.Text strong>{t("liveCodes.spend.total")}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right">
                <Typography.Text strong>{formatFen(total)}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2} colSpan={2} />
            </Table.Summary.Row>
          ) : null
        }
      />
      {adding ? (
        <FormModal<SpendValues>
          open
          title={t("liveCodes.spend.add")}
          onClose={() => setAdding(false)}
          initialValues={{ period: [dayjs().startOf("month"), dayjs()] }}
          mutationFn={(v) =>
            addSpend(id, {
              periodStart: v.period[0].format("YYYY-MM-DD"),
              periodEnd: v.period[1].format("YYYY-MM-DD"),
              // Money is integer fen everywhere; the form takes yuan with two decimals.
              amountFen: Math.round(v.amountYuan * 100),
              ...(v.note?.trim() ? { note: v.note.trim() } : {}),
            })
          }
          successText={t("common.saved")}
          invalidate={[[...liveCodesKey, id]]}
          formTestId="live-code-spend-form"
        >
          <Form.Item name="period" label={t("liveCodes.spend.period")} rules={[{ required: true }]}>
            <DatePicker.RangePicker style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item name="amountYuan" label={t("liveCodes.spend.amountYuan")} rules={[{ required: true }]}>
            <InputNumber min={0} max={10_000_000_000} precision={2} prefix="¥" style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item name="note" label={t("liveCodes.spend.note")}>
            <Input maxLength={200} />
          </Form.Item>
        </FormModal>
      ) : null}
    </Card>
  );
}

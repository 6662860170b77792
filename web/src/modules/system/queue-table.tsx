import type { SystemOverview } from "@siyu/contracts";
import { Table, Tag } from "antd";
import { useTranslation } from "react-i18next";
import { formatNumber } from "../../ui/format.ts";
import { queueColumns, queueRows } from "./system.api.ts";

export function QueueTable({
  overview,
  loading,
}: {
  overview: SystemOverview | undefined;
  loading: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Table
      data-testid="queues-table"
      rowKey="queue"
      size="middle"
      loading={loading}
      pagination={false}
      dataSource={queueRows(overview)}
      columns={[
        { title: t("queue.name"), dataIndex: "queue", render: (q: string) => <Tag>{q}</Tag> },
        ...[...queueColumns, "completed" as const].map((column) => ({
          title: t(`queue.${column}`),
          dataIndex: column,
          align: "right" as const,
          render: (value: number) =>
            (column === "dead" || column === "failed") && value > 0 ? (
              <Tag color={column === "dead" ? "red" : "orange"}>{formatNumber(value)}</Tag>
            ) : (
              formatNumber(value)
            ),
        })),
      ]}
    />
  );
}

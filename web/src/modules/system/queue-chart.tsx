import type { SystemOverview } from "@siyu/contracts";
import { Empty } from "antd";
import { useTranslation } from "react-i18next";
import { Chart } from "../../ui/chart.tsx";
import { queueColumns, queueRows } from "./system.api.ts";

const colors: Record<(typeof queueColumns)[number], string> = {
  waiting: "#1677ff",
  delayed: "#13c2c2",
  active: "#07c160",
  failed: "#fa8c16",
  dead: "#f5222d",
};

/** Stacked bars: one bar per queue, split by job state. */
export function QueueChart({ overview, height }: { overview: SystemOverview | undefined; height?: number }) {
  const { t } = useTranslation();
  const rows = queueRows(overview);
  if (rows.length === 0) return <Empty description={t("dashboard.noQueues")} />;
  return (
    <Chart
      height={height}
      option={{
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: rows.map((r) => r.queue) },
        yAxis: { type: "value", minInterval: 1 },
        series: queueColumns.map((column) => ({
          name: t(`queue.${column}`),
          type: "bar",
          stack: "jobs",
          barMaxWidth: 48,
          itemStyle: { color: colors[column] },
          data: rows.map((r) => r[column]),
        })),
      }}
    />
  );
}

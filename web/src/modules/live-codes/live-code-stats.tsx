import { DownloadOutlined } from "@ant-design/icons";
import { App, Button, Card, Col, DatePicker, Empty, Flex, Row, Statistic, Table, Tooltip } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Chart } from "../../ui/chart.tsx";
import { errorText } from "../../ui/error-text.ts";
import { QueryError } from "../../ui/query-error.tsx";
import {
  fetchBlob,
  formatFen,
  type LiveCodeStats,
  type StatsRange,
  saveBlob,
  statsCsvPath,
  useLiveCodeStats,
} from "./live-codes.api.ts";

export type Range = [Dayjs, Dayjs];

/**
 * The range asked of the API: none at first, so the server picks the last 30 days in the tenant's
 * zone (the browser's "today" may be another day there).
 */
export const toStatsRange = (r: Range | null): StatsRange =>
  r ? { from: r[0].format("YYYY-MM-DD"), to: r[1].format("YYYY-MM-DD") } : {};

/** What the picker shows: the chosen range, else the one the server answered for. */
export const shownRange = (r: Range | null, answered?: { from: string; to: string }): Range | null =>
  r ?? (answered ? [dayjs(answered.from), dayjs(answered.to)] : null);

/** A date range with the usual shortcuts (7 / 30 / 90 days), at most 366 days as the API allows. */
export function RangePicker({ value, onChange }: { value: Range | null; onChange: (r: Range) => void }) {
  const { t } = useTranslation();
  const last = (days: number): Range => [
    dayjs()
      .subtract(days - 1, "day")
      .startOf("day"),
    dayjs().startOf("day"),
  ];
  return (
    <DatePicker.RangePicker
      value={value}
      allowClear={false}
      data-testid="live-code-range"
      disabledDate={(d, info) => {
        const from = info.from;
        // Tomorrow stays open: the tenant's zone may already be there.
        return (
          d.isAfter(dayjs().add(1, "day"), "day") || Boolean(from && Math.abs(d.diff(from, "day")) > 365)
        );
      }}
      presets={[
        { label: t("liveCodes.stats.last7"), value: last(7) },
        { label: t("liveCodes.stats.last30"), value: last(30) },
        { label: t("liveCodes.stats.last90"), value: last(90) },
      ]}
      onChange={(r) => {
        if (r?.[0] && r[1]) onChange([r[0], r[1]]);
      }}
    />
  );
}

const colors = { scans: "#8c8c8c", adds: "#07c160", deletes: "#f5222d", netAdds: "#1677ff" };

function DailyChart({ stats }: { stats: LiveCodeStats }) {
  const { t } = useTranslation();
  const days = stats.daily.map((d) => d.date.slice(5));
  return (
    <Chart
      height={320}
      option={{
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          {
            name: t("liveCodes.stats.adds"),
            type: "bar",
            barMaxWidth: 18,
            itemStyle: { color: colors.adds },
            data: stats.daily.map((d) => d.adds),
          },
          {
            name: t("liveCodes.stats.deletes"),
            type: "bar",
            barMaxWidth: 18,
            itemStyle: { color: colors.deletes },
            data: stats.daily.map((d) => d.deletes),
          },
          {
            name: t("liveCodes.stats.netAdds"),
            type: "line",
            smooth: true,
            itemStyle: { color: colors.netAdds },
            data: stats.daily.map((d) => d.netAdds),
          },
          {
            name: t("liveCodes.stats.scans"),
            type: "line",
            smooth: true,
            lineStyle: { type: "dashed" },
            itemStyle: { color: colors.scans },
            data: stats.daily.map((d) => d.scans),
          },
        ],
      }}
    />
  );
}

/**
 * A code's statistics over a date range: totals (scans, adds, deletions and those within 24 h, net
 * adds, spend and cost per add, welcome outcomes), the daily chart, the per-staff table, CSV export.
 */
export function LiveCodeStatsPanel({ id, staffName }: { id: string; staffName: (userid: string) => string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [range, setRange] = useState<Range | null>(null);
  const query = useLiveCodeStats(id, toStatsRange(range), true);
  const [exporting, setExporting] = useState(false);
  const s = query.data;

  const exportCsv = async () => {
    setExporting(true);
    try {
      const r = toStatsRange(range);
      const name = s ? `${s.from}-${s.to}` : "stats";
      saveBlob(await fetchBlob(statsCsvPath(id), { ...r }), `live-code-${id}-${name}.csv`);
    } catch (error) {
      message.error(errorText(t, error));
    } finally {
      setExporting(false);
    }
  };

  return (
    <Card
      title={t("liveCodes.stats.title")}
      data-testid="live-code-stats"
      extra={
        <Flex gap={8} wrap>
          <RangePicker value={shownRange(range, s)} onChange={setRange} />
          <Button
            icon={<DownloadOutlined />}
            onClick={() => void exportCsv()}
            loading={exporting}
            data-testid="live-code-csv"
          >
            {t("liveCodes.stats.csv")}
          </Button>
        </Flex>
      }
    >
      {query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <>
          <Row gutter={[16, 16]}>
            {(
              [
                ["scans", s?.scans],
                ["adds", s?.adds],
                ["deletes", s?.deletes],
                ["deletesWithin24h", s?.deletesWithin24h],
                ["netAdds", s?.netAdds],
              ] as const
            ).map(([key, value]) => (
              <Col xs={12} md={8} xl={4} key={key}>
                <Statistic
                  title={t(`liveCodes.stats.${key}`)}
                  value={value ?? 0}
                  loading={query.isPending}
                  data-testid={`live-code-stat-${key}`}
                />
              </Col>
            ))}
            <Col xs={12} md={8} xl={4}>
              <Tooltip title={t("liveCodes.stats.costHint")}>
                <Statistic
                  title={t("liveCodes.stats.costPerAdd")}
                  value={s?.spendFen ? formatFen(s.costPerAddFen) : "—"}
                  loading={query.isPending}
                  data-testid="live-code-stat-cost"
                />
              </Tooltip>
            </Col>
          </Row>
          <Flex gap={24} wrap style={{ marginTop: 12, color: "rgba(0,0,0,0.55)", fontSize: 13 }}>
            <span>
              {t("liveCodes.stats.spend")}: {formatFen(s?.spendFen ?? 0)}
            </span>
            <span data-testid="live-code-welcome-counts">
              {t("liveCodes.stats.welcome")}:{" "}
              {t("liveCodes.stats.welcomeCounts", {
                sent: s?.welcome.sent ?? 0,
                failed: s?.welcome.failed ?? 0,
                pending: s?.welcome.pending ?? 0,
              })}
            </span>
            {s?.expiredAdds ? (
              <span>
                {t("liveCodes.stats.expiredAdds")}: {s.expiredAdds}
              </span>
            ) : null}
            {s ? (
              <span>
                {t("liveCodes.stats.zone")}: {s.timeZone}
              </span>
            ) : null}
          </Flex>
          <div style={{ marginTop: 16 }}>{s ? <DailyChart stats={s} /> : null}</div>
          <Table
            size="small"
            rowKey="userid"
            style={{ marginTop: 16 }}
            data-testid="live-code-staff-stats"
            loading={query.isPending}
            dataSource={s?.staff ?? []}
            pagination={false}
            locale={{ emptyText: <Empty description={t("liveCodes.stats.noStaff")} /> }}
            columns={[
              {
                title: t("liveCodes.stats.staff"),
                dataIndex: "userid",
                render: (u: string) => staffName(u),
              },
              { title: t("liveCodes.stats.adds"), dataIndex: "adds", align: "right" },
              { title: t("liveCodes.stats.deletes"), dataIndex: "deletes", align: "right" },
              { title: t("liveCodes.stats.deletesWithin24h"), dataIndex: "deletesWithin24h", align: "right" },
              { title: t("liveCodes.stats.netAdds"), dataIndex: "netAdds", align: "right" },
            ]}
          />
        </>
      )}
    </Card>
  );
}

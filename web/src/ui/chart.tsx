import type { EChartsOption } from "echarts";
import { BarChart, FunnelChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
// The ESM build: the CommonJS `lib/core` arrives as `{ default }` in the browser bundle.
import ReactEChartsCore from "echarts-for-react/esm/core";

// Only the pieces we draw, so the echarts chunk stays a fraction of the full build.
echarts.use([
  BarChart,
  FunnelChart,
  LineChart,
  PieChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  CanvasRenderer,
]);

/** Browsers driven by tests report `navigator.webdriver`; no animation there keeps screenshots stable. */
const animate = !navigator.webdriver;

export function Chart({ option, height = 320 }: { option: EChartsOption; height?: number }) {
  return (
    <ReactEChartsCore
      echarts={echarts}
      option={{ animation: animate, ...option }}
      notMerge
      style={{ height, width: "100%" }}
    />
  );
}

import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

// One bundle of everything is ~2.3 MB (STACK.md): routes load lazily, and the heavy libraries get
// chunks of their own so a page that draws no chart never downloads ECharts.
export default defineConfig(({ mode }) => {
  // SIYU_API_URL points the dev/preview proxy at another server (e.g. a test instance on :3999).
  const api = loadEnv(mode, import.meta.dirname, "").SIYU_API_URL || "http://localhost:3000";
  return {
    root: import.meta.dirname,
    plugins: [react()],
    build: {
      outDir: `${import.meta.dirname}/dist`,
      emptyOutDir: true,
      chunkSizeWarningLimit: 1200,
      rolldownOptions: {
        output: {
          codeSplitting: {
            groups: [
              {
                name: "echarts",
                test: /node_modules[\\/](echarts|zrender|echarts-for-react)[\\/]/,
                priority: 30,
              },
              { name: "xyflow", test: /node_modules[\\/](@xyflow|d3-[a-z]+)[\\/]/, priority: 30 },
              {
                name: "react",
                test: /node_modules[\\/](react|react-dom|scheduler|react-router|@tanstack)[\\/]/,
                priority: 20,
              },
            ],
          },
        },
      },
    },
    // The in-app simulators (SIYU_SANDBOX) live under /sandbox on the same server.
    server: { proxy: { "/api": { target: api }, "/sandbox": { target: api } } },
    preview: { proxy: { "/api": { target: api }, "/sandbox": { target: api } } },
  };
});

import type { ThemeConfig } from "antd";

/** WeChat green as the brand colour; a dark sider like most Chinese SaaS consoles. */
export const brandColor = "#07c160";

export const theme: ThemeConfig = {
  token: {
    colorPrimary: brandColor,
    colorInfo: "#1677ff",
    borderRadius: 6,
    fontFamily:
      '-apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", "Helvetica Neue", Arial, sans-serif',
  },
  components: {
    Layout: { siderBg: "#001529", headerBg: "#ffffff", bodyBg: "#f5f7fa" },
  },
};

import {
  AppstoreOutlined,
  AuditOutlined,
  BarChartOutlined,
  ClusterOutlined,
  CommentOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  ExperimentOutlined,
  FormOutlined,
  KeyOutlined,
  LockOutlined,
  MoneyCollectOutlined,
  NotificationOutlined,
  PartitionOutlined,
  QrcodeOutlined,
  SafetyCertificateOutlined,
  SettingOutlined,
  ShareAltOutlined,
  ShopOutlined,
  TeamOutlined,
  ToolOutlined,
  UserOutlined,
  WechatOutlined,
  WifiOutlined,
} from "@ant-design/icons";
import type { ReactNode } from "react";

/** Keys of `planned.areas` in the i18n files: areas whose pages are not built yet. */
export type PlannedArea =
  | "customerList"
  | "tags"
  | "segments"
  | "import"
  | "wecom"
  | "liveCodes"
  | "officialAccount"
  | "commerce"
  | "flows"
  | "workOrders"
  | "inventory"
  | "archive"
  | "fission"
  | "forms"
  | "settlement"
  | "analytics";

export interface NavItem {
  /** Key under `nav.` in the i18n files. */
  key: string;
  path?: string;
  icon?: ReactNode;
  planned?: PlannedArea;
  platformAdminOnly?: boolean;
  /** Shown only when the server runs the simulators (SIYU_SANDBOX). */
  sandboxOnly?: boolean;
  children?: NavItem[];
}

/** Every product area of SPEC.md, in the order of the left menu. */
export const nav: NavItem[] = [
  { key: "dashboard", path: "/", icon: <DashboardOutlined /> },
  {
    key: "customers",
    icon: <TeamOutlined />,
    children: [
      { key: "customerList", path: "/customers" },
      { key: "tags", path: "/customers/tags" },
      { key: "segments", path: "/customers/segments" },
      { key: "import", path: "/customers/import" },
      { key: "mergeReview", path: "/customers/merge-review" },
    ],
  },
  {
    key: "wecom",
    icon: <WechatOutlined />,
    children: [
      { key: "wecomSettings", path: "/wecom/settings" },
      { key: "wecomSync", path: "/wecom/sync" },
      { key: "wecomStaff", path: "/wecom/staff" },
      { key: "wecomGroups", path: "/wecom/groups" },
      { key: "wecomMassMessages", path: "/wecom/mass-messages" },
      { key: "wecomMoments", path: "/wecom/moments" },
      { key: "wecomTransfers", path: "/wecom/transfers" },
      { key: "quickReplies", path: "/wecom/quick-replies" },
      { key: "wecomEvents", path: "/wecom/events" },
      { key: "wecomAlerts", path: "/wecom/alerts" },
    ],
  },
  { key: "liveCodes", path: "/live-codes", icon: <QrcodeOutlined /> },
  { key: "groupLiveCodes", path: "/live-codes/groups", icon: <TeamOutlined /> },
  {
    key: "officialAccount",
    icon: <WifiOutlined />,
    children: [
      { key: "oaSettings", path: "/official-account/settings" },
      { key: "oaFollowers", path: "/official-account/followers" },
      { key: "oaChannels", path: "/official-account/channels" },
      { key: "oaMessaging", path: "/official-account/messaging" },
      { key: "oaMenus", path: "/official-account/menus" },
      { key: "oaRules", path: "/official-account/rules" },
    ],
  },
  { key: "commerce", path: "/commerce", icon: <ShopOutlined />, planned: "commerce" },
  {
    key: "flows",
    icon: <PartitionOutlined />,
    children: [
      { key: "flowList", path: "/flows" },
      { key: "flowTemplates", path: "/flow-templates" },
      { key: "tasks", path: "/tasks" },
    ],
  },
  { key: "workOrders", path: "/work-orders", icon: <ToolOutlined />, planned: "workOrders" },
  { key: "inventory", path: "/inventory", icon: <DatabaseOutlined />, planned: "inventory" },
  { key: "archive", path: "/archive", icon: <CommentOutlined />, planned: "archive" },
  { key: "fission", path: "/fission", icon: <ShareAltOutlined />, planned: "fission" },
  { key: "forms", path: "/forms", icon: <FormOutlined />, planned: "forms" },
  { key: "settlement", path: "/settlement", icon: <MoneyCollectOutlined />, planned: "settlement" },
  { key: "analytics", path: "/analytics", icon: <BarChartOutlined />, planned: "analytics" },
  {
    key: "sandbox",
    icon: <ExperimentOutlined />,
    sandboxOnly: true,
    children: [
      { key: "wecomSimulator", path: "/simulator/wecom" },
      { key: "oaFollowerSim", path: "/simulator/official-account" },
    ],
  },
  {
    key: "settings",
    icon: <SettingOutlined />,
    children: [
      { key: "users", path: "/settings/users", icon: <UserOutlined /> },
      { key: "roles", path: "/settings/roles", icon: <SafetyCertificateOutlined /> },
      { key: "audit", path: "/settings/audit", icon: <AuditOutlined /> },
      { key: "apiKeys", path: "/settings/api-keys", icon: <KeyOutlined /> },
      { key: "security", path: "/settings/security", icon: <LockOutlined /> },
      { key: "contactPolicy", path: "/settings/contact-policy", icon: <NotificationOutlined /> },
      { key: "system", path: "/settings/system", icon: <AppstoreOutlined /> },
      { key: "tenants", path: "/settings/tenants", icon: <ClusterOutlined />, platformAdminOnly: true },
    ],
  },
];

/** Flat list of the leaf items, for route lookups. */
export function leaves(items: NavItem[] = nav): NavItem[] {
  return items.flatMap((item) => (item.children ? leaves(item.children) : [item]));
}

/** The leaf whose path is the longest prefix of `pathname`, and its parent group if any. */
export function findNav(pathname: string): { item?: NavItem; parent?: NavItem } {
  let best: { item?: NavItem; parent?: NavItem } = {};
  let bestLength = -1;
  for (const top of nav) {
    for (const item of top.children ?? [top]) {
      const path = item.path ?? "";
      const matches = path === "/" ? pathname === "/" : pathname === path || pathname.startsWith(`${path}/`);
      if (matches && path.length > bestLength) {
        best = { item, parent: top.children ? top : undefined };
        bestLength = path.length;
      }
    }
  }
  return best;
}

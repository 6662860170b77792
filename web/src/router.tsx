import { Skeleton } from "antd";
import type { ComponentType } from "react";
import { createBrowserRouter, Navigate, Outlet, type RouteObject } from "react-router";
import { AppLayout } from "./modules/shell/app-layout.tsx";
import { leaves } from "./modules/shell/nav.tsx";
import { RouteError } from "./ui/route-error.tsx";

// Every page is its own chunk: a user who only opens the dashboard never downloads the audit log.
function page(load: () => Promise<ComponentType>): Pick<RouteObject, "lazy"> {
  return { lazy: async () => ({ Component: await load() }) };
}

const plannedRoutes: RouteObject[] = leaves()
  .filter((item) => item.planned && item.path)
  .map((item) => ({
    path: item.path!.slice(1),
    ...page(() => import("./routes/planned.tsx").then((m) => m.PlannedPage)),
  }));

// A pathless root gives every lazy route a fallback while its chunk loads on first paint, and one
// error page for all of them.
export const router = createBrowserRouter([
  {
    element: <Outlet />,
    hydrateFallbackElement: <Skeleton active style={{ padding: 24 }} />,
    errorElement: <RouteError />,
    children: [
      { path: "/login", ...page(() => import("./routes/login.tsx").then((m) => m.LoginPage)) },
      // The WeCom chat sidebar: a phone-width page of its own, outside the desktop frame.
      { path: "/sidebar", ...page(() => import("./routes/sidebar.tsx").then((m) => m.SidebarPage)) },
      // The task inbox on a phone (H5), like the sidebar: no desktop frame.
      { path: "/m/tasks", ...page(() => import("./routes/mobile-tasks.tsx").then((m) => m.MobileTasksPage)) },
      {
        path: "/",
        element: <AppLayout />,
        errorElement: <RouteError />,
        children: [
          { index: true, ...page(() => import("./routes/dashboard.tsx").then((m) => m.DashboardPage)) },
          ...plannedRoutes,
          {
            path: "customers",
            ...page(() => import("./routes/customers/list.tsx").then((m) => m.CustomerListPage)),
          },
          {
            path: "customers/tags",
            ...page(() => import("./routes/customers/tags.tsx").then((m) => m.TagsPage)),
          },
          {
            path: "customers/segments",
            ...page(() => import("./routes/customers/segments.tsx").then((m) => m.SegmentsPage)),
          },
          {
            path: "customers/segments/:id",
            ...page(() => import("./routes/customers/segment-members.tsx").then((m) => m.SegmentMembersPage)),
          },
          {
            path: "customers/import",
            ...page(() => import("./routes/customers/import.tsx").then((m) => m.ImportPage)),
          },
          {
            path: "customers/merge-review",
            ...page(() => import("./routes/customers/merge-review.tsx").then((m) => m.MergeReviewPage)),
          },
          {
            path: "customers/:id",
            ...page(() => import("./routes/customers/detail.tsx").then((m) => m.CustomerDetailPage)),
          },
          {
            path: "live-codes",
            ...page(() => import("./routes/live-codes/list.tsx").then((m) => m.LiveCodesPage)),
          },
          {
            path: "live-codes/groups",
            ...page(() => import("./routes/live-codes/groups.tsx").then((m) => m.GroupCodesPage)),
          },
          {
            path: "live-codes/:id",
            ...page(() => import("./routes/live-codes/detail.tsx").then((m) => m.LiveCodeDetailPage)),
          },
          {
            path: "flows",
            ...page(() => import("./routes/flows/list.tsx").then((m) => m.FlowsListPage)),
          },
          {
            path: "flows/:id",
            ...page(() => import("./routes/flows/designer.tsx").then((m) => m.FlowDesignerPage)),
          },
          { path: "tasks", ...page(() => import("./routes/tasks.tsx").then((m) => m.TasksPage)) },
          { path: "official-account", element: <Navigate to="/official-account/followers" replace /> },
          {
            path: "official-account/settings",
            ...page(() => import("./routes/official-account/settings.tsx").then((m) => m.OaSettingsPage)),
          },
          {
            path: "official-account/followers",
            ...page(() => import("./routes/official-account/followers.tsx").then((m) => m.OaFollowersPage)),
          },
          { path: "wecom", element: <Navigate to="/wecom/settings" replace /> },
          {
            path: "wecom/settings",
            ...page(() => import("./routes/wecom/settings.tsx").then((m) => m.WecomSettingsPage)),
          },
          {
            path: "wecom/sync",
            ...page(() => import("./routes/wecom/sync.tsx").then((m) => m.WecomSyncPage)),
          },
          {
            path: "wecom/staff",
            ...page(() => import("./routes/wecom/staff.tsx").then((m) => m.WecomStaffPage)),
          },
          {
            path: "wecom/groups",
            ...page(() => import("./routes/wecom/groups.tsx").then((m) => m.WecomGroupsPage)),
          },
          {
            path: "wecom/events",
            ...page(() => import("./routes/wecom/events.tsx").then((m) => m.WecomEventsPage)),
          },
          {
            path: "wecom/alerts",
            ...page(() => import("./routes/wecom/alerts.tsx").then((m) => m.WecomAlertsPage)),
          },
          {
            path: "simulator/wecom",
            ...page(() => import("./routes/sandbox/wecom-simulator.tsx").then((m) => m.WecomSimulatorPage)),
          },
          {
            path: "simulator/official-account",
            ...page(() => import("./routes/sandbox/oa-follower.tsx").then((m) => m.OaFollowerPage)),
          },
          {
            path: "official-account/channels",
            ...page(() => import("./routes/official-account/channels.tsx").then((m) => m.OaChannelsPage)),
          },
          {
            path: "official-account/messaging",
            ...page(() => import("./routes/official-account/messaging.tsx").then((m) => m.OaMessagingPage)),
          },
          {
            path: "official-account/menus",
            ...page(() => import("./routes/official-account/menus.tsx").then((m) => m.OaMenusPage)),
          },
          {
            path: "official-account/rules",
            ...page(() => import("./routes/official-account/rules.tsx").then((m) => m.OaRulesPage)),
          },
          {
            path: "wecom/quick-replies",
            ...page(() => import("./routes/wecom/quick-replies.tsx").then((m) => m.QuickRepliesPage)),
          },
          {
            path: "wecom/mass-messages",
            ...page(() => import("./routes/wecom/mass-messages.tsx").then((m) => m.MassMessagesPage)),
          },
          {
            path: "wecom/mass-messages/:id",
            ...page(() =>
              import("./routes/wecom/mass-message-detail.tsx").then((m) => m.MassMessageDetailPage),
            ),
          },
          {
            path: "wecom/moments",
            ...page(() => import("./routes/wecom/moments.tsx").then((m) => m.MomentsPage)),
          },
          {
            path: "wecom/transfers",
            ...page(() => import("./routes/wecom/transfers.tsx").then((m) => m.TransfersPage)),
          },
          {
            path: "flow-templates",
            ...page(() => import("./routes/flows/templates.tsx").then((m) => m.FlowTemplatesPage)),
          },
          {
            path: "settings/users",
            ...page(() => import("./routes/settings/users.tsx").then((m) => m.UsersPage)),
          },
          {
            path: "settings/roles",
            ...page(() => import("./routes/settings/roles.tsx").then((m) => m.RolesPage)),
          },
          {
            path: "settings/audit",
            ...page(() => import("./routes/settings/audit.tsx").then((m) => m.AuditPage)),
          },
          {
            path: "settings/api-keys",
            ...page(() => import("./routes/settings/api-keys.tsx").then((m) => m.ApiKeysPage)),
          },
          {
            path: "settings/security",
            ...page(() => import("./routes/settings/security.tsx").then((m) => m.SecurityPage)),
          },
          {
            path: "settings/contact-policy",
            ...page(() => import("./routes/settings/contact-policy.tsx").then((m) => m.ContactPolicyPage)),
          },
          {
            path: "settings/system",
            ...page(() => import("./routes/settings/system.tsx").then((m) => m.SystemPage)),
          },
          {
            path: "settings/tenants",
            ...page(() => import("./routes/settings/tenants.tsx").then((m) => m.TenantsPage)),
          },
          { path: "*", ...page(() => import("./routes/not-found.tsx").then((m) => m.NotFoundPage)) },
        ],
      },
    ],
  },
]);

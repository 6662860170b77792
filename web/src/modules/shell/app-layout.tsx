import { Layout, Skeleton } from "antd";
import { Suspense, useState } from "react";
import { Navigate, Outlet, useLocation } from "react-router";
import { getToken } from "../../api/session.ts";
import { QueryError } from "../../ui/query-error.tsx";
import { useMe } from "../auth/auth.api.ts";
import { AppHeader } from "./app-header.tsx";
import { SideMenu } from "./side-menu.tsx";

/** The signed-in frame: left menu, header, and the current page. No token → the login page. */
export function AppLayout() {
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  const me = useMe();

  if (!getToken()) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        width={224}
        style={{ position: "sticky", top: 0, height: "100vh", overflow: "auto" }}
      >
        <SideMenu collapsed={collapsed} platformAdmin={me.data?.user.platformAdmin ?? false} />
      </Layout.Sider>
      <Layout>
        <AppHeader me={me.data} />
        <Layout.Content style={{ padding: 24 }}>
          {me.isPending ? (
            <Skeleton active paragraph={{ rows: 8 }} />
          ) : me.isError ? (
            <QueryError error={me.error} onRetry={() => void me.refetch()} />
          ) : (
            <Suspense fallback={<Skeleton active paragraph={{ rows: 8 }} />}>
              <Outlet />
            </Suspense>
          )}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

import { Menu, type MenuProps } from "antd";
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate } from "react-router";
import { Logo } from "../../ui/logo.tsx";
import { useSandboxEnabled } from "../wecom/sandbox.api.ts";
import { findNav, type NavItem, nav } from "./nav.tsx";

type MenuItem = Required<MenuProps>["items"][number];

function toMenuItems(
  items: NavItem[],
  show: { platformAdmin: boolean; sandbox: boolean },
  t: (key: string) => string,
): MenuItem[] {
  return items
    .filter((item) => (!item.platformAdminOnly || show.platformAdmin) && (!item.sandboxOnly || show.sandbox))
    .map((item) =>
      item.children
        ? {
            key: item.key,
            icon: item.icon,
            label: t(`nav.${item.key}`),
            children: toMenuItems(item.children, show, t),
          }
        : { key: item.path ?? item.key, icon: item.icon, label: t(`nav.${item.key}`) },
    );
}

export function SideMenu({ collapsed, platformAdmin }: { collapsed: boolean; platformAdmin: boolean }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const { item, parent } = findNav(pathname);
  const sandbox = useSandboxEnabled();
  const items = useMemo(() => toMenuItems(nav, { platformAdmin, sandbox }, t), [platformAdmin, sandbox, t]);

  return (
    <>
      <div
        style={{
          height: 64,
          display: "flex",
          alignItems: "center",
          padding: collapsed ? "0 24px" : "0 20px",
        }}
      >
        <Logo collapsed={collapsed} />
      </div>
      <Menu
        data-testid="main-menu"
        theme="dark"
        mode="inline"
        items={items}
        selectedKeys={item?.path ? [item.path] : []}
        defaultOpenKeys={parent ? [parent.key] : []}
        onClick={({ key }) => navigate(key)}
      />
    </>
  );
}

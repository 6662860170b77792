import { ApartmentOutlined, DownOutlined, LogoutOutlined, UserOutlined } from "@ant-design/icons";
import type { MeResult } from "@siyu/contracts";
import { useQueryClient } from "@tanstack/react-query";
import { Avatar, Dropdown, Flex, Layout, Space, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { LangSwitch } from "../../ui/lang-switch.tsx";
import { logout } from "../auth/auth.api.ts";

export function AppHeader({ me }: { me: MeResult | undefined }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  async function signOut() {
    await logout();
    queryClient.clear();
    navigate("/login", { replace: true });
  }

  const name = me?.user.name || me?.user.email || "";
  return (
    <Layout.Header
      style={{
        padding: "0 24px",
        display: "flex",
        alignItems: "center",
        justifyContent: "space-between",
        borderBottom: "1px solid #f0f0f0",
        position: "sticky",
        top: 0,
        zIndex: 10,
      }}
    >
      <Space size={8}>
        <ApartmentOutlined style={{ color: "#8c8c8c" }} />
        <Typography.Text type="secondary">{t("header.tenant")}</Typography.Text>
        <Typography.Text strong data-testid="tenant-name">
          {me?.tenant.name ?? "…"}
        </Typography.Text>
        {me?.user.platformAdmin ? <Tag color="gold">{t("header.platformAdmin")}</Tag> : null}
      </Space>
      <Flex align="center" gap={8}>
        <LangSwitch />
        <Dropdown
          trigger={["click"]}
          menu={{
            items: [
              { key: "email", label: me?.user.email ?? "", disabled: true, icon: <UserOutlined /> },
              { type: "divider" },
              { key: "logout", label: t("header.logout"), icon: <LogoutOutlined />, danger: true },
            ],
            onClick: ({ key }) => {
              if (key === "logout") void signOut();
            },
          }}
        >
          <Space data-testid="user-menu" style={{ cursor: "pointer" }}>
            <Avatar size="small" style={{ background: "#07c160" }}>
              {name.slice(0, 1).toUpperCase()}
            </Avatar>
            <Typography.Text>{name}</Typography.Text>
            <DownOutlined style={{ fontSize: 10 }} />
          </Space>
        </Dropdown>
      </Flex>
    </Layout.Header>
  );
}

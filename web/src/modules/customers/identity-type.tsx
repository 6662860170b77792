import {
  IdcardOutlined,
  KeyOutlined,
  LinkOutlined,
  MailOutlined,
  PhoneOutlined,
  ShopOutlined,
  WechatOutlined,
  WifiOutlined,
} from "@ant-design/icons";
import { Tag } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

const icons: Record<string, ReactNode> = {
  phone: <PhoneOutlined />,
  email: <MailOutlined />,
  wecom_external_userid: <WechatOutlined />,
  oa_openid: <WifiOutlined />,
  unionid: <LinkOutlined />,
  youzan: <ShopOutlined />,
  taobao: <ShopOutlined />,
  douyin: <ShopOutlined />,
  jd: <ShopOutlined />,
  custom: <KeyOutlined />,
};

const colors: Record<string, string> = {
  phone: "green",
  email: "blue",
  wecom_external_userid: "cyan",
  oa_openid: "lime",
  unionid: "geekblue",
  youzan: "red",
  taobao: "orange",
  douyin: "magenta",
  jd: "volcano",
};

export const identityTypeKeys = Object.keys(icons);

/** The localized name of an identity type (手机, 企业微信, 有赞…); unknown types show as they are. */
export function useIdentityLabel() {
  const { t } = useTranslation();
  return (type: string) => t(`customers.identityTypes.${type}`, { defaultValue: type });
}

export function IdentityTypeTag({ type }: { type: string }) {
  const label = useIdentityLabel();
  return (
    <Tag color={colors[type] ?? "default"} icon={icons[type] ?? <IdcardOutlined />}>
      {label(type)}
    </Tag>
  );
}

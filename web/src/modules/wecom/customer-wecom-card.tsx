import { MobileOutlined, WechatOutlined } from "@ant-design/icons";
import { Card, Descriptions, Flex, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { formatTime } from "../../ui/format.ts";
import { useCustomerWecom } from "./wecom.api.ts";

/**
 * The staff chat sidebar (H5) opened on one WeCom external contact, as WeCom's sidebar would; `text` is
 * the customer's last message (the sandbox has no chat to read it from).
 */
export function sidebarPath(externalUserid: string, text?: string): string {
  const path = `/sidebar?externalUserId=${encodeURIComponent(externalUserid)}`;
  return text ? `${path}&text=${encodeURIComponent(text)}` : path;
}

/**
 * The customer's WeCom facts on the 360 page: each external contact with its follow relations (owner
 * staff by WeCom name, remark, how and through which channel they added). Hidden when there are none.
 */
export function CustomerWecomCard({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const wecom = useCustomerWecom(customerId);
  const contacts = wecom.data?.contacts ?? [];
  if (!contacts.length) return null;
  return (
    <Card
      title={
        <span>
          <WechatOutlined style={{ color: "#07c160", marginRight: 8 }} />
          {t("wecom.customer.title")}
        </span>
      }
      style={{ marginBottom: 16 }}
      data-testid="customer-wecom"
    >
      {contacts.map((c) => (
        <div key={c.externalUserid} style={{ marginBottom: 12 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("wecom.customer.externalUserid")}:{" "}
          </Typography.Text>
          <Typography.Text copyable style={{ fontSize: 12, wordBreak: "break-all" }}>
            {c.externalUserid}
          </Typography.Text>
          <Link
            to={sidebarPath(c.externalUserid)}
            target="_blank"
            style={{ fontSize: 12, marginLeft: 12 }}
            data-testid="customer-wecom-sidebar"
          >
            <MobileOutlined /> {t("wecom.customer.openSidebar")}
          </Link>
          {c.follows.map((f) => (
            <Descriptions
              key={f.userid}
              size="small"
              column={1}
              style={{ marginTop: 8, opacity: f.endedAt ? 0.6 : 1 }}
              title={
                <Flex gap={8} align="center" wrap>
                  <span>
                    {f.staffName && f.staffName !== f.userid ? `${f.staffName}（${f.userid}）` : f.userid}
                  </span>
                  {f.endedAt ? (
                    <Tag color="red">
                      {f.endedBy
                        ? t(`wecom.customer.endedBy.${f.endedBy}`, { defaultValue: f.endedBy })
                        : t("wecom.customer.ended")}
                    </Tag>
                  ) : null}
                </Flex>
              }
              items={[
                { key: "remark", label: t("wecom.customer.remark"), children: f.remark || "—" },
                ...(f.description
                  ? [{ key: "description", label: t("wecom.customer.description"), children: f.description }]
                  : []),
                {
                  key: "addWay",
                  label: t("wecom.customer.addWay"),
                  children:
                    f.addWay === null
                      ? "—"
                      : t(`wecom.customer.addWays.${f.addWay}`, { defaultValue: String(f.addWay) }),
                },
                ...(f.state ? [{ key: "state", label: t("wecom.customer.state"), children: f.state }] : []),
                { key: "addedAt", label: t("wecom.customer.addedAt"), children: formatTime(f.addedAt) },
              ]}
            />
          ))}
        </div>
      ))}
    </Card>
  );
}

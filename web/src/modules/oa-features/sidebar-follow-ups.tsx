import { CheckOutlined } from "@ant-design/icons";
import { Button, Card, List, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { formatTime } from "../../ui/format.ts";
import { completeFollowUp, oafKey, useFollowUps } from "./oa-features.api.ts";

/**
 * The customer's open follow-ups in the WeCom staff sidebar: the staff tasks about them (an OA question
 * turned into a task for the owner staff by a cross-engine rule, a flow's task), the same rows as the
 * task inbox (/m/tasks). Hidden when there is none.
 */
export function SidebarFollowUps({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const q = useFollowUps({ status: "open", customerId });
  const done = useActionMutation({ mutationFn: completeFollowUp, invalidate: [oafKey] });
  const items = q.data?.items ?? [];
  if (!items.length) return null;
  return (
    <Card
      size="small"
      title={t("oaf.sidebar.followUps")}
      extra={<Link to="/m/tasks">{t("oaf.sidebar.inbox")}</Link>}
      data-testid="sidebar-follow-ups"
      styles={{ body: { padding: 8 } }}
    >
      <List
        size="small"
        dataSource={items}
        renderItem={(f) => (
          <List.Item
            actions={[
              <Button key="done" size="small" icon={<CheckOutlined />} onClick={() => done.mutate(f.id)}>
                {t("oaf.sidebar.done")}
              </Button>,
            ]}
          >
            <List.Item.Meta
              title={<Typography.Text style={{ fontSize: 13 }}>{f.title}</Typography.Text>}
              description={`${formatTime(f.createdAt)}${f.ownerUserid ? ` · ${f.ownerUserid}` : ""}`}
            />
          </List.Item>
        )}
      />
    </Card>
  );
}

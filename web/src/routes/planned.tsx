import { ClockCircleOutlined } from "@ant-design/icons";
import { Button, Card, Result, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "react-router";
import { findNav } from "../modules/shell/nav.tsx";
import { PageHeader } from "../ui/page-header.tsx";

/** The page of a product area that is on the plan but not built: it says so, and what it will do. */
export function PlannedPage() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const { item } = findNav(pathname);
  const area = item?.planned;
  const name = item ? t(`nav.${item.key}`) : "";
  return (
    <>
      <PageHeader title={name} extra={<Tag color="orange">{t("planned.badge")}</Tag>} />
      <Card>
        <Result
          icon={<ClockCircleOutlined style={{ color: "#faad14" }} />}
          title={t("planned.title", { area: name })}
          subTitle={
            <div style={{ maxWidth: 560, margin: "0 auto" }}>
              <Typography.Paragraph type="secondary">{t("planned.body")}</Typography.Paragraph>
              {area ? (
                <Typography.Paragraph data-testid="planned-description" style={{ fontSize: 15 }}>
                  {t(`planned.areas.${area}`)}
                </Typography.Paragraph>
              ) : null}
            </div>
          }
          extra={
            <Link to="/">
              <Button type="primary">{t("planned.back")}</Button>
            </Link>
          }
        />
      </Card>
    </>
  );
}

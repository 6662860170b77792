import { LeftOutlined, RightOutlined } from "@ant-design/icons";
import { Button, Flex, Typography } from "antd";
import { useTranslation } from "react-i18next";

/** Previous / next for cursor lists (no total count: the API does not give one, by design). */
export function CursorPager(props: {
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Flex justify="flex-end" align="center" gap={8} style={{ marginTop: 16 }}>
      <Button size="small" icon={<LeftOutlined />} disabled={!props.hasPrev} onClick={props.onPrev}>
        {t("common.prev")}
      </Button>
      <Typography.Text type="secondary" data-testid="pager-page">
        {t("common.page", { page: props.page })}
      </Typography.Text>
      <Button size="small" disabled={!props.hasNext} onClick={props.onNext}>
        {t("common.next")} <RightOutlined />
      </Button>
    </Flex>
  );
}

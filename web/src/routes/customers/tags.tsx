import { Card, Tabs } from "antd";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { TagGroupsPanel } from "../../modules/customers/tag-groups-panel.tsx";
import { TagRulesPanel } from "../../modules/customers/tag-rules-panel.tsx";
import { PageHeader } from "../../ui/page-header.tsx";

export function TagsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") === "rules" ? "rules" : "tags";
  return (
    <>
      <PageHeader title={t("customers.tagAdmin.title")} subtitle={t("customers.tagAdmin.subtitle")} />
      <Card>
        <Tabs
          activeKey={tab}
          onChange={(key) => setParams(key === "rules" ? { tab: "rules" } : {}, { replace: true })}
          items={[
            { key: "tags", label: t("customers.tagAdmin.tabTags"), children: <TagGroupsPanel /> },
            { key: "rules", label: t("customers.tagAdmin.tabRules"), children: <TagRulesPanel /> },
          ]}
        />
      </Card>
    </>
  );
}

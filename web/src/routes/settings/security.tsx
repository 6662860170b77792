import { Col, Row } from "antd";
import { useTranslation } from "react-i18next";
import { EncryptionCard } from "../../modules/security/encryption-card.tsx";
import { TenantSettingsCard } from "../../modules/security/tenant-settings-card.tsx";
import { PageHeader } from "../../ui/page-header.tsx";

export function SecurityPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t("security.title")} subtitle={t("security.subtitle")} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={10}>
          <TenantSettingsCard />
        </Col>
        <Col xs={24} xl={14}>
          <EncryptionCard />
        </Col>
      </Row>
    </>
  );
}

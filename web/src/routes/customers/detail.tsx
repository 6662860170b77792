import {
  ArrowLeftOutlined,
  BranchesOutlined,
  DeleteOutlined,
  DownloadOutlined,
  EditOutlined,
  MoreOutlined,
} from "@ant-design/icons";
import {
  App,
  Avatar,
  Button,
  Card,
  Col,
  Descriptions,
  Dropdown,
  Empty,
  Flex,
  Result,
  Row,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import { ContactPreferencesCard } from "../../modules/contact-policy/contact-preferences-card.tsx";
import {
  EditProfileModal,
  EraseCustomerModal,
  MergeCustomerModal,
} from "../../modules/customers/customer-actions.tsx";
import { CustomerAttributes } from "../../modules/customers/customer-attributes.tsx";
import { CustomerTagsEditor } from "../../modules/customers/customer-tags-editor.tsx";
import { CustomerTimeline } from "../../modules/customers/customer-timeline.tsx";
import { downloadFile, type Identity, useCustomer } from "../../modules/customers/customers.api.ts";
import { IdentityTypeTag } from "../../modules/customers/identity-type.tsx";
import { useOwnerName } from "../../modules/customers/owner-names.ts";
import { CustomerWecomCard } from "../../modules/wecom/customer-wecom-card.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { QueryError } from "../../ui/query-error.tsx";

function NotBuilt({ area }: { area: string }) {
  const { t } = useTranslation();
  return (
    <Empty
      image={Empty.PRESENTED_IMAGE_SIMPLE}
      description={t("customers.moduleNotBuilt", { area: t(`customers.tabs.${area}`) })}
    />
  );
}

export function CustomerDetailPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { id = "" } = useParams();
  const customer = useCustomer(id);
  const me = useMe();
  const ownerName = useOwnerName();
  const [modal, setModal] = useState<"merge" | "erase" | "edit" | null>(null);
  const canWrite = hasPermission(me.data, "customers.write");
  const canExport = hasPermission(me.data, "customers.export");
  const canDelete = hasPermission(me.data, "customers.delete");

  if (customer.isPending) return <Skeleton active paragraph={{ rows: 10 }} />;
  if (customer.isError) {
    if (customer.error instanceof ApiError && customer.error.status === 404) {
      return (
        <Result
          status="404"
          title={t("customers.notFound")}
          extra={
            <Link to="/customers">
              <Button type="primary">{t("customers.backToList")}</Button>
            </Link>
          }
        />
      );
    }
    return <QueryError error={customer.error} onRetry={() => void customer.refetch()} />;
  }
  const c = customer.data;

  const exportJson = async () => {
    try {
      await downloadFile(`/api/customers/${encodeURIComponent(c.id)}/export`, `customer-${c.id}.json`);
    } catch (error) {
      message.error(errorText(t, error));
    }
  };

  return (
    <>
      <Flex justify="space-between" align="flex-start" gap={16} wrap style={{ marginBottom: 20 }}>
        <Flex gap={16} align="center">
          <Button
            type="text"
            icon={<ArrowLeftOutlined />}
            onClick={() => navigate(-1)}
            aria-label={t("customers.backToList")}
          />
          <Avatar size={56} style={{ background: "#07c160", fontSize: 24 }}>
            {c.name.slice(0, 1)}
          </Avatar>
          <div>
            <Space align="center" wrap>
              <Typography.Title level={3} data-testid="page-title" style={{ margin: 0 }}>
                {c.name}
              </Typography.Title>
              {c.lifecycleStage ? (
                <Tag color="green">
                  {t(`customers.stages.${c.lifecycleStage}`, { defaultValue: c.lifecycleStage })}
                </Tag>
              ) : null}
            </Space>
            <Typography.Text type="secondary" style={{ display: "block", marginTop: 4 }}>
              {[c.phone, c.email].filter(Boolean).join(" · ") || t("customers.noContact")}
            </Typography.Text>
          </div>
        </Flex>
        <Space wrap>
          {canWrite ? (
            <Button icon={<EditOutlined />} onClick={() => setModal("edit")}>
              {t("customers.editProfile")}
            </Button>
          ) : null}
          {canWrite ? (
            <Button
              icon={<BranchesOutlined />}
              onClick={() => setModal("merge")}
              data-testid="customer-merge"
            >
              {t("customers.mergeWith")}
            </Button>
          ) : null}
          <Dropdown
            menu={{
              items: [
                {
                  key: "export",
                  icon: <DownloadOutlined />,
                  label: t("customers.exportPersonal"),
                  disabled: !canExport,
                  onClick: () => void exportJson(),
                },
                {
                  key: "erase",
                  icon: <DeleteOutlined />,
                  label: t("customers.erase"),
                  danger: true,
                  disabled: !canDelete,
                  onClick: () => setModal("erase"),
                },
              ],
            }}
          >
            <Button icon={<MoreOutlined />} data-testid="customer-more">
              {t("customers.more")}
            </Button>
          </Dropdown>
        </Space>
      </Flex>

      <Row gutter={[16, 16]}>
        <Col xs={24} xl={8}>
          <Card title={t("customers.profile")} style={{ marginBottom: 16 }}>
            <Descriptions
              size="small"
              column={1}
              items={[
                { key: "phone", label: t("customers.phone"), children: c.phone ?? "—" },
                { key: "email", label: t("customers.email"), children: c.email ?? "—" },
                {
                  key: "stage",
                  label: t("customers.lifecycleStage"),
                  children: c.lifecycleStage
                    ? t(`customers.stages.${c.lifecycleStage}`, { defaultValue: c.lifecycleStage })
                    : "—",
                },
                {
                  key: "owner",
                  label: t("customers.owner"),
                  children: c.ownerUserIds?.length ? c.ownerUserIds.map(ownerName).join("、") : "—",
                },
                { key: "source", label: t("customers.source"), children: c.source ?? "—" },
                { key: "created", label: t("common.createdAt"), children: formatTime(c.createdAt) },
                { key: "updated", label: t("customers.updatedAt"), children: formatTime(c.updatedAt) },
              ]}
            />
          </Card>
          <Card title={t("customers.tags")} style={{ marginBottom: 16 }}>
            <CustomerTagsEditor customer={c} editable={canWrite} />
          </Card>
          <Card title={t("customers.identities")} style={{ marginBottom: 16 }}>
            <Table<Identity>
              size="small"
              rowKey={(i) => `${i.type}:${i.scope ?? ""}:${i.value}`}
              dataSource={c.identities}
              pagination={false}
              showHeader={false}
              data-testid="customer-identities"
              locale={{ emptyText: t("customers.noIdentities") }}
              columns={[
                { dataIndex: "type", width: 120, render: (type: string) => <IdentityTypeTag type={type} /> },
                {
                  dataIndex: "value",
                  render: (value: string, i) => (
                    <Typography.Text copyable={{ text: value }} style={{ wordBreak: "break-all" }}>
                      {value}
                      {i.scope ? <Typography.Text type="secondary"> ({i.scope})</Typography.Text> : null}
                    </Typography.Text>
                  ),
                },
              ]}
            />
          </Card>
          <CustomerWecomCard customerId={c.id} />
          <ContactPreferencesCard customerId={c.id} canEdit={canWrite} />
          <Card title={t("customers.attributes")}>
            <CustomerAttributes customer={c} editable={canWrite} />
          </Card>
        </Col>
        <Col xs={24} xl={16}>
          <Card>
            <Tabs
              items={[
                {
                  key: "timeline",
                  label: t("customers.tabs.timeline"),
                  children: <CustomerTimeline customerId={c.id} />,
                },
                { key: "orders", label: t("customers.tabs.orders"), children: <NotBuilt area="orders" /> },
                { key: "tickets", label: t("customers.tabs.tickets"), children: <NotBuilt area="tickets" /> },
                { key: "forms", label: t("customers.tabs.forms"), children: <NotBuilt area="forms" /> },
                { key: "chats", label: t("customers.tabs.chats"), children: <NotBuilt area="chats" /> },
              ]}
            />
          </Card>
        </Col>
      </Row>
      <MergeCustomerModal customer={c} open={modal === "merge"} onClose={() => setModal(null)} />
      <EraseCustomerModal
        customer={c}
        open={modal === "erase"}
        onClose={() => setModal(null)}
        onErased={() => navigate("/customers", { replace: true })}
      />
      <EditProfileModal customer={c} open={modal === "edit"} onClose={() => setModal(null)} />
    </>
  );
}

import { DownloadOutlined } from "@ant-design/icons";
import { App, Button, Card, Empty, Flex, Input, Select, Space, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useSearchParams } from "react-router";
import { CreateCustomerModal } from "../../modules/customers/create-customer-modal.tsx";
import {
  type Customer,
  customersUrl,
  downloadFile,
  useCustomerPage,
} from "../../modules/customers/customers.api.ts";
import { useOwnerName } from "../../modules/customers/owner-names.ts";
import { TagChips } from "../../modules/customers/tag-chips.tsx";
import { TagSelect } from "../../modules/customers/tag-select.tsx";
import { useSegments } from "../../modules/segments/segments.api.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

export function CustomerListPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  // Filters live in the URL so a filtered list can be shared and survives the trip to a 360 page and back.
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const tags = params.getAll("tag");
  const segment = params.get("segment") ?? undefined;
  const [creating, setCreating] = useState(false);
  const [exporting, setExporting] = useState(false);
  const filters = { q: q || undefined, tags, segment };
  const list = useCustomerPage(filters);
  const segments = useSegments();
  const ownerName = useOwnerName();

  const setFilter = (next: { q?: string; tags?: string[]; segment?: string | null }) => {
    const p = new URLSearchParams();
    const nq = next.q ?? q;
    const ntags = next.tags ?? tags;
    const nsegment = next.segment === undefined ? segment : next.segment;
    if (nq) p.set("q", nq);
    for (const tag of ntags) p.append("tag", tag);
    if (nsegment) p.set("segment", nsegment);
    setParams(p, { replace: true });
  };

  const exportCsv = async () => {
    setExporting(true);
    try {
      await downloadFile(customersUrl("/api/customers/export.csv", filters), "customers.csv");
    } catch (error) {
      message.error(errorText(t, error));
    } finally {
      setExporting(false);
    }
  };

  const filtered = Boolean(q || tags.length || segment);

  return (
    <>
      <PageHeader
        title={t("customers.title")}
        subtitle={t("customers.subtitle")}
        extra={
          <>
            <Button
              icon={<DownloadOutlined />}
              loading={exporting}
              onClick={() => void exportCsv()}
              data-testid="customers-export"
            >
              {t("customers.exportCsv")}
            </Button>
            <CreateButton onClick={() => setCreating(true)} testId="customer-create">
              {t("customers.create")}
            </CreateButton>
          </>
        }
      />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Input.Search
            allowClear
            defaultValue={q}
            placeholder={t("customers.searchPlaceholder")}
            onSearch={(value) => setFilter({ q: value.trim() })}
            style={{ width: 320 }}
            data-testid="customers-search"
          />
          <TagSelect
            value={tags}
            onChange={(v) => setFilter({ tags: v })}
            style={{ minWidth: 240 }}
            testId="customers-tag-filter"
          />
          <Select
            allowClear
            value={segment}
            onChange={(v: string | undefined) => setFilter({ segment: v ?? null })}
            placeholder={t("customers.segmentFilter")}
            loading={segments.isPending}
            style={{ minWidth: 200 }}
            options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
            data-testid="customers-segment-filter"
          />
        </Flex>
        <CursorTable<Customer>
          list={list}
          data-testid="customers-table"
          rowKey="id"
          scroll={{ x: 960 }}
          rowClassName={() => "clickable-row"}
          onRow={(customer) => ({
            onClick: () => navigate(`/customers/${encodeURIComponent(customer.id)}`),
          })}
          locale={{
            emptyText: <Empty description={filtered ? t("common.empty") : t("customers.empty")} />,
          }}
          columns={[
            {
              title: t("customers.name"),
              dataIndex: "name",
              render: (name: string) => <Typography.Text strong>{name}</Typography.Text>,
            },
            {
              title: t("customers.phone"),
              dataIndex: "phone",
              render: (phone: string | null) =>
                phone ?? <Typography.Text type="secondary">—</Typography.Text>,
            },
            {
              title: t("customers.email"),
              dataIndex: "email",
              render: (email: string | null) =>
                email ?? <Typography.Text type="secondary">—</Typography.Text>,
            },
            {
              title: t("customers.tags"),
              dataIndex: "tags",
              render: (_: unknown, c) => <TagChips tags={c.tags} max={4} />,
            },
            {
              title: t("customers.owner"),
              dataIndex: "ownerUserIds",
              render: (ids: string[] | undefined) =>
                ids?.length ? (
                  <Space size={4} wrap>
                    {ids.map((id) => (
                      <span key={id}>{ownerName(id)}</span>
                    ))}
                  </Space>
                ) : (
                  <Typography.Text type="secondary">—</Typography.Text>
                ),
            },
            { title: t("common.createdAt"), dataIndex: "createdAt", render: formatTime, width: 180 },
          ]}
        />
      </Card>
      <CreateCustomerModal open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

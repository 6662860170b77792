import { ArrowLeftOutlined } from "@ant-design/icons";
import { Button, Card, Descriptions, Empty, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import type { Customer } from "../../modules/customers/customers.api.ts";
import { TagChips } from "../../modules/customers/tag-chips.tsx";
import { segmentCount, useSegment } from "../../modules/segments/segments.api.ts";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

export function SegmentMembersPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { id = "" } = useParams();
  const segment = useSegment(id);
  const list = useCursorPage<Customer>(
    `segment-members:${id}`,
    `/api/segments/${encodeURIComponent(id)}/members`,
    {},
  );
  const s = segment.data;

  return (
    <>
      <PageHeader
        title={
          <>
            <Link to="/customers/segments">
              <Button type="text" icon={<ArrowLeftOutlined />} aria-label={t("customers.segment.title")} />
            </Link>{" "}
            {s?.name ?? t("customers.segment.members")}
          </>
        }
        subtitle={t("customers.segment.membersSubtitle")}
      />
      {segment.isError ? <QueryError error={segment.error} /> : null}
      {s ? (
        <Card style={{ marginBottom: 16 }}>
          <Descriptions
            size="small"
            column={{ xs: 1, md: 3 }}
            items={[
              {
                key: "kind",
                label: t("customers.segment.kind"),
                children: (
                  <Tag color={s.kind === "dynamic" ? "green" : "blue"}>
                    {t(`customers.segment.kindNames.${s.kind}`)}
                  </Tag>
                ),
              },
              { key: "count", label: t("customers.segment.count"), children: segmentCount(s) ?? "—" },
              {
                key: "countedAt",
                label: t("customers.segment.countedAt"),
                children: formatTime(s.countedAt),
              },
              {
                key: "expression",
                label: t("customers.segment.expression"),
                span: 3,
                children: <Typography.Text code>{s.expression}</Typography.Text>,
              },
            ]}
          />
        </Card>
      ) : null}
      <Card>
        <CursorTable<Customer>
          list={list}
          rowKey="id"
          data-testid="segment-members-table"
          rowClassName={() => "clickable-row"}
          onRow={(c) => ({ onClick: () => navigate(`/customers/${encodeURIComponent(c.id)}`) })}
          locale={{ emptyText: <Empty description={t("customers.segment.noMembers")} /> }}
          columns={[
            {
              title: t("customers.name"),
              dataIndex: "name",
              render: (n: string) => <Typography.Text strong>{n}</Typography.Text>,
            },
            { title: t("customers.phone"), dataIndex: "phone", render: (p: string | null) => p ?? "—" },
            { title: t("customers.email"), dataIndex: "email", render: (e: string | null) => e ?? "—" },
            {
              title: t("customers.tags"),
              dataIndex: "tags",
              render: (_: unknown, c) => <TagChips tags={c.tags} max={4} />,
            },
            { title: t("common.createdAt"), dataIndex: "createdAt", render: formatTime, width: 180 },
          ]}
        />
      </Card>
    </>
  );
}

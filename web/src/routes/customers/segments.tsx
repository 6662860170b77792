import { DeleteOutlined, EditOutlined, ReloadOutlined, TeamOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Empty, Popconfirm, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { SegmentFormModal } from "../../modules/segments/segment-form-modal.tsx";
import {
  deleteSegment,
  refreshSegment,
  type Segment,
  segmentCount,
  useSegments,
} from "../../modules/segments/segments.api.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

export function SegmentsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const segments = useSegments();
  const [editing, setEditing] = useState<Segment | null | "new">(null);
  const onError = (error: unknown) => message.error(errorText(t, error));
  const refresh = useMutation({
    mutationFn: refreshSegment,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["segments"] }),
    onError,
  });
  const remove = useMutation({
    mutationFn: deleteSegment,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["segments"] }),
    onError,
  });

  return (
    <>
      <PageHeader
        title={t("customers.segment.title")}
        subtitle={t("customers.segment.subtitle")}
        extra={
          <CreateButton onClick={() => setEditing("new")} testId="segment-create">
            {t("customers.segment.create")}
          </CreateButton>
        }
      />
      <Card>
        {segments.isError ? (
          <QueryError error={segments.error} onRetry={() => void segments.refetch()} />
        ) : (
          <Table<Segment>
            rowKey="id"
            data-testid="segments-table"
            loading={segments.isFetching}
            dataSource={segments.data?.items ?? []}
            pagination={false}
            scroll={{ x: 900 }}
            locale={{ emptyText: <Empty description={t("customers.segment.empty")} /> }}
            columns={[
              {
                title: t("customers.segment.name"),
                dataIndex: "name",
                render: (name: string, s) => (
                  <Space orientation="vertical" size={0}>
                    <Link to={`/customers/segments/${encodeURIComponent(s.id)}`}>
                      <Typography.Text strong>{name}</Typography.Text>
                    </Link>
                    <Typography.Text type="secondary" code ellipsis style={{ maxWidth: 420, fontSize: 12 }}>
                      {s.expression}
                    </Typography.Text>
                  </Space>
                ),
              },
              {
                title: t("customers.segment.kind"),
                dataIndex: "kind",
                width: 110,
                render: (kind: Segment["kind"]) => (
                  <Tag color={kind === "dynamic" ? "green" : "blue"}>
                    {t(`customers.segment.kindNames.${kind}`)}
                  </Tag>
                ),
              },
              {
                title: t("customers.segment.count"),
                key: "count",
                width: 110,
                align: "right",
                render: (_: unknown, s) => segmentCount(s)?.toLocaleString() ?? "—",
              },
              {
                title: t("customers.segment.countedAt"),
                dataIndex: "countedAt",
                width: 180,
                render: formatTime,
              },
              {
                title: t("common.actions"),
                key: "actions",
                fixed: "right",
                width: 300,
                render: (_: unknown, s) => (
                  <Space size={0} wrap>
                    <Link to={`/customers/segments/${encodeURIComponent(s.id)}`}>
                      <Button type="link" size="small" icon={<TeamOutlined />}>
                        {t("customers.segment.members")}
                      </Button>
                    </Link>
                    <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(s)}>
                      {t("common.edit")}
                    </Button>
                    <Button
                      type="link"
                      size="small"
                      icon={<ReloadOutlined />}
                      loading={refresh.isPending && refresh.variables === s.id}
                      onClick={() => refresh.mutate(s.id)}
                    >
                      {s.kind === "snapshot"
                        ? t("customers.segment.refreeze")
                        : t("customers.segment.recount")}
                    </Button>
                    <Popconfirm
                      title={t("customers.segment.deleteConfirm")}
                      onConfirm={() => remove.mutate(s.id)}
                    >
                      <Button type="link" size="small" danger icon={<DeleteOutlined />}>
                        {t("common.delete")}
                      </Button>
                    </Popconfirm>
                  </Space>
                ),
              },
            ]}
          />
        )}
      </Card>
      {editing !== null ? (
        <SegmentFormModal
          open
          segment={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </>
  );
}

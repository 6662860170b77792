import { CheckOutlined, CloseOutlined, RollbackOutlined, SwapOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Flex,
  Popconfirm,
  Progress,
  Row,
  Select,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { http, type Page } from "../../api/client.ts";
import {
  acceptMergeCandidate,
  type Customer,
  type MergeCandidate,
  type MergeRecord,
  rejectMergeCandidate,
  undoMerge,
} from "../../modules/customers/customers.api.ts";
import { IdentityTypeTag } from "../../modules/customers/identity-type.tsx";
import { TagChips } from "../../modules/customers/tag-chips.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

function CustomerSide({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  return (
    <Card
      size="small"
      title={<Link to={`/customers/${encodeURIComponent(customer.id)}`}>{customer.name}</Link>}
      style={{ height: "100%" }}
    >
      <Descriptions
        size="small"
        column={1}
        items={[
          { key: "phone", label: t("customers.phone"), children: customer.phone ?? "—" },
          { key: "email", label: t("customers.email"), children: customer.email ?? "—" },
          {
            key: "identities",
            label: t("customers.identities"),
            children: (
              <Flex vertical gap={4}>
                {customer.identities.map((i) => (
                  <span key={`${i.type}:${i.value}`}>
                    <IdentityTypeTag type={i.type} />
                    <Typography.Text style={{ fontSize: 12 }}>{i.value}</Typography.Text>
                  </span>
                ))}
              </Flex>
            ),
          },
          { key: "tags", label: t("customers.tags"), children: <TagChips tags={customer.tags} /> },
          { key: "created", label: t("common.createdAt"), children: formatTime(customer.createdAt) },
        ]}
      />
    </Card>
  );
}

function Candidates() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const candidates = useQuery({
    queryKey: ["merge-candidates"],
    queryFn: () => http.get<Page<MergeCandidate>>("/api/merge-candidates", { status: "open", limit: 50 }),
  });
  const done = () => {
    void queryClient.invalidateQueries({ queryKey: ["merge-candidates"] });
    void queryClient.invalidateQueries({ queryKey: ["merges"] });
    void queryClient.invalidateQueries({ queryKey: ["customers"] });
  };
  const accept = useMutation({
    mutationFn: acceptMergeCandidate,
    onSuccess: () => {
      message.success(t("customers.merged"));
      done();
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  const reject = useMutation({
    mutationFn: rejectMergeCandidate,
    onSuccess: done,
    onError: (e) => message.error(errorText(t, e)),
  });

  if (candidates.isError)
    return <QueryError error={candidates.error} onRetry={() => void candidates.refetch()} />;
  if (candidates.isPending) return <Skeleton active />;
  const items = candidates.data.items;
  if (items.length === 0) return <Empty description={t("customers.merges.noCandidates")} />;
  return (
    <Flex vertical gap={16} data-testid="merge-candidates">
      {items.map((c) => (
        <Card
          key={c.id}
          size="small"
          type="inner"
          title={
            <Space>
              <Tag color="orange">
                {t(`customers.merges.reasons.${c.reason}`, { defaultValue: c.reason })}
              </Tag>
              <Typography.Text type="secondary">{formatTime(c.createdAt)}</Typography.Text>
            </Space>
          }
          extra={
            <Space>
              <Button
                type="primary"
                icon={<CheckOutlined />}
                loading={accept.isPending && accept.variables === c.id}
                onClick={() => accept.mutate(c.id)}
              >
                {t("customers.merges.accept")}
              </Button>
              <Button
                icon={<CloseOutlined />}
                loading={reject.isPending && reject.variables === c.id}
                onClick={() => reject.mutate(c.id)}
              >
                {t("customers.merges.reject")}
              </Button>
            </Space>
          }
        >
          <Row gutter={16} align="middle">
            <Col xs={24} md={10}>
              <CustomerSide customer={c.customers[0]} />
            </Col>
            <Col xs={24} md={4} style={{ textAlign: "center" }}>
              <Progress
                type="circle"
                size={72}
                percent={Math.round(c.score <= 1 ? c.score * 100 : c.score)}
              />
              <div style={{ marginTop: 8 }}>
                <SwapOutlined /> {t("customers.merges.score")}
              </div>
            </Col>
            <Col xs={24} md={10}>
              <CustomerSide customer={c.customers[1]} />
            </Col>
          </Row>
        </Card>
      ))}
    </Flex>
  );
}

function History() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const merges = useQuery({
    queryKey: ["merges"],
    queryFn: () => http.get<Page<MergeRecord>>("/api/merges", { limit: 100 }),
  });
  const undo = useMutation({
    mutationFn: undoMerge,
    onSuccess: () => {
      message.success(t("customers.merges.undone"));
      void queryClient.invalidateQueries({ queryKey: ["merges"] });
      void queryClient.invalidateQueries({ queryKey: ["customers"] });
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  if (merges.isError) return <QueryError error={merges.error} onRetry={() => void merges.refetch()} />;
  const link = (id: string) => <Link to={`/customers/${encodeURIComponent(id)}`}>{id}</Link>;
  return (
    <Table<MergeRecord>
      rowKey="id"
      loading={merges.isFetching}
      dataSource={merges.data?.items ?? []}
      pagination={false}
      locale={{ emptyText: <Empty description={t("customers.merges.noHistory")} /> }}
      columns={[
        { title: t("customers.merges.at"), dataIndex: "at", render: formatTime },
        { title: t("customers.merges.target"), dataIndex: "targetId", render: link },
        {
          title: t("customers.merges.source"),
          dataIndex: "sourceId",
          render: (id: string) => <Typography.Text type="secondary">{id}</Typography.Text>,
        },
        {
          title: t("common.status"),
          dataIndex: "undoneAt",
          render: (v: string | null) =>
            v ? (
              <Tag>{t("customers.merges.undoneAt", { at: formatTime(v) })}</Tag>
            ) : (
              <Tag color="green">{t("customers.merges.active")}</Tag>
            ),
        },
        {
          title: t("common.actions"),
          key: "undo",
          render: (_: unknown, m) =>
            m.undoneAt ? null : (
              <Popconfirm title={t("customers.merges.undoConfirm")} onConfirm={() => undo.mutate(m.id)}>
                <Button
                  type="link"
                  size="small"
                  icon={<RollbackOutlined />}
                  loading={undo.isPending && undo.variables === m.id}
                >
                  {t("customers.merges.undo")}
                </Button>
              </Popconfirm>
            ),
        },
      ]}
    />
  );
}

type MergeRule = "newest" | "keep_both";

/** The tenant's rule for attributes both profiles hold with different values. */
function MergeRuleSetting() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const rule = useQuery({
    queryKey: ["settings", "customers"],
    queryFn: () => http.get<{ mergeAttributes: MergeRule }>("/api/settings/customers"),
  });
  const save = useMutation({
    mutationFn: (mergeAttributes: MergeRule) => http.put("/api/settings/customers", { mergeAttributes }),
    onSuccess: () => {
      message.success(t("customers.merges.ruleSaved"));
      void qc.invalidateQueries({ queryKey: ["settings", "customers"] });
    },
    onError: (err) => message.error(errorText(t, err)),
  });
  return (
    <Card size="small" style={{ marginBottom: 16 }}>
      <Flex align="center" gap={12} wrap>
        <Typography.Text strong>{t("customers.merges.rule")}</Typography.Text>
        <Select<MergeRule>
          data-testid="merge-rule"
          style={{ minWidth: 320 }}
          loading={rule.isLoading || save.isPending}
          value={rule.data?.mergeAttributes}
          onChange={(v) => save.mutate(v)}
          options={[
            { value: "newest", label: t("customers.merges.ruleNewest") },
            { value: "keep_both", label: t("customers.merges.ruleKeepBoth") },
          ]}
        />
        <Typography.Text type="secondary">{t("customers.merges.ruleHint")}</Typography.Text>
      </Flex>
    </Card>
  );
}

export function MergeReviewPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t("customers.merges.title")} subtitle={t("customers.merges.subtitle")} />
      <MergeRuleSetting />
      <Card>
        <Tabs
          items={[
            { key: "review", label: t("customers.merges.review"), children: <Candidates /> },
            { key: "history", label: t("customers.merges.history"), children: <History /> },
          ]}
        />
      </Card>
    </>
  );
}

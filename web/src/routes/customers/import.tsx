import {
  CheckCircleOutlined,
  DownloadOutlined,
  InboxOutlined,
  RedoOutlined,
  UploadOutlined,
} from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Input,
  Progress,
  Row,
  Select,
  Space,
  Statistic,
  Steps,
  Table,
  Tag,
  Typography,
  Upload,
} from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { downloadFile, useCustomFields } from "../../modules/customers/customers.api.ts";
import { identityTypeKeys, useIdentityLabel } from "../../modules/customers/identity-type.tsx";
import {
  type ColumnTarget,
  canRetry,
  guessTarget,
  type ImportJob,
  type ImportUpload,
  retryImport,
  saveMapping,
  startImport,
  uploadCsv,
  useImport,
  useImports,
} from "../../modules/customers/imports.api.ts";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

const statusColors: Record<string, string> = {
  uploaded: "default",
  running: "processing",
  completed: "success",
  failed: "error",
};

function percent(job: ImportJob): number {
  if (job.status === "completed") return 100;
  if (!job.rowsTotal) return 0;
  return Math.min(99, Math.floor((job.rowsDone / job.rowsTotal) * 100));
}

function ErrorReportLink({ job, small }: { job: ImportJob; small?: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  if (job.failed <= 0) return null;
  return (
    <Button
      icon={<DownloadOutlined />}
      size={small ? "small" : "middle"}
      onClick={() =>
        void downloadFile(
          `/api/imports/${encodeURIComponent(job.id)}/errors.csv`,
          `import-${job.id}-errors.csv`,
        ).catch((e: unknown) => message.error(errorText(t, e)))
      }
      data-testid="import-errors"
    >
      {t("customers.imports.errorReport")}
    </Button>
  );
}

/** Restarts a failed or interrupted import from its checkpoint; shown only when the server allows it. */
function RetryButton({ job, small }: { job: ImportJob; small?: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const retry = useMutation({
    mutationFn: () => retryImport(job.id),
    onSuccess: (updated) => {
      message.success(t("customers.imports.retried"));
      queryClient.setQueryData(["imports", job.id], updated);
      void queryClient.invalidateQueries({ queryKey: ["imports"] });
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  if (!canRetry(job)) return null;
  return (
    <Button
      icon={<RedoOutlined />}
      size={small ? "small" : "middle"}
      loading={retry.isPending}
      onClick={() => retry.mutate()}
      data-testid="import-retry"
    >
      {t("customers.imports.retry")}
    </Button>
  );
}

function MappingStep({
  upload,
  mapping,
  setMapping,
}: {
  upload: ImportUpload;
  mapping: Record<string, ColumnTarget>;
  setMapping: (m: Record<string, ColumnTarget>) => void;
}) {
  const { t } = useTranslation();
  const fields = useCustomFields();
  const identityLabel = useIdentityLabel();
  const options = [
    { value: "name", label: t("customers.name") },
    { value: "phone", label: t("customers.phone") },
    { value: "email", label: t("customers.email") },
    { value: "tags", label: t("customers.tags") },
    {
      label: t("customers.imports.attributes"),
      options: [
        ...(fields.data?.items ?? []).map((f) => ({
          value: `attr.${f.key}`,
          label: `${t("customers.imports.attribute")}: ${f.label}`,
        })),
      ],
    },
    {
      label: t("customers.identities"),
      options: identityTypeKeys
        .filter((k) => k !== "phone" && k !== "email")
        .map((k) => ({
          value: `identity.${k}`,
          label: `${t("customers.imports.identity")}: ${identityLabel(k)}`,
        })),
    },
    { value: "skip", label: t("customers.imports.skip") },
  ];
  return (
    <Table
      rowKey="column"
      size="small"
      pagination={false}
      scroll={{ x: 800 }}
      data-testid="import-mapping"
      dataSource={upload.columns.map((column, index) => ({ column, index }))}
      columns={[
        {
          title: t("customers.imports.column"),
          dataIndex: "column",
          width: 160,
          render: (c: string) => <Typography.Text strong>{c}</Typography.Text>,
        },
        {
          title: t("customers.imports.mapTo"),
          key: "target",
          width: 260,
          render: (_: unknown, row) => {
            const value = mapping[row.column] ?? "skip";
            const custom =
              value.startsWith("attr.") && !(fields.data?.items ?? []).some((f) => `attr.${f.key}` === value);
            return (
              <Space.Compact style={{ width: "100%" }}>
                <Select
                  value={custom ? "attr.*" : value}
                  style={{ width: custom ? 130 : "100%" }}
                  onChange={(v: string) =>
                    setMapping({ ...mapping, [row.column]: v === "attr.*" ? `attr.${row.column}` : v })
                  }
                  options={[...options, { value: "attr.*", label: t("customers.imports.newAttribute") }]}
                  data-testid={`import-map-${row.index}`}
                />
                {custom ? (
                  <Input
                    value={value.slice(5)}
                    onChange={(e) => setMapping({ ...mapping, [row.column]: `attr.${e.target.value}` })}
                    placeholder={t("customers.imports.attributeKey")}
                  />
                ) : null}
              </Space.Compact>
            );
          },
        },
        ...[0, 1, 2].map((r) => ({
          title: t("customers.imports.row", { n: r + 1 }),
          key: `r${r}`,
          render: (_: unknown, row: { index: number }) => (
            <Typography.Text type="secondary" ellipsis style={{ maxWidth: 180 }}>
              {upload.sample[r]?.[row.index] ?? ""}
            </Typography.Text>
          ),
        })),
      ]}
    />
  );
}

function PastImports() {
  const { t } = useTranslation();
  const imports = useImports();
  return (
    <Card title={t("customers.imports.history")} style={{ marginTop: 16 }}>
      <Table<ImportJob>
        rowKey="id"
        size="small"
        loading={imports.isFetching}
        dataSource={imports.data?.items ?? []}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: <Empty description={t("customers.imports.noHistory")} /> }}
        columns={[
          {
            title: t("customers.imports.startedAt"),
            dataIndex: "startedAt",
            render: (v: string | null, j) => formatTime(v ?? j.createdAt),
          },
          {
            title: t("customers.imports.file"),
            dataIndex: "fileName",
            render: (v: string | null | undefined, j) => v ?? j.id,
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: string) => (
              <Tag color={statusColors[s]}>{t(`customers.imports.statuses.${s}`, { defaultValue: s })}</Tag>
            ),
          },
          {
            title: t("customers.imports.rows"),
            key: "rows",
            render: (_: unknown, j) => `${j.rowsDone} / ${j.rowsTotal ?? "?"}`,
          },
          { title: t("customers.imports.created"), dataIndex: "created" },
          { title: t("customers.imports.updated"), dataIndex: "updated" },
          {
            title: t("customers.imports.failed"),
            dataIndex: "failed",
            render: (n: number) => (n > 0 ? <Typography.Text type="danger">{n}</Typography.Text> : n),
          },
          {
            title: "",
            key: "actions",
            render: (_: unknown, j) => (
              <Space>
                <RetryButton job={j} small />
                <ErrorReportLink job={j} small />
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

export function ImportPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const fields = useCustomFields();
  const [upload, setUpload] = useState<ImportUpload | null>(null);
  const [mapping, setMapping] = useState<Record<string, ColumnTarget>>({});
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useImport(jobId);
  const step = jobId ? 2 : upload ? 1 : 0;

  const uploadMutation = useMutation({
    mutationFn: uploadCsv,
    onSuccess: (result) => {
      setUpload(result);
      const known = (fields.data?.items ?? []).map((f) => ({ key: f.key, label: f.label }));
      setMapping(Object.fromEntries(result.columns.map((c) => [c, guessTarget(c, known)])));
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const start = useMutation({
    mutationFn: async () => {
      if (!upload) throw new Error("no upload");
      await saveMapping(upload.id, mapping);
      await startImport(upload.id);
      return upload.id;
    },
    onSuccess: (id) => {
      setJobId(id);
      void queryClient.invalidateQueries({ queryKey: ["imports"] });
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  const targets = Object.values(mapping);
  const hasKey = targets.some(
    (v) => v === "phone" || v === "email" || v === "name" || v.startsWith("identity."),
  );
  const duplicate =
    targets.filter((v) => ["name", "phone", "email"].includes(v)).length !==
    new Set(targets.filter((v) => ["name", "phone", "email"].includes(v))).size;
  const finished = Boolean(job.data) && (job.data?.status === "completed" || job.data?.status === "failed");
  // Once the job has finished, refresh the lists it changed.
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: ["imports"], exact: true });
    void queryClient.invalidateQueries({ queryKey: ["customers"] });
    void queryClient.invalidateQueries({ queryKey: ["tags"] });
  }, [finished, queryClient]);

  const reset = () => {
    setUpload(null);
    setMapping({});
    setJobId(null);
    void queryClient.invalidateQueries({ queryKey: ["customers"] });
  };

  return (
    <>
      <PageHeader title={t("customers.imports.title")} subtitle={t("customers.imports.subtitle")} />
      <Card>
        <Steps
          current={finished ? 3 : step}
          style={{ marginBottom: 24 }}
          items={[
            { title: t("customers.imports.stepUpload") },
            { title: t("customers.imports.stepMap") },
            { title: t("customers.imports.stepRun") },
          ]}
        />
        {step === 0 ? (
          <div data-testid="import-upload">
            <Upload.Dragger
              accept=".csv,text/csv"
              multiple={false}
              showUploadList={false}
              disabled={uploadMutation.isPending}
              beforeUpload={(file) => {
                uploadMutation.mutate(file);
                return false;
              }}
            >
              <p className="ant-upload-drag-icon">
                {uploadMutation.isPending ? <UploadOutlined /> : <InboxOutlined />}
              </p>
              <p className="ant-upload-text">
                {uploadMutation.isPending
                  ? t("customers.imports.uploading")
                  : t("customers.imports.dropHere")}
              </p>
              <p className="ant-upload-hint">{t("customers.imports.uploadHint")}</p>
            </Upload.Dragger>
          </div>
        ) : null}
        {step === 1 && upload ? (
          <>
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 16 }}
              title={t("customers.imports.mapHint", {
                columns: upload.columns.length,
                encoding: upload.encoding,
              })}
            />
            <MappingStep upload={upload} mapping={mapping} setMapping={setMapping} />
            {!hasKey ? (
              <Alert
                type="warning"
                showIcon
                style={{ marginTop: 16 }}
                title={t("customers.imports.needKey")}
              />
            ) : null}
            {duplicate ? (
              <Alert
                type="warning"
                showIcon
                style={{ marginTop: 16 }}
                title={t("customers.imports.duplicateTarget")}
              />
            ) : null}
            <Flex justify="flex-end" gap={8} style={{ marginTop: 16 }}>
              <Button onClick={reset}>{t("customers.imports.back")}</Button>
              <Button
                type="primary"
                disabled={!hasKey || duplicate}
                loading={start.isPending}
                onClick={() => start.mutate()}
                data-testid="import-start"
              >
                {t("customers.imports.start")}
              </Button>
            </Flex>
          </>
        ) : null}
        {step === 2 ? (
          <div data-testid="import-progress" data-status={job.data?.status ?? "loading"}>
            {job.data ? (
              <>
                <Flex align="center" gap={12} style={{ marginBottom: 16 }}>
                  <Tag
                    color={statusColors[job.data.status]}
                    icon={job.data.status === "completed" ? <CheckCircleOutlined /> : undefined}
                    data-testid="import-status"
                  >
                    {t(`customers.imports.statuses.${job.data.status}`, { defaultValue: job.data.status })}
                  </Tag>
                  <Typography.Text type="secondary">
                    {t("customers.imports.rowsProgress", {
                      done: job.data.rowsDone,
                      total: job.data.rowsTotal ?? "?",
                    })}
                  </Typography.Text>
                </Flex>
                <Progress
                  percent={percent(job.data)}
                  status={
                    job.data.status === "failed"
                      ? "exception"
                      : job.data.status === "completed"
                        ? "success"
                        : "active"
                  }
                />
                <Row gutter={16} style={{ marginTop: 16 }}>
                  <Col span={6}>
                    <Statistic title={t("customers.imports.rowsDone")} value={job.data.rowsDone} />
                  </Col>
                  <Col span={6}>
                    <Statistic
                      title={t("customers.imports.created")}
                      value={job.data.created}
                      styles={{ content: { color: "#07c160" } }}
                    />
                  </Col>
                  <Col span={6}>
                    <Statistic title={t("customers.imports.updated")} value={job.data.updated} />
                  </Col>
                  <Col span={6}>
                    <span data-testid="import-failed">
                      <Statistic
                        title={t("customers.imports.failed")}
                        value={job.data.failed}
                        styles={{ content: { color: job.data.failed > 0 ? "#f5222d" : undefined } }}
                      />
                    </span>
                  </Col>
                </Row>
                {job.data.status === "failed" ? (
                  <Alert
                    type="error"
                    showIcon
                    style={{ marginTop: 16 }}
                    title={t("customers.imports.failedWith", { error: job.data.error ?? "?" })}
                  />
                ) : canRetry(job.data) ? (
                  <Alert
                    type="warning"
                    showIcon
                    style={{ marginTop: 16 }}
                    title={t("customers.imports.stalled")}
                  />
                ) : null}
                {canRetry(job.data) && !finished ? (
                  <Flex gap={8} justify="flex-end" style={{ marginTop: 16 }}>
                    <RetryButton job={job.data} />
                  </Flex>
                ) : null}
                {finished ? (
                  <Flex gap={8} justify="flex-end" style={{ marginTop: 16 }}>
                    <RetryButton job={job.data} />
                    <ErrorReportLink job={job.data} />
                    <Link to="/customers">
                      <Button>{t("customers.imports.viewCustomers")}</Button>
                    </Link>
                    <Button type="primary" onClick={reset}>
                      {t("customers.imports.another")}
                    </Button>
                  </Flex>
                ) : null}
              </>
            ) : job.isError ? (
              <Alert type="error" showIcon title={errorText(t, job.error)} />
            ) : (
              <Progress percent={0} status="active" />
            )}
          </div>
        ) : null}
      </Card>
      <PastImports />
    </>
  );
}

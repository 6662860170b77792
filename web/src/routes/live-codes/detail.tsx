import {
  ArrowLeftOutlined,
  CopyOutlined,
  DeleteOutlined,
  DownloadOutlined,
  EditOutlined,
  ExportOutlined,
  PictureOutlined,
} from "@ant-design/icons";
import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Flex,
  Input,
  Popconfirm,
  Row,
  Skeleton,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import { LiveCodeForm } from "../../modules/live-codes/live-code-form.tsx";
import { LiveCodeStatsPanel } from "../../modules/live-codes/live-code-stats.tsx";
import { LiveCodeStatus, staffLabel } from "../../modules/live-codes/live-code-status.tsx";
import {
  deleteLiveCode,
  fetchBlob,
  type LiveCode,
  type LiveCodeAdd,
  liveCodesKey,
  qrPath,
  saveBlob,
  useLiveCode,
  useLiveCodeAdds,
  useProtectedImage,
} from "../../modules/live-codes/live-codes.api.ts";
import { PosterModal } from "../../modules/live-codes/poster-modal.tsx";
import { SpendCard } from "../../modules/live-codes/spend-card.tsx";
import { WelcomePreview } from "../../modules/live-codes/welcome-preview.tsx";
import { useStaff } from "../../modules/wecom-actions/wecom-actions.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

const welcomeColor: Record<LiveCodeAdd["welcomeStatus"], string> = {
  none: "default",
  pending: "processing",
  sent: "success",
  failed: "error",
  unknown: "warning",
};

/** The QR (the landing link's PNG), its downloads, and the landing link to copy. */
function QrCard({ code }: { code: LiveCode }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qr = useProtectedImage(qrPath(code.id), { size: 512 });
  const [poster, setPoster] = useState(false);
  const copyLanding = async () => {
    try {
      await navigator.clipboard.writeText(code.landingUrl);
      message.success(t("common.copied"));
    } catch (error) {
      message.error(errorText(t, error));
    }
  };
  const downloadQr = async () => {
    try {
      saveBlob(await fetchBlob(qrPath(code.id), { size: 1024 }), `${code.name}-qr.png`);
    } catch (error) {
      message.error(errorText(t, error));
    }
  };
  return (
    <Card title={t("liveCodes.detail.qr")} data-testid="live-code-qr-card" style={{ height: "100%" }}>
      <Flex vertical align="center" gap={12}>
        {qr.data ? (
          <img
            src={qr.data}
            alt="QR"
            width={200}
            height={200}
            data-testid="live-code-qr"
            style={{ border: "1px solid #f0f0f0", borderRadius: 8 }}
          />
        ) : (
          <Skeleton.Image active style={{ width: 200, height: 200 }} />
        )}
        <Space wrap style={{ justifyContent: "center" }}>
          <Button
            icon={<DownloadOutlined />}
            onClick={() => void downloadQr()}
            data-testid="live-code-qr-download"
          >
            {t("liveCodes.detail.downloadQr")}
          </Button>
          <Button icon={<PictureOutlined />} onClick={() => setPoster(true)} data-testid="live-code-poster">
            {t("liveCodes.detail.poster")}
          </Button>
        </Space>
        <div style={{ width: "100%" }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("liveCodes.detail.landing")}
          </Typography.Text>
          <Space.Compact style={{ width: "100%", marginTop: 4 }}>
            <Input readOnly value={code.landingUrl} data-testid="live-code-landing" />
            <Tooltip title={t("common.copy")}>
              <Button
                icon={<CopyOutlined />}
                onClick={() => void copyLanding()}
                data-testid="live-code-landing-copy"
              />
            </Tooltip>
            <Tooltip title={t("liveCodes.detail.open")}>
              <Button icon={<ExportOutlined />} href={code.landingUrl} target="_blank" rel="noreferrer" />
            </Tooltip>
          </Space.Compact>
          <Typography.Text type="secondary" style={{ fontSize: 12, display: "block", marginTop: 4 }}>
            {t("liveCodes.detail.landingHint")}
          </Typography.Text>
        </div>
      </Flex>
      {poster ? <PosterModal code={code} open onClose={() => setPoster(false)} /> : null}
    </Card>
  );
}

function Settings({ code, name }: { code: LiveCode; name: (u: string) => string }) {
  const { t } = useTranslation();
  const people = (ids: string[]) =>
    ids.length ? (
      <Space size={4} wrap>
        {ids.map((u) => (
          <Tag key={u}>{name(u)}</Tag>
        ))}
      </Space>
    ) : (
      "—"
    );
  return (
    <Card title={t("liveCodes.detail.settings")} style={{ height: "100%" }}>
      <Descriptions column={1} size="small" styles={{ label: { width: 150, whiteSpace: "nowrap" } }}>
        <Descriptions.Item label={t("liveCodes.form.staffPool")}>
          {people(code.staffUserIds)}
        </Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.detail.active")}>
          <span data-testid="live-code-active">{people(code.activeUserIds)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.form.strategy")}>
          {t(`liveCodes.strategies.${code.strategy}`)}
        </Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.form.dailyCap")}>
          {code.dailyCap ?? t("liveCodes.form.noCap")}
        </Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.form.backup")}>{people(code.backupUserIds)}</Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.form.tags")}>
          {code.tags.length ? (
            <Space size={4} wrap data-testid="live-code-tags-view">
              {code.tags.map((tag) => (
                <Tag key={tag} color="blue">
                  {tag}
                </Tag>
              ))}
            </Space>
          ) : (
            "—"
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.form.remark")}>
          {code.remarkTemplate ? <code>{code.remarkTemplate}</code> : "—"}
        </Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.form.skipVerify")}>
          {code.skipVerify ? t("common.yes") : t("common.no")}
        </Descriptions.Item>
        <Descriptions.Item label={t("liveCodes.form.validity")}>
          {code.validFrom || code.validUntil
            ? `${formatTime(code.validFrom)} ~ ${formatTime(code.validUntil)}`
            : t("liveCodes.permanent")}
        </Descriptions.Item>
        <Descriptions.Item label="state">
          <code>{code.state}</code>
        </Descriptions.Item>
        <Descriptions.Item label={t("common.createdAt")}>{formatTime(code.createdAt)}</Descriptions.Item>
      </Descriptions>
    </Card>
  );
}

function RecentAdds({ id, name }: { id: string; name: (u: string) => string }) {
  const { t } = useTranslation();
  const adds = useLiveCodeAdds(id);
  return (
    <Card title={t("liveCodes.detail.adds")}>
      <Table<LiveCodeAdd>
        size="small"
        rowKey="id"
        data-testid="live-code-adds"
        loading={adds.isPending}
        dataSource={adds.data?.items ?? []}
        pagination={false}
        scroll={{ x: 720 }}
        locale={{ emptyText: <Empty description={t("liveCodes.detail.noAdds")} /> }}
        columns={[
          { title: t("common.createdAt"), dataIndex: "addedAt", width: 170, render: formatTime },
          {
            title: t("liveCodes.detail.customer"),
            key: "customer",
            render: (_: unknown, a) =>
              a.customerId ? (
                <Link to={`/customers/${encodeURIComponent(a.customerId)}`}>{a.externalUserid}</Link>
              ) : (
                <code>{a.externalUserid}</code>
              ),
          },
          { title: t("liveCodes.stats.staff"), dataIndex: "userid", render: (u: string) => name(u) },
          {
            title: t("liveCodes.detail.welcome"),
            key: "welcome",
            render: (_: unknown, a) => (
              <Space size={4} wrap>
                <Tag
                  color={welcomeColor[a.welcomeStatus]}
                  data-testid={`live-code-welcome-${a.welcomeStatus}`}
                >
                  {t(`liveCodes.welcomeStatus.${a.welcomeStatus}`)}
                </Tag>
                {a.welcomeVariant ? <Tag bordered={false}>{a.welcomeVariant}</Tag> : null}
                {a.welcomeLatencyMs !== null ? (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {a.welcomeLatencyMs} ms
                  </Typography.Text>
                ) : null}
                {a.welcomeError ? (
                  <Typography.Text type="danger" style={{ fontSize: 12 }}>
                    {a.welcomeErrcode ? `${a.welcomeErrcode} ` : ""}
                    {a.welcomeError}
                  </Typography.Text>
                ) : null}
              </Space>
            ),
          },
          {
            title: t("liveCodes.detail.kind"),
            key: "kind",
            width: 110,
            render: (_: unknown, a) => (
              <Space size={4}>
                {a.kind === "half" ? <Tag>{t("liveCodes.detail.half")}</Tag> : null}
                {a.expired ? <Tag color="warning">{t("liveCodes.detail.expired")}</Tag> : null}
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

/** 渠道活码 › one code: QR and poster, settings, welcome preview, statistics, adds and spend. */
export function LiveCodeDetailPage() {
  const { t } = useTranslation();
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const me = useMe();
  const canManage = hasPermission(me.data, "channels.manage");
  const code = useLiveCode(id);
  const staff = useStaff();
  const [editing, setEditing] = useState(false);
  const names = new Map((staff.data?.items ?? []).map((s) => [s.userid, s.name]));
  const name = (u: string) => staffLabel(names, u);
  const remove = useActionMutation({
    mutationFn: () => deleteLiveCode(id),
    successText: t("liveCodes.deleted"),
    invalidate: [liveCodesKey],
    onSuccess: () => void navigate("/live-codes"),
  });

  if (code.isError) {
    return (
      <>
        <PageHeader title={t("liveCodes.title")} />
        <QueryError error={code.error} onRetry={() => void code.refetch()} />
      </>
    );
  }
  if (!code.data) return <Skeleton active />;
  const c = code.data;

  return (
    <>
      <PageHeader
        title={
          <Space>
            <Link to="/live-codes" aria-label={t("liveCodes.title")}>
              <ArrowLeftOutlined />
            </Link>
            <span data-testid="live-code-title">{c.name}</span>
            <LiveCodeStatus code={c} />
          </Space>
        }
        subtitle={t("liveCodes.detail.subtitle", { adds: c.adds })}
        extra={
          canManage && c.status !== "deleted" ? (
            <>
              <Button icon={<EditOutlined />} onClick={() => setEditing(true)} data-testid="live-code-edit">
                {t("common.edit")}
              </Button>
              <Popconfirm
                title={t("liveCodes.deleteConfirm")}
                onConfirm={() => remove.mutateAsync(undefined)}
              >
                <Button danger icon={<DeleteOutlined />} data-testid="live-code-delete">
                  {t("common.delete")}
                </Button>
              </Popconfirm>
            </>
          ) : null
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={7}>
          <QrCard code={c} />
        </Col>
        <Col xs={24} lg={10}>
          <Settings code={c} name={name} />
        </Col>
        <Col xs={24} lg={7}>
          <Card title={t("liveCodes.detail.welcomeMessage")} style={{ height: "100%" }}>
            <Flex justify="center">
              <WelcomePreview
                text={c.welcome?.text}
                attachments={c.welcome?.attachments ?? []}
                nickname={t("liveCodes.preview.sampleNickname")}
                staff={names.get(c.staffUserIds[0] ?? "") || c.staffUserIds[0] || ""}
                channel={c.name}
                caption={
                  c.welcome?.variants?.length
                    ? t("liveCodes.detail.variants", { n: c.welcome.variants.length })
                    : undefined
                }
              />
            </Flex>
          </Card>
        </Col>
        <Col span={24}>
          <LiveCodeStatsPanel id={c.id} staffName={name} />
        </Col>
        <Col span={24}>
          <RecentAdds id={c.id} name={name} />
        </Col>
        <Col span={24}>
          <SpendCard id={c.id} canManage={canManage} />
        </Col>
      </Row>
      {editing ? (
        <LiveCodeForm open code={c} onClose={() => setEditing(false)} onSaved={() => void code.refetch()} />
      ) : null}
    </>
  );
}

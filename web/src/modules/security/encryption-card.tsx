import { SyncOutlined } from "@ant-design/icons";
import type { KeyRotation } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Empty,
  Popconfirm,
  Progress,
  Skeleton,
  Statistic,
  Table,
  Tag,
  Typography,
} from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { QueryError } from "../../ui/query-error.tsx";
import { isRunning, percent, rotateKeys, useEncryption } from "./security.api.ts";

const statusColor: Record<string, string> = {
  running: "processing",
  queued: "default",
  completed: "success",
  done: "success",
  failed: "error",
};

export function EncryptionCard() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const encryption = useEncryption();
  const rotate = useMutation({
    mutationFn: rotateKeys,
    onSuccess: () => {
      message.success(t("security.rotationStarted"));
      void queryClient.invalidateQueries({ queryKey: ["settings", "encryption"] });
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  const data = encryption.data;
  const running = data?.rotations.find(isRunning);
  return (
    <Card
      title={t("security.keys")}
      extra={
        <Popconfirm
          title={t("security.rotateConfirm")}
          onConfirm={() => rotate.mutate()}
          disabled={Boolean(running)}
        >
          <Button
            icon={<SyncOutlined spin={Boolean(running)} />}
            loading={rotate.isPending}
            disabled={Boolean(running)}
            data-testid="rotate-keys"
          >
            {t("security.rotate")}
          </Button>
        </Popconfirm>
      }
    >
      {encryption.isError ? (
        <QueryError error={encryption.error} onRetry={() => void encryption.refetch()} />
      ) : encryption.isPending ? (
        <Skeleton active />
      ) : (
        <>
          <Statistic title={t("security.keyVersion")} value={`v${data?.keyVersion ?? "?"}`} />
          {running ? (
            <div style={{ margin: "16px 0" }} data-testid="rotation-progress">
              <Typography.Text>
                {t("security.current")} · {formatNumber(running.rowsDone)} / {formatNumber(running.rowsTotal)}
              </Typography.Text>
              <Progress percent={percent(running)} status="active" />
            </div>
          ) : null}
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t("security.rotations")}
          </Typography.Title>
          <Table<KeyRotation>
            rowKey="id"
            size="small"
            pagination={{ pageSize: 5, hideOnSinglePage: true }}
            dataSource={data?.rotations ?? []}
            locale={{
              emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("security.empty")} />,
            }}
            columns={[
              {
                title: t("common.status"),
                dataIndex: "status",
                render: (s: string) => (
                  <Tag color={statusColor[s] ?? "default"}>
                    {t(`security.rotationStatus.${s}`, { defaultValue: s })}
                  </Tag>
                ),
              },
              {
                title: t("security.progress"),
                key: "progress",
                width: 200,
                render: (_: unknown, r) => (
                  <Progress
                    percent={percent(r)}
                    size="small"
                    status={r.status === "failed" ? "exception" : undefined}
                  />
                ),
              },
              { title: t("security.startedAt"), dataIndex: "startedAt", render: formatTime },
              { title: t("security.finishedAt"), dataIndex: "finishedAt", render: formatTime },
            ]}
          />
        </>
      )}
    </Card>
  );
}

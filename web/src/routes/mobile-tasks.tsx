import { Badge, Empty, Flex, Segmented, Skeleton, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useLocation } from "react-router";
import { getToken } from "../api/session.ts";
import { TaskCard } from "../modules/tasks/task-card.tsx";
import { useTasks } from "../modules/tasks/tasks.api.ts";
import { QueryError } from "../ui/query-error.tsx";

/**
 * The task inbox as a phone page (H5, opened from a WeCom message or the workbench), outside the
 * desktop frame like the chat sidebar: my open approvals and tasks, decided with one tap.
 */
export function MobileTasksPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const [status, setStatus] = useState<"open" | "completed">("open");
  const tasks = useTasks({ status, scope: "mine" });
  if (!getToken()) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  const open = status === "open" ? (tasks.data?.items.length ?? 0) : 0;
  return (
    <div style={{ minHeight: "100vh", background: "#f2f3f5" }}>
      <div style={{ maxWidth: 480, margin: "0 auto", padding: 12 }} data-testid="mobile-tasks">
        <Flex align="center" justify="space-between" style={{ marginBottom: 12 }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t("tasks.mobileTitle")} {open ? <Badge count={open} /> : null}
          </Typography.Title>
          <Segmented
            size="small"
            value={status}
            onChange={(v) => setStatus(v as typeof status)}
            options={[
              { value: "open", label: t("tasks.status.open") },
              { value: "completed", label: t("tasks.status.completed") },
            ]}
          />
        </Flex>
        {tasks.isError ? (
          <QueryError error={tasks.error} onRetry={() => void tasks.refetch()} />
        ) : tasks.isPending ? (
          <Skeleton active />
        ) : tasks.data.items.length ? (
          <Flex vertical gap={12} data-testid="task-list">
            {tasks.data.items.map((task) => (
              <TaskCard key={task.id} task={task} compact />
            ))}
          </Flex>
        ) : (
          <Empty description={t("tasks.empty")} style={{ marginTop: 64 }} />
        )}
      </div>
    </div>
  );
}

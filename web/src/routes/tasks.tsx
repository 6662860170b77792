import { Col, Empty, Flex, Row, Segmented, Skeleton } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { hasPermission, useMe } from "../modules/auth/auth.api.ts";
import { TaskCard } from "../modules/tasks/task-card.tsx";
import { useTasks } from "../modules/tasks/tasks.api.ts";
import { PageHeader } from "../ui/page-header.tsx";
import { QueryError } from "../ui/query-error.tsx";

/** 待办: approvals and tasks the flows assigned to me (or, for managers, to anyone). */
export function TasksPage() {
  const { t } = useTranslation();
  const me = useMe();
  const canAll = hasPermission(me.data, "tasks.manage");
  const [status, setStatus] = useState<"open" | "completed" | "cancelled">("open");
  const [scope, setScope] = useState<"mine" | "all">("mine");
  const tasks = useTasks({ status, scope });
  return (
    <>
      <PageHeader
        title={t("tasks.title")}
        subtitle={
          <>
            {t("tasks.subtitle")} <Link to="/m/tasks">{t("tasks.mobileLink")}</Link>
          </>
        }
        extra={
          <>
            <Segmented
              value={status}
              onChange={(v) => setStatus(v as typeof status)}
              options={(["open", "completed", "cancelled"] as const).map((s) => ({
                value: s,
                label: t(`tasks.status.${s}`),
              }))}
            />
            {canAll ? (
              <Segmented
                value={scope}
                onChange={(v) => setScope(v as typeof scope)}
                options={[
                  { value: "mine", label: t("tasks.scope.mine") },
                  { value: "all", label: t("tasks.scope.all") },
                ]}
              />
            ) : null}
          </>
        }
      />
      {tasks.isError ? (
        <QueryError error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : tasks.isPending ? (
        <Skeleton active />
      ) : tasks.data.items.length ? (
        <Row gutter={[16, 16]} data-testid="task-list">
          {tasks.data.items.map((task) => (
            <Col key={task.id} xs={24} md={12} xl={8}>
              <TaskCard task={task} />
            </Col>
          ))}
        </Row>
      ) : (
        <Flex justify="center" style={{ padding: 48 }}>
          <Empty description={t("tasks.empty")} data-testid="task-empty" />
        </Flex>
      )}
    </>
  );
}

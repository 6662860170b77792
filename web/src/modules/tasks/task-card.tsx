import { CheckOutlined, CloseOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Flex, Input, Modal, Space, Tag, Typography } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { CustomerLink } from "../customers/customer-link.tsx";
import { useFlowsForSelect } from "../flows/flows.api.ts";
import { completeTask, type Task, tasksKey } from "./tasks.api.ts";

/** One approval or task with its decision buttons; a comment is asked for in a small dialog. */
export function TaskCard({ task, compact }: { task: Task; compact?: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [deciding, setDeciding] = useState<string | null>(null);
  const [comment, setComment] = useState("");
  const flows = useFlowsForSelect();
  const flowName = flows.data?.items.find((f) => f.id === task.flowId)?.name ?? task.flowId;
  const done = useMutation({
    mutationFn: (outcome: string) => completeTask(task.id, { outcome, comment: comment.trim() || undefined }),
    onSuccess: (_r, outcome) => {
      message.success(t("tasks.decided", { outcome: t(`flows.when.${outcome}`, { defaultValue: outcome }) }));
      setDeciding(null);
      setComment("");
      void qc.invalidateQueries({ queryKey: [...tasksKey] });
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  const outcomes =
    task.type === "approval" ? ["approved", "rejected"] : task.outcomes.length ? task.outcomes : ["done"];
  const overdue = task.dueAt && task.status === "open" && dayjs(task.dueAt).isBefore(dayjs());
  return (
    <Card
      size="small"
      data-testid="task-card"
      data-task-id={task.id}
      title={
        <Space size={6} wrap>
          <Tag color={task.type === "approval" ? "magenta" : "cyan"}>{t(`tasks.types.${task.type}`)}</Tag>
          <span style={{ whiteSpace: "normal" }}>{task.title}</span>
          {task.escalated ? <Tag color="orange">{t("tasks.escalated")}</Tag> : null}
          {overdue ? <Tag color="red">{t("tasks.overdue")}</Tag> : null}
        </Space>
      }
      extra={
        !compact ? <Typography.Text type="secondary">{formatTime(task.createdAt)}</Typography.Text> : null
      }
    >
      {task.description ? (
        <Typography.Paragraph style={{ marginBottom: 8 }}>{task.description}</Typography.Paragraph>
      ) : null}
      <Flex vertical gap={4} style={{ fontSize: 13, marginBottom: task.status === "open" ? 12 : 0 }}>
        <span>
          {t("tasks.customer")}：<CustomerLink id={task.customerId} />
        </span>
        <span data-testid="task-source" data-source={task.source}>
          {t("tasks.source")}：
          <Tag style={{ marginInlineEnd: 4 }}>
            {t(`tasks.sources.${task.source}`, { defaultValue: task.source })}
          </Tag>
          {task.flowId ? (
            <>
              <Link to={`/flows/${encodeURIComponent(task.flowId)}?tab=monitor`}>{flowName}</Link>
              {task.nodeId ? <Typography.Text type="secondary"> · {task.nodeId}</Typography.Text> : null}
              {task.flowInstanceId ? (
                <>
                  {" · "}
                  <Link
                    to={`/flows/${encodeURIComponent(task.flowId)}?tab=monitor&instance=${encodeURIComponent(task.flowInstanceId)}`}
                    data-testid="task-instance-link"
                  >
                    {t("tasks.instance")}
                  </Link>
                </>
              ) : null}
            </>
          ) : null}
        </span>
        {task.staffUserid ? (
          <span>
            {t("tasks.staff")}：{task.staffUserid}
          </span>
        ) : null}
        {task.dueAt ? (
          <span>
            {t("tasks.due")}：{formatTime(task.dueAt)}
          </span>
        ) : null}
        {compact ? (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {formatTime(task.createdAt)}
          </Typography.Text>
        ) : null}
        {task.decisions.map((d) => (
          <Typography.Text key={`${d.at}-${d.userId}`} type="secondary" style={{ fontSize: 12 }}>
            {formatTime(d.at)} · {t(`flows.when.${d.outcome}`, { defaultValue: d.outcome })}
            {d.comment ? `：${d.comment}` : ""}
          </Typography.Text>
        ))}
        {task.status !== "open" ? (
          <span>
            <Tag color={task.outcome === "rejected" ? "red" : "green"}>
              {task.outcome
                ? t(`flows.when.${task.outcome}`, { defaultValue: task.outcome })
                : t(`tasks.status.${task.status}`)}
            </Tag>
            {task.decisions.length ? null : task.comment}
          </span>
        ) : null}
      </Flex>
      {task.status === "open" ? (
        <Flex gap={8} wrap>
          {outcomes.map((o) => (
            <Button
              key={o}
              type={o === "rejected" ? "default" : "primary"}
              danger={o === "rejected"}
              block={compact}
              icon={o === "approved" ? <CheckOutlined /> : o === "rejected" ? <CloseOutlined /> : undefined}
              data-testid={`task-${o}`}
              onClick={() => setDeciding(o)}
            >
              {t(`tasks.outcomeButtons.${o}`, { defaultValue: t(`flows.when.${o}`, { defaultValue: o }) })}
            </Button>
          ))}
        </Flex>
      ) : null}
      <Modal
        open={deciding !== null}
        title={t("tasks.confirmTitle", {
          outcome: deciding ? t(`flows.when.${deciding}`, { defaultValue: deciding }) : "",
        })}
        onCancel={() => setDeciding(null)}
        okButtonProps={{ loading: done.isPending, "data-testid": "task-confirm" }}
        onOk={() => deciding && done.mutate(deciding)}
        width={compact ? 340 : 480}
      >
        <Input.TextArea
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          placeholder={t("tasks.commentPlaceholder")}
          autoSize={{ minRows: 3 }}
          maxLength={2000}
          data-testid="task-comment"
        />
      </Modal>
    </Card>
  );
}

import { CaretRightOutlined } from "@ant-design/icons";
import { useMutation } from "@tanstack/react-query";
import { Alert, Button, Flex, Form, Select, Tag, Timeline, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { CustomerPicker } from "../customers/customer-picker.tsx";
import { useWhenLabel } from "./flow-canvas.tsx";
import type { CanvasNode, Params } from "./flow-graph.ts";
import { dryRunFlow, type FlowDryRunResult } from "./flows.api.ts";
import { lookOf, outcomesOf } from "./node-types.tsx";

/**
 * A dry run on a sample customer: nothing is sent or written; the engine walks the (saved) draft and
 * says which way each node would go. Human decisions and event waits take the outcome chosen here.
 */
export function DryRunPanel({
  flowId,
  nodes,
  version,
  beforeRun,
  result,
  onResult,
  summarize,
}: {
  flowId: string;
  nodes: CanvasNode[];
  /** A published version to run instead of the draft. */
  version?: number;
  /** Saves unsaved edits first: the engine runs the stored draft. */
  beforeRun: () => Promise<void>;
  result: FlowDryRunResult | null;
  onResult: (r: FlowDryRunResult | null) => void;
  summarize: (type: string, params: Params) => string;
}) {
  const { t } = useTranslation();
  const whenLabel = useWhenLabel();
  const [customerId, setCustomerId] = useState<string>();
  const [choices, setChoices] = useState<Record<string, string>>({});
  const decided = nodes.filter(
    (n) =>
      n.data.type === "approval" ||
      n.data.type === "task" ||
      (n.data.type === "wait" && "event" in n.data.params),
  );
  const trigger = nodes.find((n) => n.data.type === "trigger");
  const run = useMutation({
    mutationFn: async () => {
      await beforeRun();
      const p = trigger?.data.params ?? {};
      const payload: Record<string, unknown> = {};
      if (typeof p.tag === "string") payload.tag = p.tag;
      return dryRunFlow(flowId, {
        customerId,
        ...(typeof p.event === "string" ? { event: { type: p.event, payload } } : {}),
        ...(version ? { version } : {}),
        choices,
      });
    },
    onSuccess: onResult,
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (
    <div data-testid="dry-run-panel">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t("flows.dryRun.intro")}
      </Typography.Paragraph>
      <Form layout="vertical" size="small" component="div">
        <Form.Item label={t("flows.dryRun.customer")} style={{ marginBottom: 12 }}>
          <CustomerPicker value={customerId} onChange={(id) => setCustomerId(id)} />
        </Form.Item>
        {decided.map((n) => {
          const options = outcomesOf(n.data.type, n.data.params).filter((o) => o && o !== "error");
          return (
            <Form.Item
              key={n.id}
              label={t("flows.dryRun.assume", {
                node: n.data.label || `${t(`flows.types.${n.data.type}`)} ${n.id}`,
              })}
              style={{ marginBottom: 12 }}
            >
              <Select
                value={choices[n.id] ?? options[0]}
                data-testid={`dry-run-choice-${n.id}`}
                onChange={(v: string) => setChoices((c) => ({ ...c, [n.id]: v }))}
                options={options.map((o) => ({ value: o, label: whenLabel(o) }))}
              />
            </Form.Item>
          );
        })}
      </Form>
      <Flex gap={8} style={{ marginBottom: 12 }}>
        <Button
          type="primary"
          icon={<CaretRightOutlined />}
          loading={run.isPending}
          onClick={() => run.mutate()}
          data-testid="dry-run-start"
        >
          {t("flows.dryRun.run")}
        </Button>
        {result ? (
          <Button onClick={() => onResult(null)} data-testid="dry-run-clear">
            {t("flows.dryRun.clear")}
          </Button>
        ) : null}
      </Flex>
      {run.isError ? <Alert type="error" showIcon title={errorText(t, run.error)} /> : null}
      {result ? (
        <div data-testid="dry-run-result">
          <Alert
            style={{ marginBottom: 12 }}
            type={result.endedBy === "end" ? "success" : "warning"}
            showIcon
            title={t(`flows.dryRun.endedBy.${result.endedBy}`, { n: result.steps.length })}
          />
          <Timeline
            items={result.steps.map((s, i) => {
              const n = byId.get(s.nodeId);
              return {
                color: lookOf(s.type).color,
                content: (
                  <div data-testid="dry-run-step">
                    <Typography.Text strong>
                      {i + 1}. {n?.data.label || t(`flows.types.${s.type}`, { defaultValue: s.type })}
                    </Typography.Text>{" "}
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {s.nodeId}
                    </Typography.Text>
                    {s.outcome ? (
                      <Tag style={{ marginLeft: 6 }} color="blue">
                        {whenLabel(s.outcome)}
                      </Tag>
                    ) : null}
                    <div style={{ fontSize: 12 }}>{n ? summarize(n.data.type, n.data.params) : ""}</div>
                    <div style={{ fontSize: 12, color: "#8c8c8c" }}>{s.wouldDo}</div>
                  </div>
                ),
              };
            })}
          />
        </div>
      ) : null}
    </div>
  );
}

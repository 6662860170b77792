import type { FlowInstanceStatus, FlowLifecycleDto, FlowStagesDto } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { lifecycleStageCounts } from "../customers/index.ts";
import { flowRow } from "./flows.service.ts";

/**
 * The lifecycle-stage mix of a flow's customers (journeys set stages with `customer.set_stage`): the
 * flow's distinct customers, optionally only those of instances in one status, counted per stage by
 * the customers module.
 */
export async function flowStages(
  scope: Scope,
  flowId: string,
  status?: FlowInstanceStatus | undefined,
): Promise<FlowStagesDto> {
  await flowRow(scope, flowId);
  const rows = await scope.query<{ customer_id: string }>(
    `select distinct customer_id from flow_instances
      where flow_id = $1 and customer_id is not null and ($2::text is null or status = $2)`,
    [flowId, status ?? null],
  );
  const ids = rows.map((r) => r.customer_id);
  const stages = await lifecycleStageCounts(scope, ids);
  return { customers: stages.reduce((n, s) => n + s.customers, 0), stages };
}

/**
 * The flow's customers per lifecycle stage now, split into those with a live instance of the flow
 * (running or waiting) and those whose instances have all ended. Stages by most customers first.
 */
export async function flowLifecycle(scope: Scope, flowId: string): Promise<FlowLifecycleDto> {
  await flowRow(scope, flowId);
  const rows = await scope.query<{ customer_id: string; live: boolean }>(
    `select customer_id, bool_or(status in ('running', 'waiting')) as live from flow_instances
      where flow_id = $1 and customer_id is not null group by customer_id`,
    [flowId],
  );
  // One transaction, one connection: the two counts one after the other.
  const running = await lifecycleStageCounts(
    scope,
    rows.filter((r) => r.live).map((r) => r.customer_id),
  );
  const finished = await lifecycleStageCounts(
    scope,
    rows.filter((r) => !r.live).map((r) => r.customer_id),
  );
  const by = new Map<
    string | null,
    { stage: string | null; customers: number; running: number; finished: number }
  >();
  const row = (stage: string | null) => {
    let r = by.get(stage);
    if (!r) {
      r = { stage, customers: 0, running: 0, finished: 0 };
      by.set(stage, r);
    }
    return r;
  };
  for (const s of running) {
    row(s.stage).running += s.customers;
    row(s.stage).customers += s.customers;
  }
  for (const s of finished) {
    row(s.stage).finished += s.customers;
    row(s.stage).customers += s.customers;
  }
  // Most customers first; "no stage" last among equals.
  const stages = [...by.values()].sort(
    (a, b) =>
      b.customers - a.customers ||
      (a.stage === null ? 1 : 0) - (b.stage === null ? 1 : 0) ||
      (a.stage ?? "").localeCompare(b.stage ?? ""),
  );
  const sum = (k: "customers" | "running" | "finished") => stages.reduce((n, s) => n + s[k], 0);
  return { customers: sum("customers"), running: sum("running"), finished: sum("finished"), stages };
}

import type { Scope } from "../../../platform/db/index.ts";
import type { InstanceRow, TokenRow } from "./engine.ts";

/** A history row entered (and maybe left) in this transaction, or a change to one entered earlier. */
export interface RunWrite {
  tenantId: string;
  instanceId: string;
  flowId: string;
  version: number;
  tokenId: string;
  step: number;
  nodeId: string;
  nodeType: string;
  status: "active" | "done" | "failed" | "cancelled";
  outcome: string | null;
  result: unknown;
  error: string | null;
  attempts: number;
  /** Left (left_at set, outcome written); else only `error`/`attempts` changed (a retry). */
  left: boolean;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

/**
 * The engine's writes of one transaction, kept in memory and written set-based: one statement per
 * table and kind (insert / update) for every instance advanced in the transaction, instead of one
 * statement per node visit and token move. `flush` runs before any statement that reads flow rows
 * (joins, failures, tasks, non-pure actions) and before commit.
 */
export class Writes {
  private newInstances = new Map<string, { tenantId: string; inst: InstanceRow; ended: boolean }>();
  private instanceUpdates = new Map<string, { inst: InstanceRow; varsChanged: boolean; ended: boolean }>();
  private newTokens = new Map<string, { tenantId: string; t: TokenRow }>();
  private tokenUpdates = new Map<string, TokenRow>();
  /** Keyed by token:step. `inserted`: entered in this transaction (not yet in the table). */
  private runs = new Map<string, { w: RunWrite; inserted: boolean }>();
  /** Parent tokens waiting for a sub-flow that ended here: child instance id → parent token id. */
  private parentWakes = new Map<string, string>();
  /**
   * Instances cancelled by SQL in this transaction (a cascade from a parent): a run of the same batch
   * must not write its in-memory state over that.
   */
  readonly cancelled = new Set<string>();

  addInstance(tenantId: string, inst: InstanceRow) {
    this.newInstances.set(inst.id, { tenantId, inst, ended: false });
  }

  /** The instance's final state of this transaction (status, vars, error). */
  instanceState(inst: InstanceRow, varsChanged: boolean, ended: boolean) {
    const fresh = this.newInstances.get(inst.id);
    if (fresh) {
      fresh.inst = inst;
      fresh.ended = ended;
      return;
    }
    this.instanceUpdates.set(inst.id, { inst, varsChanged, ended });
  }

  /**
   * The parent token waiting for `childId` is made due now (set-based, last in the flush): the
   * parent's next timer pass reads the child's end. Durable with the child's end, and idempotent:
   * the token only moves while it still waits for this child.
   */
  wakeParent(parentTokenId: string, childId: string) {
    this.parentWakes.set(childId, parentTokenId);
  }

  addToken(tenantId: string, t: TokenRow) {
    this.newTokens.set(t.id, { tenantId, t });
  }

  putToken(t: TokenRow) {
    const fresh = this.newTokens.get(t.id);
    if (fresh) fresh.t = t;
    else this.tokenUpdates.set(t.id, t);
  }

  enter(w: RunWrite) {
    const key = `${w.tokenId}:${w.step}`;
    // Entering twice (a retried node) keeps the first row, as `on conflict do nothing` did.
    if (!this.runs.has(key)) this.runs.set(key, { w, inserted: true });
  }

  /** Changes a history row (left, or a failed attempt recorded); one entered earlier is updated. */
  change(
    base: Omit<RunWrite, "status" | "outcome" | "result" | "error" | "attempts" | "left">,
    patch: Pick<RunWrite, "status" | "outcome" | "result" | "error" | "attempts" | "left">,
  ) {
    const key = `${base.tokenId}:${base.step}`;
    const cur = this.runs.get(key);
    if (cur) {
      const w = cur.w;
      w.status = patch.status;
      if (patch.left) {
        w.outcome = patch.outcome;
        w.left = true;
      }
      if (patch.result !== undefined && patch.result !== null) w.result = patch.result;
      if (patch.error !== null) w.error = patch.error;
      w.attempts = patch.attempts;
      return;
    }
    this.runs.set(key, { w: { ...base, ...patch }, inserted: false });
  }

  get empty() {
    return (
      !this.newInstances.size &&
      !this.instanceUpdates.size &&
      !this.newTokens.size &&
      !this.tokenUpdates.size &&
      !this.runs.size &&
      !this.parentWakes.size
    );
  }

  async flush(scope: Scope): Promise<void> {
    if (this.empty) return;
    const newInstances = [...this.newInstances.values()];
    const instanceUpdates = [...this.instanceUpdates.values()];
    const newTokens = [...this.newTokens.values()];
    const tokenUpdates = [...this.tokenUpdates.values()];
    const runs = [...this.runs.values()];
    const parentWakes = [...this.parentWakes.entries()];
    this.parentWakes.clear();
    this.newInstances.clear();
    this.instanceUpdates.clear();
    this.newTokens.clear();
    this.tokenUpdates.clear();
    this.runs.clear();

    if (newInstances.length) {
      await scope.query(
        `insert into flow_instances (id, tenant_id, flow_id, version, customer_id, status, vars, trigger_event,
           error, rev, ended_at, parent_instance_id, parent_token_id)
         select x.id, x.tenant_id, x.flow_id, x.version, x.customer_id, x.status, x.vars, x.trigger_event,
           x.error, 1, case when x.ended then now() end, x.parent_instance_id, x.parent_token_id
           from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::jsonb[],
             $8::jsonb[], $9::text[], $10::boolean[], $11::text[], $12::text[])
             as x(id, tenant_id, flow_id, version, customer_id, status, vars, trigger_event, error, ended,
               parent_instance_id, parent_token_id)`,
        [
          newInstances.map((r) => r.inst.id),
          newInstances.map((r) => r.tenantId),
          newInstances.map((r) => r.inst.flow_id),
          newInstances.map((r) => r.inst.version),
          newInstances.map((r) => r.inst.customer_id),
          newInstances.map((r) => r.inst.status),
          newInstances.map((r) => JSON.stringify(r.inst.vars)),
          newInstances.map((r) => json(r.inst.trigger_event ?? undefined)),
          newInstances.map((r) => r.inst.error),
          newInstances.map((r) => r.ended),
          newInstances.map((r) => r.inst.parent_instance_id ?? null),
          newInstances.map((r) => r.inst.parent_token_id ?? null),
        ],
      );
    }
    if (newTokens.length) {
      await scope.query(
        `insert into flow_tokens (id, tenant_id, instance_id, node_id, step, status, wait, wake_at, wait_event,
           customer_id, from_node, attempts)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::jsonb[],
           $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::int[])`,
        [
          newTokens.map((r) => r.t.id),
          newTokens.map((r) => r.tenantId),
          newTokens.map((r) => r.t.instance_id),
          newTokens.map((r) => r.t.node_id),
          newTokens.map((r) => r.t.step),
          newTokens.map((r) => r.t.status),
          newTokens.map((r) => json(r.t.wait ?? undefined)),
          newTokens.map((r) => iso(r.t.wake_at)),
          newTokens.map((r) => r.t.wait_event),
          newTokens.map((r) => r.t.customer_id),
          newTokens.map((r) => r.t.from_node),
          newTokens.map((r) => r.t.attempts),
        ],
      );
    }
    const inserts = runs.filter((r) => r.inserted).map((r) => r.w);
    if (inserts.length) {
      // A node entered again (a retry re-runs its visit): the row exists; only a change is applied.
      await scope.query(
        `insert into flow_node_runs (tenant_id, instance_id, flow_id, version, token_id, step, node_id, node_type,
           status, outcome, result, error, attempts, left_at)
         select x.tenant_id, x.instance_id, x.flow_id, x.version, x.token_id, x.step, x.node_id, x.node_type,
           x.status, x.outcome, x.result, x.error, x.attempts, case when x.left then now() end
           from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::text[], $8::text[],
             $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::int[], $14::boolean[])
             as x(tenant_id, instance_id, flow_id, version, token_id, step, node_id, node_type, status, outcome,
               result, error, attempts, "left")
         on conflict (token_id, step) do update set status = excluded.status,
           outcome = case when excluded.left_at is not null then excluded.outcome else flow_node_runs.outcome end,
           result = coalesce(excluded.result, flow_node_runs.result),
           error = coalesce(excluded.error, flow_node_runs.error), attempts = excluded.attempts,
           left_at = coalesce(excluded.left_at, flow_node_runs.left_at)
         where excluded.left_at is not null or excluded.error is not null`,
        [
          inserts.map((w) => w.tenantId),
          inserts.map((w) => w.instanceId),
          inserts.map((w) => w.flowId),
          inserts.map((w) => w.version),
          inserts.map((w) => w.tokenId),
          inserts.map((w) => w.step),
          inserts.map((w) => w.nodeId),
          inserts.map((w) => w.nodeType),
          inserts.map((w) => w.status),
          inserts.map((w) => w.outcome),
          inserts.map((w) => json(w.result ?? undefined)),
          inserts.map((w) => w.error),
          inserts.map((w) => w.attempts),
          inserts.map((w) => w.left),
        ],
      );
    }
    const changes = runs.filter((r) => !r.inserted).map((r) => r.w);
    if (changes.length) {
      await scope.query(
        `update flow_node_runs r set status = x.status,
           outcome = case when x.left then x.outcome else r.outcome end,
           result = coalesce(x.result, r.result), error = coalesce(x.error, r.error), attempts = x.attempts,
           left_at = case when x.left then now() else r.left_at end
           from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::int[],
             $8::boolean[]) as x(token_id, step, status, outcome, result, error, attempts, "left")
          where r.token_id = x.token_id and r.step = x.step`,
        [
          changes.map((w) => w.tokenId),
          changes.map((w) => w.step),
          changes.map((w) => w.status),
          changes.map((w) => w.outcome),
          changes.map((w) => json(w.result ?? undefined)),
          changes.map((w) => w.error),
          changes.map((w) => w.attempts),
          changes.map((w) => w.left),
        ],
      );
    }
    if (tokenUpdates.length) {
      await scope.query(
        `update flow_tokens t set node_id = x.node_id, step = x.step, status = x.status, wait = x.wait,
           wake_at = x.wake_at, wait_event = x.wait_event, from_node = x.from_node, attempts = x.attempts,
           lease_until = case when x.status = 'running' then t.lease_until end, updated_at = now()
           from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::timestamptz[], $7::text[],
             $8::text[], $9::int[]) as x(id, node_id, step, status, wait, wake_at, wait_event, from_node, attempts)
          where t.id = x.id`,
        [
          tokenUpdates.map((t) => t.id),
          tokenUpdates.map((t) => t.node_id),
          tokenUpdates.map((t) => t.step),
          tokenUpdates.map((t) => t.status),
          tokenUpdates.map((t) => json(t.wait ?? undefined)),
          tokenUpdates.map((t) => iso(t.wake_at)),
          tokenUpdates.map((t) => t.wait_event),
          tokenUpdates.map((t) => t.from_node),
          tokenUpdates.map((t) => t.attempts),
        ],
      );
    }
    if (instanceUpdates.length) {
      await scope.query(
        `update flow_instances i set status = x.status, vars = case when x.vars_changed then x.vars else i.vars end,
           error = x.error, rev = i.rev + 1, updated_at = now(),
           ended_at = case when x.ended then coalesce(i.ended_at, now()) end
           from unnest($1::text[], $2::text[], $3::boolean[], $4::jsonb[], $5::text[], $6::boolean[])
             as x(id, status, vars_changed, vars, error, ended)
          where i.id = x.id`,
        [
          instanceUpdates.map((u) => u.inst.id),
          instanceUpdates.map((u) => u.inst.status),
          instanceUpdates.map((u) => u.varsChanged),
          instanceUpdates.map((u) => JSON.stringify(u.inst.vars)),
          instanceUpdates.map((u) => u.inst.error),
          instanceUpdates.map((u) => u.ended),
        ],
      );
    }
    if (parentWakes.length) {
      await scope.query(
        `update flow_tokens t set wake_at = now(), updated_at = now()
           from unnest($1::text[], $2::text[]) as x(child, token)
          where t.id = x.token and t.status = 'waiting' and t.wait->>'kind' = 'subflow'
            and t.wait->>'instanceId' = x.child`,
        [parentWakes.map(([c]) => c), parentWakes.map(([, tk]) => tk)],
      );
    }
  }
}

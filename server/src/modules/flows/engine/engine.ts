import {
  type AssigneeRule,
  type ContactChannel,
  type ContactPurpose,
  durationMs,
  evalExpr,
  type FlowEdge,
  type FlowNode,
  flowSettingsSchema,
  maxSubflowDepth,
  retryParamsSchema,
  truthy,
} from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { JobToSend } from "../../../platform/jobs/jobs.ts";
import type { Platform } from "../../../platform/platform.ts";
import { reserve } from "../../contact-policy/index.ts";
import { type CustomerFacts, customerFacts } from "../../customers/index.ts";
import { cancelTasks, createTask, reassignTask, type TaskRow } from "../../tasks/index.ts";
import { type FlowActionContext, FlowActionError, flowActions } from "../actions/registry.ts";
import type { Graph } from "../definition.ts";
import { assignTask } from "./assign-task.ts";
import { compiled, loadGraph } from "./graph-cache.ts";
import { Writes } from "./writes.ts";

export const advanceJob = "flows.advance";
export const wakeJob = "flows.wake";
export const actJob = "flows.act";
/** Due timers of a tenant: one keyed job per wake second, claiming due tokens in batches. */
export const dueJob = "flows.due";

/** How long an external action may run before another worker may take its token over. */
export const actionLeaseMs = 120_000;
/** Node executions per advance before the rest goes to a new job (fairness; cycles pass a wait anyway). */
const stepBudget = 200;

export interface InstanceRow {
  id: string;
  flow_id: string;
  version: number;
  customer_id: string | null;
  status: "running" | "waiting" | "completed" | "failed" | "cancelled";
  paused: boolean;
  vars: Record<string, unknown>;
  trigger_event: { type: string; payload: Record<string, unknown> } | null;
  error: string | null;
  /** Set on a sub-flow's instance: the instance that started it (lineage). */
  parent_instance_id?: string | null;
  /** Set when the parent waits for it: the parent's token, made due when this instance ends. */
  parent_token_id?: string | null;
}

export interface TokenRow {
  id: string;
  instance_id: string;
  node_id: string;
  step: number;
  status: "ready" | "running" | "waiting" | "done" | "cancelled";
  wait: WaitState | null;
  wake_at: Date | null;
  wait_event: string | null;
  customer_id: string | null;
  from_node: string | null;
  attempts: number;
}

export type WaitState =
  | { kind: "timer" }
  | { kind: "event"; event: string; filter?: string }
  | { kind: "task"; taskId: string; escalated?: boolean }
  | { kind: "join" }
  | { kind: "retry"; error: string }
  /** Held by the contact policy (quiet hours) until `notBefore`; the node then runs again. */
  | { kind: "defer"; reason: string; notBefore: string; n: number }
  /**
   * A sub-flow instance it waits for (`flow.start` with `wait`). `wake_at` is the timeout, or now
   * once the child has ended (the child's end sets it); the timer pass then reads the child.
   */
  | { kind: "subflow"; instanceId: string; timeoutAt?: string };

/** Something that moves a waiting (or running) token on; applied under the instance lock. */
export type Wake =
  | { kind: "timer" | "retry" | "escalate"; tokenId: string; step: number }
  | {
      kind: "event";
      tokenId: string;
      step: number;
      event: { type: string; payload: Record<string, unknown> };
    }
  | { kind: "task"; tokenId: string; step: number; task: TaskRow }
  | {
      kind: "act";
      tokenId: string;
      step: number;
      ok: true;
      result: unknown;
      setVars?: Record<string, unknown>;
    }
  | { kind: "act"; tokenId: string; step: number; ok: false; error: string; permanent: boolean }
  | { kind: "lease"; tokenId: string; step: number }
  | { kind: "resume" }
  /** Every waiting token of the instance due at `at` (ms; the database's clock), from the due poller. */
  | { kind: "due"; at: number };

export interface WakeJobData {
  t: string;
  i: string;
  k: string;
  s: number;
  r: "timer" | "retry" | "escalate";
}
export interface InstanceJobData {
  t: string;
  i: string;
}
export interface DueJobData {
  t: string;
}
export interface ActJobData {
  t: string;
  i: string;
  k: string;
  s: number;
}

const tokenColumns =
  "id, instance_id, node_id, step, status, wait, wake_at, wait_event, customer_id, from_node, attempts";

/**
 * One advance of one instance inside one transaction (the caller's). Its live tokens are held in
 * memory (loaded under the instance lock); history and token moves go to `w`, written set-based
 * with the other instances of the transaction. Before any statement that reads flow rows or may
 * fail half-way (non-pure actions, tasks, joins, failures) the writes are flushed.
 */
class Run {
  customer: CustomerFacts | null | undefined;
  varsChanged = false;
  budget = stepBudget;
  constructor(
    readonly platform: Platform,
    readonly scope: Scope,
    readonly inst: InstanceRow,
    readonly g: Graph,
    readonly w: Writes,
    readonly jobs: JobToSend[],
    /** Live tokens (ready, running, waiting) in creation order. */
    readonly tokens: TokenRow[],
  ) {}

  flush() {
    return this.w.flush(this.scope);
  }

  put(t: TokenRow): TokenRow {
    const i = this.tokens.findIndex((x) => x.id === t.id);
    if (i >= 0) this.tokens[i] = t;
    else this.tokens.push(t);
    this.w.putToken(t);
    return t;
  }

  /** A token's state written by SQL already (kept in memory only). */
  known(t: TokenRow): TokenRow {
    const i = this.tokens.findIndex((x) => x.id === t.id);
    if (i >= 0) this.tokens[i] = t;
    return t;
  }

  runBase(t: TokenRow, node: { id: string; type: string }) {
    return {
      tenantId: this.tenantId,
      instanceId: this.inst.id,
      flowId: this.inst.flow_id,
      version: this.inst.version,
      tokenId: t.id,
      step: t.step,
      nodeId: node.id,
      nodeType: node.type,
    };
  }

  get tenantId() {
    return this.scope.tenantId!;
  }

  async facts(): Promise<CustomerFacts | null> {
    if (this.customer === undefined)
      this.customer = this.inst.customer_id ? await customerFacts(this.scope, this.inst.customer_id) : null;
    return this.customer;
  }

  async evaluate(src: string, event?: { type: string; payload: Record<string, unknown> }): Promise<unknown> {
    const ast = compiled(src);
    const customer = /customer|hasTag/.test(src) ? await this.facts() : null;
    return evalExpr(ast, {
      customer,
      event: event ? { type: event.type, ...event.payload } : flattenEvent(this.inst.trigger_event),
      vars: this.inst.vars,
      instance: { id: this.inst.id, flowId: this.inst.flow_id, version: this.inst.version },
    });
  }

  edges(nodeId: string, when: string | undefined): FlowEdge[] {
    return (this.g.out.get(nodeId) ?? []).filter((e) => (e.when ?? "") === (when ?? ""));
  }

  enter(t: TokenRow, node: FlowNode) {
    this.w.enter({
      ...this.runBase(t, node),
      status: "active",
      outcome: null,
      result: null,
      error: null,
      attempts: 0,
      left: false,
    });
  }

  async leave(
    t: TokenRow,
    outcome: string | null,
    extra: { status?: "done" | "failed" | "cancelled"; result?: unknown; error?: string } = {},
  ) {
    const node = this.g.nodes.get(t.node_id);
    this.w.change(this.runBase(t, { id: t.node_id, type: node?.type ?? "unknown" }), {
      status: extra.status ?? "done",
      outcome,
      result: extra.result === undefined ? null : extra.result,
      error: extra.error ?? null,
      attempts: t.attempts,
      left: true,
    });
  }

  /** Leaves the node by the edge `when` (none: the token's branch ends there). */
  async follow(
    t: TokenRow,
    when: string | undefined,
    extra: Parameters<Run["leave"]>[2] = {},
  ): Promise<TokenRow> {
    await this.leave(t, when ?? null, extra);
    const [edge] = this.edges(t.node_id, when);
    if (!edge) return this.finish(t);
    return this.put({
      ...t,
      node_id: edge.to,
      step: t.step + 1,
      status: "ready",
      wait: null,
      wake_at: null,
      wait_event: null,
      from_node: t.node_id,
      attempts: 0,
    });
  }

  async finish(t: TokenRow, status: "done" | "cancelled" = "done"): Promise<TokenRow> {
    return this.put({ ...t, status, wait: null, wake_at: null, wait_event: null });
  }

  async park(
    t: TokenRow,
    wait: WaitState,
    wakeAt: Date | null,
    reason: WakeJobData["r"] = "timer",
  ): Promise<TokenRow> {
    const waitEvent = wait.kind === "event" ? wait.event : null;
    if (wakeAt) this.timer(wakeAt);
    void reason;
    return this.put({ ...t, status: "waiting", wait, wake_at: wakeAt, wait_event: waitEvent });
  }

  /** One due job per tenant and wake second (keyed: a burst of timers shares it). */
  timer(at: Date) {
    this.jobs.push(dueTimerJob(this.tenantId, at));
  }

  async failInstance(message: string) {
    this.inst.status = "failed";
    this.inst.error = message.slice(0, 1000);
    await this.flush();
    // The sub-flows it waits for are cancelled with it (before its tokens stop naming them).
    await cancelWaitedChildren(this.scope, this.inst.id, { jobs: this.jobs, cancelled: this.w.cancelled });
    for (const t of this.tokens) if (t.status !== "done") t.status = "cancelled";
    await this.scope.query(
      "update flow_tokens set status = 'cancelled', updated_at = now() where instance_id = $1 and status in ('ready', 'running', 'waiting')",
      [this.inst.id],
    );
    await this.scope.query(
      "update flow_node_runs set status = 'cancelled', left_at = now() where instance_id = $1 and status = 'active'",
      [this.inst.id],
    );
    await cancelTasks(this.scope, { instanceId: this.inst.id });
  }

  /** A failed node: retry later (transient, attempts left), else its `error` edge, else the instance fails. */
  async failed(t: TokenRow, node: FlowNode, message: string, permanent: boolean): Promise<TokenRow> {
    const retry = retryParamsSchema.parse((node.params as { retry?: unknown }).retry ?? {});
    const attempts = t.attempts + 1;
    const tok = { ...t, attempts };
    if (!permanent && attempts < retry.attempts) {
      this.w.change(this.runBase(t, node), {
        status: "active",
        outcome: null,
        result: null,
        error: message.slice(0, 1000),
        attempts,
        left: false,
      });
      const delay = durationMs(retry.backoff) * 2 ** (attempts - 1);
      return this.park(
        tok,
        { kind: "retry", error: message.slice(0, 500) },
        new Date(Date.now() + delay),
        "retry",
      );
    }
    if (this.edges(node.id, "error").length)
      return this.follow(tok, "error", { status: "failed", error: message.slice(0, 1000) });
    await this.leave(tok, "error", { status: "failed", error: message.slice(0, 1000) });
    await this.failInstance(`${node.id}: ${message}`);
    return { ...tok, status: "cancelled" };
  }

  actionContext(t: TokenRow, node: FlowNode, withScope: boolean): FlowActionContext {
    return {
      platform: this.platform,
      tenantId: this.tenantId,
      flowId: this.inst.flow_id,
      version: this.inst.version,
      instanceId: this.inst.id,
      nodeId: node.id,
      tokenId: t.id,
      step: t.step,
      stepKey: `${t.id}:${t.step}`,
      customerId: this.inst.customer_id,
      vars: this.inst.vars,
      event: this.inst.trigger_event,
      ...(withScope ? { scope: this.scope } : {}),
      evaluate: (src) => this.evaluate(src),
    };
  }

  setVars(patch: Record<string, unknown> | undefined) {
    if (!patch || !Object.keys(patch).length) return;
    Object.assign(this.inst.vars, patch);
    this.varsChanged = true;
  }

  /** Runs one node for a ready token; returns the token as it is afterwards. */
  async step(t: TokenRow): Promise<TokenRow> {
    const node = this.g.nodes.get(t.node_id);
    if (!node) {
      await this.failInstance(`node ${t.node_id} is not in version ${this.inst.version}`);
      return { ...t, status: "cancelled" };
    }
    this.enter(t, node);
    const p = node.params as Record<string, unknown>;
    switch (node.type) {
      case "trigger":
        return this.follow(t, undefined);
      case "condition": {
        if (typeof p.expression === "string") {
          const v = truthy(await this.evaluate(p.expression));
          return this.follow(t, v ? "true" : "false", { result: v });
        }
        for (const b of (p.branches as Array<{ name: string; expression: string }>) ?? []) {
          if (truthy(await this.evaluate(b.expression))) return this.follow(t, b.name);
        }
        return this.follow(t, "default");
      }
      case "wait": {
        if (typeof p.event === "string") {
          const at = new Date(Date.now() + durationMs(String(p.timeout)));
          const wait: WaitState = {
            kind: "event",
            event: p.event,
            ...(typeof p.filter === "string" ? { filter: p.filter } : {}),
          };
          return this.park(t, wait, at);
        }
        let at: number;
        if (typeof p.duration === "string") at = Date.now() + durationMs(p.duration);
        else {
          const src = String(p.until);
          const parsed = Date.parse(src);
          const v = Number.isNaN(parsed) ? await this.evaluate(src) : parsed;
          at = typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : Number.NaN;
          if (Number.isNaN(at)) return this.failed(t, node, `wait until: ${src} is not a time`, true);
        }
        if (at <= Date.now()) return this.follow(t, undefined);
        return this.park(t, { kind: "timer" }, new Date(at));
      }
      case "action":
        return this.action(t, node);
      case "approval":
      case "task":
        return this.humanTask(t, node);
      case "parallel": {
        await this.leave(t, null);
        const done = await this.finish(t);
        for (const e of this.g.out.get(node.id) ?? []) {
          const nt = newToken(this.inst, e.to, node.id);
          this.tokens.push(nt);
          this.w.addToken(this.tenantId, nt);
        }
        return done;
      }
      case "join": {
        const mode = p.mode === "any" ? "any" : "all";
        if (mode === "any") {
          await this.flush();
          const [passed] = await this.scope.query(
            "select 1 from flow_node_runs where instance_id = $1 and node_id = $2 and status = 'done' and token_id <> $3 limit 1",
            [this.inst.id, node.id, t.id],
          );
          if (passed) {
            await this.leave(t, "joined");
            return this.finish(t);
          }
          return this.follow(t, undefined);
        }
        const parked = await this.park(t, { kind: "join" }, null);
        const here = this.tokens.filter((x) => x.node_id === node.id && x.status === "waiting");
        const needed = new Set((this.g.inc.get(node.id) ?? []).map((e) => e.from));
        const arrived = new Set(here.map((h) => h.from_node));
        if ([...needed].some((n) => !arrived.has(n))) return parked;
        for (const other of here) {
          if (other.id === t.id) continue;
          this.w.change(this.runBase(other, node), {
            status: "done",
            outcome: "joined",
            result: null,
            error: null,
            attempts: other.attempts,
            left: true,
          });
          this.put({ ...other, status: "done", wait: null });
        }
        return this.follow({ ...parked, status: "ready" }, undefined);
      }
      case "end": {
        await this.leave(t, null);
        const done = await this.finish(t);
        if (p.status === "failed") await this.failInstance(`ended at ${node.id}`);
        return done;
      }
      default:
        return this.failed(t, node, `unknown node type ${node.type}`, true);
    }
  }

  async action(t: TokenRow, node: FlowNode): Promise<TokenRow> {
    const { action: name, retry: _retry, onBlocked, ...params } = node.params as Record<string, unknown>;
    const def = flowActions(this.platform).get(String(name));
    if (!def) return this.failed(t, node, `unknown action ${String(name)}`, true);
    const parsed = def.params.safeParse(params);
    if (!parsed.success) return this.failed(t, node, `bad params: ${parsed.error.message}`, true);
    // Marketing guardrails before the effect. A transactional action reserves inside its savepoint
    // (a failed effect releases the touch); an external one commits the reservation with its lease.
    const guard = this.inst.customer_id ? (def.guard?.(parsed.data) ?? null) : null;
    if (def.kind === "external" || !def.pure || guard) await this.flush();
    if (guard && def.kind === "external") {
      const held = await this.guard(t, node, guard, onBlocked);
      if (held) return held;
    }
    if (def.kind === "external") {
      await this.scope.query(
        `update flow_tokens set status = 'running', lease_until = now() + $2::int * interval '1 millisecond',
           updated_at = now() where id = $1`,
        [t.id, actionLeaseMs],
      );
      const data: ActJobData = { t: this.tenantId, i: this.inst.id, k: t.id, s: t.step };
      this.jobs.push({ name: actJob, data, options: { key: `${t.id}:${t.step}:${t.attempts}` } });
      return this.known({ ...t, status: "running" });
    }
    if (def.pure && !guard) {
      // Nothing to roll back: a failure is the node's failure.
      try {
        const res = await def.run(this.actionContext(t, node, false), parsed.data);
        this.setVars(res?.setVars);
        return this.follow(t, undefined, { result: withDeferral(t, res?.result ?? null) });
      } catch (err) {
        return this.failed(t, node, errorText(err), isPermanent(err));
      }
    }
    // Transactional: the effect and the move commit together; a failure rolls back to the savepoint.
    await this.scope.query("savepoint flow_action");
    try {
      if (guard) {
        const held = await this.guard(t, node, guard, onBlocked);
        if (held) {
          await this.scope.query("release savepoint flow_action");
          return held;
        }
      }
      const res = await def.run(this.actionContext(t, node, true), parsed.data);
      // Nothing was done after all (no WeCom relation to message): the reserved touch is released.
      if (res?.untouched) await this.scope.query("rollback to savepoint flow_action");
      await this.scope.query("release savepoint flow_action");
      this.setVars(res?.setVars);
      if (res?.awaitInstance) return this.awaitChild(t, node, res.awaitInstance, res.result ?? null);
      return this.follow(t, undefined, { result: withDeferral(t, res?.result ?? null) });
    } catch (err) {
      await this.scope.query("rollback to savepoint flow_action");
      return this.failed(t, node, errorText(err), isPermanent(err));
    }
  }

  /**
   * Reserves the touch with the contact policy (ref = the step key: a retried or re-run step never
   * counts twice). Returns the token when the node must not run its effect now: refused (`blocked`
   * edge, `error` edge or on without the touch) or deferred to the end of quiet hours (a durable
   * timer; the node then runs again). Returns null when the touch is allowed.
   */
  async guard(
    t: TokenRow,
    node: FlowNode,
    g: { channel: ContactChannel; purpose: ContactPurpose },
    onBlocked: unknown,
  ): Promise<TokenRow | null> {
    const stepKey = `${t.id}:${t.step}`;
    const decisions = await reserve(this.scope, {
      tenantId: this.tenantId,
      customerIds: [this.inst.customer_id!],
      channel: g.channel,
      purpose: g.purpose,
      ref: `flow:${stepKey}`,
    });
    const d = decisions.items[0];
    if (!d || d.outcome === "allow") return null;
    if (d.outcome === "defer") {
      const n = t.wait?.kind === "defer" ? t.wait.n + 1 : 0;
      const wait: WaitState = { kind: "defer", reason: d.reason, notBefore: d.notBefore.toISOString(), n };
      await this.scope.query("update flow_node_runs set result = $3 where token_id = $1 and step = $2", [
        t.id,
        t.step,
        JSON.stringify({ deferred: { channel: g.channel, reason: d.reason, notBefore: wait.notBefore } }),
      ]);
      // A second past the end: the retried reservation then finds the quiet hours over.
      const at = new Date(d.notBefore.getTime() + 1_000);
      this.timer(at);
      return this.put({ ...t, status: "waiting", wait, wake_at: at, wait_event: null });
    }
    const result = { blocked: { channel: g.channel, reason: d.reason } };
    const branchEdge = ["blocked", "error"].find((w) => this.edges(node.id, w).length);
    const mode = onBlocked === "skip" || onBlocked === "branch" ? onBlocked : branchEdge ? "branch" : "skip";
    if (mode === "skip") return this.follow(t, undefined, { result });
    // `branch` with neither edge: the token's branch ends here, the reason in the history.
    return this.follow(t, branchEdge ?? "blocked", { result });
  }

  /** The state of a sub-flow instance (it may have ended already, even inside its own start). */
  async child(id: string): Promise<{ status: InstanceRow["status"]; vars: Record<string, unknown> } | null> {
    const [row] = await this.scope.query<{ status: InstanceRow["status"]; vars: Record<string, unknown> }>(
      "select status, vars from flow_instances where id = $1",
      [id],
    );
    return row ?? null;
  }

  /** After `flow.start` with `wait`: the token waits for the child (or goes on when it has ended). */
  async awaitChild(
    t: TokenRow,
    node: FlowNode,
    a: { instanceId: string; timeoutMs?: number | undefined },
    result: unknown,
  ): Promise<TokenRow> {
    const child = await this.child(a.instanceId);
    if (child && isEnded(child.status))
      return this.childEnded(t, node, a.instanceId, child.status, child.vars);
    this.w.change(this.runBase(t, node), {
      status: "active",
      outcome: null,
      result,
      error: null,
      attempts: t.attempts,
      left: false,
    });
    const at = a.timeoutMs !== undefined ? new Date(Date.now() + a.timeoutMs) : null;
    const wait: WaitState = {
      kind: "subflow",
      instanceId: a.instanceId,
      ...(at ? { timeoutAt: at.toISOString() } : {}),
    };
    return this.park(t, wait, at);
  }

  /**
   * The child ended (or timed out): `vars.subflow` set, and the node left by the edge named after
   * the end. A failed, cancelled or timed-out child with no edge for it (nor an unlabelled one) is the
   * node's failure (its `error` edge, else the instance fails).
   */
  async childEnded(
    t: TokenRow,
    node: FlowNode,
    instanceId: string,
    status: InstanceRow["status"] | "timeout",
    vars: Record<string, unknown>,
  ): Promise<TokenRow> {
    this.setVars({ subflow: { instanceId, status, vars } });
    const has = (w: string) => this.edges(node.id, w).length > 0;
    const order =
      status === "completed"
        ? ["completed"]
        : status === "cancelled"
          ? ["cancelled", "failed"]
          : status === "timeout"
            ? ["timeout"]
            : ["failed"];
    const when = order.find(has) ?? (has("") ? "" : null);
    const result = { instanceId, status };
    if (when === null && status !== "completed")
      return this.failed(t, node, `sub-flow instance ${instanceId} ended ${status}`, true);
    return this.follow(t, when || undefined, { result });
  }

  /** A due sub-flow wait: the child's end (it made the token due), its timeout, or a spurious wake. */
  async subflowWake(t: TokenRow, node: FlowNode, wait: Extract<WaitState, { kind: "subflow" }>) {
    await this.flush();
    const child = await this.child(wait.instanceId);
    if (!child) {
      await this.failed(t, node, `sub-flow instance ${wait.instanceId} not found`, true);
      return;
    }
    if (isEnded(child.status)) {
      await this.childEnded(t, node, wait.instanceId, child.status, child.vars);
      return;
    }
    const timeoutAt = wait.timeoutAt ? Date.parse(wait.timeoutAt) : null;
    // The due poller compares with the database's clock: a second of slack for the process's.
    if (timeoutAt !== null && timeoutAt <= Date.now() + 1000) {
      await cancelTree(this.scope, wait.instanceId, {
        jobs: this.jobs,
        cancelled: this.w.cancelled,
        notifyParent: false,
        strict: false,
      });
      if (this.w.cancelled.has(wait.instanceId)) {
        await this.childEnded(t, node, wait.instanceId, "timeout", child.vars);
        return;
      }
      // It ended on its own just now: that end wins.
      const ended = await this.child(wait.instanceId);
      if (ended) await this.childEnded(t, node, wait.instanceId, ended.status, ended.vars);
      return;
    }
    // Woken early (a duplicate or a clock skew): wait on, the timer back where it was.
    const at = timeoutAt === null ? null : new Date(timeoutAt);
    if (at) this.timer(at);
    this.put({ ...t, wake_at: at });
  }

  async humanTask(t: TokenRow, node: FlowNode): Promise<TokenRow> {
    const p = node.params as {
      title: string;
      description?: string;
      assignee: AssigneeRule;
      mode?: "any" | "all";
      approvers?: number;
      thresholds?: Array<{ when: string; approvers: number }>;
      outcomes?: string[];
      due?: string;
      escalation?: { after: string; to?: AssigneeRule };
    };
    await this.flush();
    const { assignees, staffUserid } = await assignTask(
      this.scope,
      p.assignee,
      this.inst.customer_id,
      (await this.facts())?.ownerUserIds ?? [],
    );
    let required = p.approvers ?? 1;
    for (const th of p.thresholds ?? []) {
      if (truthy(await this.evaluate(th.when))) {
        required = th.approvers;
        break;
      }
    }
    const approval = node.type === "approval";
    const task = await createTask(this.scope, {
      type: approval ? "approval" : "task",
      title: p.title,
      description: p.description,
      customerId: this.inst.customer_id,
      flowId: this.inst.flow_id,
      flowInstanceId: this.inst.id,
      nodeId: node.id,
      tokenId: t.id,
      step: t.step,
      assignees,
      staffUserid,
      outcomes: approval ? ["approved", "rejected"] : (p.outcomes ?? ["done"]),
      mode: approval ? (required > 1 ? "all" : (p.mode ?? "any")) : "any",
      required,
      dueAt: p.due ? new Date(Date.now() + durationMs(p.due)) : null,
    });
    const at = p.escalation ? new Date(Date.now() + durationMs(p.escalation.after)) : null;
    return this.park(t, { kind: "task", taskId: task.id }, at, "escalate");
  }

  /** The node runs again (a retry, or a touch the contact policy deferred); a deferral keeps its count. */
  async rerun(t: TokenRow): Promise<void> {
    const keep = t.wait?.kind === "defer" ? t.wait : null;
    this.put({ ...t, status: "ready", wait: keep, wake_at: null });
  }

  /**
   * The edge a decided task takes: its outcome's; a task with one outcome may lead on by an
   * unlabelled edge instead (publish accepts that), so its outcome falls back to it.
   */
  taskEdge(node: FlowNode, outcome: string | null): string | undefined {
    if (!outcome || this.edges(node.id, outcome).length) return outcome ?? undefined;
    const outcomes = (node.params as { outcomes?: string[] }).outcomes ?? ["done"];
    return node.type === "task" && outcomes.length === 1 ? undefined : outcome;
  }

  /** Applies a wake to its token (if the token is still where the wake expects it). */
  async apply(w: Wake): Promise<void> {
    if (w.kind === "resume" || w.kind === "due") {
      const at = w.kind === "due" ? w.at : Date.now();
      const due = this.tokens.filter(
        (t) => t.status === "waiting" && t.wake_at && new Date(t.wake_at).getTime() <= at,
      );
      for (const t of due) {
        const kind = t.wait?.kind === "retry" ? "retry" : t.wait?.kind === "task" ? "escalate" : "timer";
        await this.apply({ kind, tokenId: t.id, step: t.step });
      }
      return;
    }
    const t = this.tokens.find((x) => x.id === w.tokenId && x.step === w.step);
    if (!t) return;
    const node = this.g.nodes.get(t.node_id);
    if (!node) return;
    switch (w.kind) {
      case "timer":
        if (t.status === "waiting" && t.wait?.kind === "defer") return this.rerun(t);
        if (t.status === "waiting" && t.wait?.kind === "subflow") return this.subflowWake(t, node, t.wait);
        if (t.status !== "waiting" || (t.wait?.kind !== "timer" && t.wait?.kind !== "event")) return;
        await this.follow(t, t.wait.kind === "event" ? "timeout" : undefined);
        return;
      case "event":
        if (t.status !== "waiting" || t.wait?.kind !== "event") return;
        await this.follow(t, "event", { result: { event: w.event.type } });
        return;
      case "retry":
        if (t.status !== "waiting" || (t.wait?.kind !== "retry" && t.wait?.kind !== "defer")) return;
        await this.rerun(t);
        return;
      case "lease":
        if (t.status !== "running") return;
        this.put({ ...t, status: "ready" });
        return;
      case "escalate": {
        if (t.status !== "waiting" || t.wait?.kind !== "task" || t.wait.escalated) return;
        const esc = (node.params as { escalation?: { to?: AssigneeRule } }).escalation;
        await this.flush();
        if (this.edges(node.id, "escalated").length) {
          await cancelTasks(this.scope, { taskId: t.wait.taskId });
          await this.follow(t, "escalated", { result: { taskId: t.wait.taskId } });
          return;
        }
        // The new assignees, and the WeCom member the task is for now (through the user ↔ member map,
        // as when it was made): the escalated task is no longer the first assignee's member's.
        const { assignees: to, staffUserid } = await assignTask(
          this.scope,
          esc?.to ?? { managerOf: "owner" },
          this.inst.customer_id,
          (await this.facts())?.ownerUserIds ?? [],
        );
        await reassignTask(this.scope, t.wait.taskId, to, staffUserid);
        this.put({ ...t, wait: { ...t.wait, escalated: true }, wake_at: null });
        return;
      }
      case "task":
        if (t.status !== "waiting" || t.wait?.kind !== "task" || t.wait.taskId !== w.task.id) return;
        await this.follow(t, this.taskEdge(node, w.task.outcome), {
          result: { taskId: w.task.id, outcome: w.task.outcome, decisions: w.task.decisions },
        });
        return;
      case "act":
        if (t.status !== "running") return;
        if (w.ok) {
          this.setVars(w.setVars);
          await this.follow(t, undefined, { result: w.result ?? null });
        } else {
          await this.failed(this.put({ ...t, status: "ready" }), node, w.error, w.permanent);
        }
        return;
    }
  }

  /** Runs ready tokens until each waits, ends or the budget is spent. */
  stopped(): boolean {
    return (
      this.inst.status === "failed" || this.inst.status === "cancelled" || this.w.cancelled.has(this.inst.id)
    );
  }

  async drain(): Promise<void> {
    for (;;) {
      if (this.stopped()) return;
      let t = this.tokens.find((x) => x.status === "ready");
      if (!t) return;
      while (t.status === "ready") {
        if (this.budget-- <= 0) {
          this.jobs.push({
            name: advanceJob,
            data: { t: this.tenantId, i: this.inst.id } satisfies InstanceJobData,
          });
          return;
        }
        t = await this.step(t);
        if (this.stopped()) return;
      }
    }
  }

  finalize(): void {
    // Cancelled by a parent's cascade in this transaction: the SQL wrote its state already.
    if (this.w.cancelled.has(this.inst.id)) return;
    let status = this.inst.status;
    if (status !== "failed" && status !== "cancelled") {
      const live = this.tokens.filter((t) => t.status === "ready" || t.status === "running");
      const waiting = this.tokens.some((t) => t.status === "waiting");
      status = live.length > 0 ? "running" : waiting ? "waiting" : "completed";
    }
    const ended = status === "completed" || status === "failed" || status === "cancelled";
    this.inst.status = status;
    this.w.instanceState(this.inst, this.varsChanged, ended);
    if (ended && this.inst.parent_token_id) {
      this.w.wakeParent(this.inst.parent_token_id, this.inst.id);
      this.timer(new Date());
    }
  }
}

const isEnded = (s: string) => s === "completed" || s === "failed" || s === "cancelled";

function newToken(inst: InstanceRow, nodeId: string, fromNode: string | null): TokenRow {
  return {
    id: newId("ftk"),
    instance_id: inst.id,
    node_id: nodeId,
    step: 0,
    status: "ready",
    wait: null,
    wake_at: null,
    wait_event: null,
    customer_id: inst.customer_id,
    from_node: fromNode,
    attempts: 0,
  };
}

/** The keyed due job of the tenant's wake second `at` falls in. */
export function dueTimerJob(tenantId: string, at: Date): JobToSend<DueJobData> {
  const sec = Math.ceil(at.getTime() / 1000);
  return {
    name: dueJob,
    data: { t: tenantId },
    options: { runAt: new Date(sec * 1000), key: `${tenantId}:${sec}` },
  };
}

/** A touch the contact policy held until quiet hours ended keeps that fact in its history. */
function withDeferral(t: TokenRow, result: unknown): unknown {
  if (t.wait?.kind !== "defer") return result;
  const deferred = { reason: t.wait.reason, notBefore: t.wait.notBefore };
  return result && typeof result === "object" && !Array.isArray(result)
    ? { ...result, deferred }
    : { value: result, deferred };
}

function flattenEvent(e: InstanceRow["trigger_event"]): Record<string, unknown> | null {
  return e ? { type: e.type, ...e.payload } : null;
}

export function errorText(err: unknown): string {
  return String(err instanceof Error ? err.message : err).slice(0, 1000);
}

/** Validation errors, missing objects and explicit permanent failures are not worth a retry. */
export function isPermanent(err: unknown): boolean {
  if (err instanceof FlowActionError) return err.permanent;
  return err instanceof AppError && err.status < 500;
}

/** Sends the run's jobs after the transaction commits (never inside it: PGlite has one connection). */
function sendOnCommit(platform: Platform, scope: Scope, jobs: JobToSend[]) {
  if (!jobs.length) return;
  scope.onCommit(() => {
    // A due job whose second has already been handled (its key exists, done) is not sent again: a
    // timer landing in a second already past gets an unkeyed one instead.
    const dedupe = new Map<string, JobToSend>();
    for (const j of jobs)
      dedupe.set(j.options?.key ? `${j.name}:${j.options.key}` : `${dedupe.size}:${j.name}`, j);
    const list = [...dedupe.values()];
    platform.jobs
      .sendMany(list)
      .then((ids) => {
        const late = list.filter(
          (j, i) =>
            ids[i] === null && j.name === dueJob && (j.options?.runAt?.getTime() ?? 0) <= Date.now() + 1000,
        );
        const tenants = [...new Set(late.map((j) => (j.data as DueJobData).t))];
        if (tenants.length)
          return platform.jobs.sendMany(
            tenants.map((t) => ({ name: dueJob, data: { t } satisfies DueJobData })),
          );
        return [];
      })
      .catch((err: unknown) => {
        // The sweep finds tokens whose job was lost (ready too long, timer overdue, lease expired).
        platform.log.warn({ err }, "flows: sending jobs failed; the sweep will catch up");
      });
  });
}

/**
 * Advances one instance in the caller's transaction: locks its row (two workers on one instance
 * serialise here; the second finds the tokens moved and does nothing), applies the wake if any,
 * runs ready tokens, updates the instance status; jobs (timers, external actions) are sent on commit.
 */
export async function advanceTx(
  platform: Platform,
  scope: Scope,
  instanceId: string,
  wake?: Wake,
): Promise<InstanceRow | null> {
  const [inst] = await advanceManyTx(platform, scope, [{ instanceId, ...(wake ? { wake } : {}) }]);
  return inst ?? null;
}

/**
 * Advances many instances in one transaction: one locking read of the instances (in id order, so two
 * batches never deadlock; `skipLocked`: instances another worker holds are left to it), one read of
 * their live tokens, then each runs in memory and all writes go out set-based at the end.
 */
export async function advanceManyTx(
  platform: Platform,
  scope: Scope,
  items: ReadonlyArray<{ instanceId: string; wake?: Wake }>,
  options: { skipLocked?: boolean } = {},
): Promise<InstanceRow[]> {
  if (!items.length) return [];
  const ids = [...new Set(items.map((i) => i.instanceId))];
  const rows = await scope.query<InstanceRow>(
    `select id, flow_id, version, customer_id, status, paused, vars, trigger_event, error, parent_instance_id,
            parent_token_id
       from flow_instances where id = any($1::text[]) order by id for update${options.skipLocked ? " skip locked" : ""}`,
    [ids],
  );
  const live = rows.filter(
    (r) => r.status !== "completed" && r.status !== "failed" && r.status !== "cancelled",
  );
  const tokens = new Map<string, TokenRow[]>();
  if (live.length) {
    const toks = await scope.query<TokenRow>(
      `select ${tokenColumns} from flow_tokens where instance_id = any($1::text[])
          and status in ('ready', 'running', 'waiting') order by created_at, id`,
      [live.map((r) => r.id)],
    );
    for (const t of toks) {
      const list = tokens.get(t.instance_id) ?? [];
      list.push(t);
      tokens.set(t.instance_id, list);
    }
  }
  const byId = new Map(live.map((r) => [r.id, r]));
  const w = new Writes();
  const jobs: JobToSend[] = [];
  const runs = new Map<string, Run>();
  for (const item of items) {
    const inst = byId.get(item.instanceId);
    if (!inst) continue;
    let run = runs.get(inst.id);
    if (!run) {
      const g = await loadGraph(scope, inst.flow_id, inst.version);
      run = new Run(platform, scope, inst, g, w, jobs, tokens.get(inst.id) ?? []);
      runs.set(inst.id, run);
    }
    const wake = item.wake;
    if (wake && !run.stopped()) {
      // Paused: facts from outside (a decision, an event, an action's result) are recorded; timers
      // wait for resume, which fires the overdue ones.
      const timerLike =
        wake.kind === "timer" ||
        wake.kind === "retry" ||
        wake.kind === "escalate" ||
        wake.kind === "resume" ||
        wake.kind === "due";
      if (!(inst.paused && timerLike)) await run.apply(wake);
    }
  }
  for (const run of runs.values()) {
    if (!run.inst.paused) await run.drain();
    run.finalize();
  }
  await w.flush(scope);
  sendOnCommit(platform, scope, jobs);
  return ids.map((id) => byId.get(id) ?? rows.find((r) => r.id === id)).filter((r) => r !== undefined);
}

export interface StartInput {
  flowId: string;
  customerId?: string | null | undefined;
  vars?: Record<string, unknown> | undefined;
  event?: { type: string; payload: Record<string, unknown> } | null;
  /** The trigger node to start at (default: a `manual` trigger, else the first). */
  triggerNodeId?: string;
  /** Ignore the re-entry rule. */
  force?: boolean | undefined;
  /** A sub-flow: the instance starting it, and its token when it waits for this one's end. */
  parent?: { instanceId: string; tokenId: string | null } | undefined;
}

/**
 * Starts an instance of the flow's published version in the caller's transaction and runs it up to
 * its first wait. Returns null when the re-entry rule refuses this customer.
 */
export async function startInstanceTx(
  platform: Platform,
  scope: Scope,
  input: StartInput,
): Promise<string | null> {
  const [id] = await startInstancesTx(platform, scope, input.flowId, [input]);
  return id ?? null;
}

/**
 * Starts many instances of one flow in the caller's transaction (a burst): the re-entry rule decided
 * for all customers in one statement, instances, tokens and history written set-based, each run in
 * memory up to its first wait, and the jobs sent in one `sendMany` on commit. Returns each instance
 * id in input order (null where the re-entry rule refused).
 */
export async function startInstancesTx(
  platform: Platform,
  scope: Scope,
  flowId: string,
  inputs: ReadonlyArray<Omit<StartInput, "flowId">>,
): Promise<Array<string | null>> {
  const [flow] = await scope.query<{ status: string; published_version: number | null }>(
    "select status, published_version from flows where id = $1",
    [flowId],
  );
  if (!flow) throw new AppError("not_found", "flow not found");
  if (flow.status !== "active" || flow.published_version === null)
    throw new AppError("invalid_state", "the flow is not published (or archived)");
  const version = flow.published_version;
  const g = await loadGraph(scope, flowId, version);
  const settings = flowSettingsSchema.parse(g.def.settings ?? {});
  const triggers = g.def.nodes.filter((n) => n.type === "trigger");
  const startNode = (input: Omit<StartInput, "flowId">) => {
    const start =
      (input.triggerNodeId && g.nodes.get(input.triggerNodeId)) ||
      triggers.find((n) => n.params.event === "manual") ||
      triggers[0];
    if (!start) throw new AppError("invalid_state", "the flow has no trigger");
    return start;
  };

  // A customer twice in one call: the later starts are decided after the first (one row per statement).
  const seen = new Set<string>();
  const now: number[] = [];
  const later: number[] = [];
  inputs.forEach((input, i) => {
    const c = input.customerId ?? null;
    if (c && seen.has(c)) later.push(i);
    else {
      if (c) seen.add(c);
      now.push(i);
    }
  });

  const allowed = new Set<string>();
  const guarded = now.filter((i) => inputs[i]!.customerId && !inputs[i]!.force);
  if (guarded.length) {
    const r = settings.reentry;
    const customers = guarded.map((i) => inputs[i]!.customerId!);
    const rows = await scope.query<{ customer_id: string }>(
      r.mode === "once"
        ? `insert into flow_entries (tenant_id, flow_id, customer_id, last_started_at)
           select $1, $2, c, now() from unnest($3::text[]) as c
           on conflict do nothing returning customer_id`
        : `insert into flow_entries (tenant_id, flow_id, customer_id, last_started_at)
           select $1, $2, c, now() from unnest($3::text[]) as c
           on conflict (flow_id, customer_id) do update set last_started_at = now(), starts = flow_entries.starts + 1
           where flow_entries.last_started_at <= now() - $4::bigint * interval '1 millisecond' returning customer_id`,
      r.mode === "once"
        ? [scope.tenantId, flowId, customers]
        : [scope.tenantId, flowId, customers, r.mode === "cooldown" ? durationMs(r.duration) : 0],
    );
    for (const row of rows) allowed.add(row.customer_id);
  }
  const forced = now.filter((i) => inputs[i]!.customerId && inputs[i]!.force);
  if (forced.length) {
    await scope.query(
      `insert into flow_entries (tenant_id, flow_id, customer_id, last_started_at)
       select $1, $2, c, now() from unnest($3::text[]) as c
       on conflict (flow_id, customer_id) do update set last_started_at = now(), starts = flow_entries.starts + 1`,
      [scope.tenantId, flowId, forced.map((i) => inputs[i]!.customerId!)],
    );
  }

  const ids: Array<string | null> = inputs.map(() => null);
  const w = new Writes();
  const jobs: JobToSend[] = [];
  const runs: Run[] = [];
  for (const i of now) {
    const input = inputs[i]!;
    const customerId = input.customerId ?? null;
    if (customerId && !input.force && !allowed.has(customerId)) continue;
    const start = startNode(input);
    const inst: InstanceRow = {
      id: newId("fin"),
      flow_id: flowId,
      version,
      customer_id: customerId,
      status: "running",
      paused: false,
      vars: { ...settings.variables, ...(input.vars ?? {}) },
      trigger_event: input.event ?? null,
      error: null,
      parent_instance_id: input.parent?.instanceId ?? null,
      parent_token_id: input.parent?.tokenId ?? null,
    };
    w.addInstance(scope.tenantId!, inst);
    const token = newToken(inst, start.id, null);
    w.addToken(scope.tenantId!, token);
    runs.push(new Run(platform, scope, inst, g, w, jobs, [token]));
    ids[i] = inst.id;
  }
  for (const run of runs) {
    await run.drain();
    run.finalize();
  }
  await w.flush(scope);
  sendOnCommit(platform, scope, jobs);
  for (const i of later) {
    const [id] = await startInstancesTx(platform, scope, flowId, [inputs[i]!]);
    ids[i] = id ?? null;
  }
  return ids;
}

/**
 * Stops an instance: tokens and open tasks cancelled, history closed, the sub-flows it waits for
 * cancelled too, and a parent waiting for it made due (it then takes its `cancelled` edge). Pass the
 * platform to send that wake at commit (without it the sweep finds the overdue token).
 */
export async function cancelInstanceTx(
  scope: Scope,
  instanceId: string,
  platform?: Platform,
): Promise<InstanceRow> {
  const jobs: JobToSend[] = [];
  const inst = await cancelTree(scope, instanceId, { jobs, cancelled: new Set(), notifyParent: true });
  if (!inst) throw new AppError("not_found", "flow instance not found");
  if (platform) sendOnCommit(platform, scope, jobs);
  return inst;
}

/** Cancels an instance unless it has ended (null when missing); throws invalid_state when ended and strict. */
async function cancelTree(
  scope: Scope,
  instanceId: string,
  o: { jobs: JobToSend[]; cancelled: Set<string>; notifyParent: boolean; strict?: boolean },
): Promise<InstanceRow | null> {
  const [inst] = await scope.query<InstanceRow>(
    "select id, status, parent_token_id from flow_instances where id = $1 for update",
    [instanceId],
  );
  if (!inst) return null;
  if (isEnded(inst.status)) {
    if (o.strict === false) return inst;
    throw new AppError("invalid_state", `the instance is ${inst.status}`);
  }
  // Lock order parent → child → parent's tokens: a child ending meanwhile (child → parent token) waits.
  await cancelWaitedChildren(scope, instanceId, o);
  await scope.query(
    "update flow_tokens set status = 'cancelled', updated_at = now() where instance_id = $1 and status in ('ready', 'running', 'waiting')",
    [instanceId],
  );
  await scope.query(
    "update flow_node_runs set status = 'cancelled', left_at = now() where instance_id = $1 and status = 'active'",
    [instanceId],
  );
  await cancelTasks(scope, { instanceId });
  await scope.query(
    "update flow_instances set status = 'cancelled', ended_at = now(), rev = rev + 1, updated_at = now() where id = $1",
    [instanceId],
  );
  o.cancelled.add(instanceId);
  if (o.notifyParent && inst.parent_token_id) {
    await scope.query(
      `update flow_tokens set wake_at = now(), updated_at = now() where id = $1 and status = 'waiting'
          and wait->>'kind' = 'subflow' and wait->>'instanceId' = $2`,
      [inst.parent_token_id, instanceId],
    );
    o.jobs.push(dueTimerJob(scope.tenantId!, new Date()));
  }
  return { ...inst, status: "cancelled" };
}

/** Cancels the live sub-flow instances the instance's tokens wait for (their own children first). */
async function cancelWaitedChildren(
  scope: Scope,
  instanceId: string,
  o: { jobs: JobToSend[]; cancelled: Set<string> },
): Promise<void> {
  const kids = await scope.query<{ child: string }>(
    `select wait->>'instanceId' as child from flow_tokens
      where instance_id = $1 and status = 'waiting' and wait->>'kind' = 'subflow'`,
    [instanceId],
  );
  for (const k of kids) await cancelTree(scope, k.child, { ...o, notifyParent: false, strict: false });
}

/**
 * How many waited-for sub-flow links are above the instance (0: not a waited-for sub-flow), counted
 * up to `maxSubflowDepth + 1`.
 */
export async function subflowDepth(scope: Scope, instanceId: string): Promise<number> {
  const [row] = await scope.query<{ d: number | null }>(
    `with recursive up(id, parent, tok, d) as (
       select id, parent_instance_id, parent_token_id, 0 from flow_instances where id = $1
       union all
       select f.id, f.parent_instance_id, f.parent_token_id, up.d + 1
         from flow_instances f join up on f.id = up.parent
        where up.tok is not null and up.d < $2)
     select max(d)::int as d from up`,
    [instanceId, maxSubflowDepth + 1],
  );
  return row?.d ?? 0;
}

export async function setPausedTx(platform: Platform, scope: Scope, instanceId: string, paused: boolean) {
  const [inst] = await scope.query<{ status: string; paused: boolean }>(
    "select status, paused from flow_instances where id = $1 for update",
    [instanceId],
  );
  if (!inst) throw new AppError("not_found", "flow instance not found");
  if (inst.status !== "running" && inst.status !== "waiting")
    throw new AppError("invalid_state", `the instance is ${inst.status}`);
  await scope.query(
    "update flow_instances set paused = $2, rev = rev + 1, updated_at = now() where id = $1",
    [instanceId, paused],
  );
  if (!paused) await advanceTx(platform, scope, instanceId, { kind: "resume" });
}

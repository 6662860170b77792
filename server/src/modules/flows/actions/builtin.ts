import {
  addTagActionSchema,
  createTaskActionSchema,
  durationMs,
  maxSubflowDepth,
  removeTagActionSchema,
  setAttributeActionSchema,
  setStageActionSchema,
  setVarActionSchema,
  startFlowActionSchema,
  subflowOutcomes,
  webhookCallActionSchema,
  wecomSendMessageActionSchema,
} from "@siyu/contracts";
import { AppError } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import {
  addTags,
  customerFacts,
  findTags,
  removeTagIds,
  updateCustomer,
  type Writer,
} from "../../customers/index.ts";
import { createTask } from "../../tasks/index.ts";
import { createMassMessage, queueMassMessage } from "../../wecom/index.ts";
import { assignTask } from "../engine/assign-task.ts";
import { startInstanceTx, subflowDepth } from "../engine/engine.ts";
import { type FlowActionContext, FlowActionError, registerAction } from "./registry.ts";

const writer = (ctx: FlowActionContext): Writer => ({
  platform: ctx.platform,
  actor: { email: `system:flow:${ctx.flowId}` },
  cause: "rule",
});

function needCustomer(ctx: FlowActionContext): string {
  if (!ctx.customerId) throw new FlowActionError("this instance has no customer", { permanent: true });
  return ctx.customerId;
}

/** The actions every build has (CONTRACT "Flows" and SPEC §6). */
export function registerBuiltinActions(platform: Platform) {
  registerAction(platform, {
    action: "customer.add_tag",
    title: "Add a tag",
    params: addTagActionSchema,
    kind: "transactional",
    describe: (p) => `add tag ${p.tag}`,
    async run(ctx, p) {
      await addTags(ctx.scope!, writer(ctx), needCustomer(ctx), [p.tag]);
      return { result: { tag: p.tag } };
    },
  });

  registerAction(platform, {
    action: "customer.remove_tag",
    title: "Remove a tag",
    params: removeTagActionSchema,
    kind: "transactional",
    describe: (p) => `remove tag ${p.tag}`,
    async run(ctx, p) {
      const tags = await findTags(ctx.scope!, [p.tag]);
      if (tags.length)
        await removeTagIds(
          ctx.scope!,
          writer(ctx),
          needCustomer(ctx),
          tags.map((t) => t.id),
        );
      return { result: { tag: p.tag, removed: tags.length > 0 } };
    },
  });

  registerAction(platform, {
    action: "customer.set_attribute",
    title: "Set an attribute",
    params: setAttributeActionSchema,
    kind: "transactional",
    expressions: (p) => (p.expression && typeof p.value === "string" ? [p.value] : []),
    describe: (p) => `set attribute ${p.key}`,
    async run(ctx, p) {
      const value = p.expression ? await ctx.evaluate(String(p.value)) : p.value;
      const v =
        value === undefined
          ? null
          : typeof value === "object" && value !== null && !Array.isArray(value)
            ? JSON.stringify(value)
            : value;
      await updateCustomer(ctx.scope!, writer(ctx), needCustomer(ctx), {
        attributes: { [p.key]: v as string | number | boolean | string[] | null },
      });
      return { result: { key: p.key, value: v } };
    },
  });

  registerAction(platform, {
    action: "customer.set_stage",
    title: "Set the lifecycle stage",
    params: setStageActionSchema,
    kind: "transactional",
    describe: (p) => `set stage ${p.stage ?? "(none)"}`,
    async run(ctx, p) {
      await updateCustomer(ctx.scope!, writer(ctx), needCustomer(ctx), { lifecycleStage: p.stage });
      return { result: { stage: p.stage } };
    },
  });

  registerAction(platform, {
    action: "vars.set",
    title: "Set a variable",
    params: setVarActionSchema,
    kind: "transactional",
    pure: true,
    expressions: (p) => [p.value],
    describe: (p) => `set vars.${p.name}`,
    async run(ctx, p) {
      const value = await ctx.evaluate(p.value);
      return { result: { [p.name]: value ?? null }, setVars: { [p.name]: value ?? null } };
    },
  });

  registerAction(platform, {
    action: "task.create",
    title: "Create a staff task",
    params: createTaskActionSchema,
    kind: "transactional",
    describe: (p) => `create task "${p.title}"`,
    async run(ctx, p) {
      const scope = ctx.scope!;
      const owners = ctx.customerId ? ((await customerFacts(scope, ctx.customerId))?.ownerUserIds ?? []) : [];
      const { assignees, staffUserid } = await assignTask(scope, p.assignee, ctx.customerId, owners);
      const task = await createTask(scope, {
        type: "task",
        title: p.title,
        description: p.description,
        customerId: ctx.customerId,
        flowId: ctx.flowId,
        flowInstanceId: ctx.instanceId,
        nodeId: ctx.nodeId,
        tokenId: ctx.tokenId,
        step: ctx.step,
        assignees,
        staffUserid,
        dueAt: p.due ? new Date(Date.now() + durationMs(p.due)) : null,
      });
      return { result: { taskId: task.id } };
    },
  });

  registerAction(platform, {
    action: "flow.start",
    title: "Start a sub-flow",
    params: startFlowActionSchema,
    kind: "transactional",
    outcomes: (p) => (p.wait ? subflowOutcomes.filter((o) => o !== "timeout" || p.timeout) : []),
    describe: (p) =>
      p.wait
        ? `start flow ${p.flowId} and wait for it${p.timeout ? ` (timeout ${p.timeout})` : ""}`
        : `start flow ${p.flowId}`,
    async run(ctx, p) {
      const scope = ctx.scope!;
      // A flow waiting for itself (through others) would nest without end: refused past the limit.
      if (p.wait && (await subflowDepth(scope, ctx.instanceId)) + 1 > maxSubflowDepth)
        throw new FlowActionError(
          `sub-flows waited for nest deeper than ${maxSubflowDepth} (a flow waiting for itself?)`,
          { permanent: true },
        );
      const id = await startInstanceTx(ctx.platform, scope, {
        flowId: p.flowId,
        customerId: ctx.customerId,
        vars: { parentInstanceId: ctx.instanceId },
        event: ctx.event,
        parent: { instanceId: ctx.instanceId, tokenId: p.wait ? ctx.tokenId : null },
      });
      if (!p.wait) return { result: { instanceId: id } };
      if (!id)
        throw new FlowActionError(
          `the sub-flow's re-entry rule refuses this customer now (re-entry every_time lets it start again)`,
          { permanent: true },
        );
      return {
        result: { instanceId: id },
        awaitInstance: { instanceId: id, timeoutMs: p.timeout ? durationMs(p.timeout) : undefined },
      };
    },
  });

  registerAction(platform, {
    action: "webhook.call",
    title: "Call a webhook",
    params: webhookCallActionSchema,
    kind: "external",
    describe: (p) => `${p.method} ${p.url}`,
    async run(ctx, p) {
      const body =
        p.method === "GET"
          ? undefined
          : JSON.stringify(
              p.body ?? {
                instanceId: ctx.instanceId,
                flowId: ctx.flowId,
                customerId: ctx.customerId,
                vars: ctx.vars,
                event: ctx.event,
              },
            );
      let res: Response;
      try {
        res = await fetch(p.url, {
          method: p.method,
          headers: {
            "content-type": "application/json",
            "idempotency-key": ctx.stepKey,
            ...(p.headers ?? {}),
          },
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(p.timeoutMs),
        });
      } catch (err) {
        throw new FlowActionError(`webhook unreachable: ${(err as Error).message}`);
      }
      const text = (await res.text()).slice(0, 2000);
      // 4xx (but 408/429) is the receiver refusing this call: retrying will not change it.
      if (!res.ok)
        throw new FlowActionError(`webhook answered ${res.status}`, {
          permanent: res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429,
        });
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        // keep text
      }
      return { result: { status: res.status, body: json } };
    },
  });

  registerAction(platform, {
    action: "wecom.send_message",
    title: "Send a WeCom message",
    params: wecomSendMessageActionSchema,
    kind: "transactional",
    // One customer through add_msg_template: WeCom counts it as a mass message for that customer.
    guard: (p) => ({ channel: "wecom_mass", purpose: p.purpose }),
    describe: (p) => `WeCom message: ${p.text.slice(0, 40)}`,
    async run(ctx, p) {
      // Through the WeCom module's mass message (one recipient): its job sends once (runStep there).
      // The engine reserved this touch under `flow:<step key>`; the send job re-checks under the same
      // ref (an opt-out meanwhile still stops it) instead of counting the customer a second time.
      let id: string;
      try {
        id = await createMassMessage(
          ctx.scope!,
          ctx.platform,
          { email: `system:flow:${ctx.flowId}` },
          {
            target: { customerIds: [needCustomer(ctx)] },
            text: p.text,
            attachments: [],
            policyRef: `flow:${ctx.stepKey}`,
            purpose: p.purpose,
          },
        );
      } catch (err) {
        // A customer who is no WeCom friend (a form lead, a removed contact): the journey goes on
        // without this message, and the history says why.
        if (err instanceof AppError && (err.code === "not_found" || err.code === "validation_failed"))
          return { result: { skipped: "no_wecom_relation", detail: err.message }, untouched: true };
        throw err;
      }
      ctx.scope!.onCommit(() => {
        queueMassMessage(ctx.platform, ctx.tenantId, id).catch((err: unknown) =>
          ctx.platform.log.warn({ err, id }, "flows: mass-send enqueue failed; the WeCom sweep retries"),
        );
      });
      return { result: { massMessageId: id } };
    },
  });
}

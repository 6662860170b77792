import { randomBytes } from "node:crypto";
import type { FlowDefinition, FlowWebhookDto, flowWebhookBodySchema, IdentityType } from "@siyu/contracts";
import type { z } from "zod";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";
import { findCustomer } from "../customers/index.ts";
import { startInstanceTx } from "./engine/engine.ts";
import { triggerMatches } from "./engine/trigger-match.ts";
import { flowRow } from "./flows.service.ts";

/**
 * Webhook triggers: `POST /hooks/flows/<token>` starts the flow at the trigger node the token
 * belongs to. The token is 32 random bytes made at publish (per node, kept across versions until
 * regenerated); it is found by its keyed blind index and kept encrypted so the designer can show it.
 */
export const webhookTokenPattern = /^fwh_[A-Za-z0-9_-]{43}$/;
const indexKind = "flow_webhook";

const newToken = () => `fwh_${randomBytes(32).toString("base64url")}`;
const urlOf = (platform: Platform, token: string) => `${platform.config.publicUrl}/hooks/flows/${token}`;

interface WebhookRow {
  id: string;
  node_id: string;
  token_enc: string;
  created_at: Date;
}

const toDto = (platform: Platform, r: WebhookRow): FlowWebhookDto => {
  const token = platform.crypto.decrypt(r.token_enc);
  return { nodeId: r.node_id, token, url: urlOf(platform, token), createdAt: r.created_at.toISOString() };
};

async function insertToken(platform: Platform, scope: Scope, flowId: string, nodeId: string) {
  const token = newToken();
  const [row] = await scope.query<WebhookRow>(
    `insert into flow_webhooks (id, tenant_id, flow_id, node_id, token_hash, token_enc) values ($1, $2, $3, $4, $5, $6)
     on conflict (flow_id, node_id) do update set token_hash = excluded.token_hash, token_enc = excluded.token_enc,
       created_at = now()
     returning id, node_id, token_enc, created_at`,
    [
      newId("fwh"),
      scope.tenantId,
      flowId,
      nodeId,
      platform.crypto.blindIndex(indexKind, token),
      platform.crypto.encrypt(token),
    ],
  );
  return row!;
}

/**
 * At publish: a token for each webhook trigger node that has none (existing ones are kept, so a
 * new version does not break the callers), and none for nodes that are gone or no longer webhooks.
 */
export async function syncWebhooks(platform: Platform, scope: Scope, flowId: string, def: FlowDefinition) {
  const nodes = def.nodes
    .filter((n) => n.type === "trigger" && n.params.event === "webhook")
    .map((n) => n.id);
  await scope.query("delete from flow_webhooks where flow_id = $1 and not (node_id = any($2::text[]))", [
    flowId,
    nodes,
  ]);
  const have = new Set(
    (
      await scope.query<{ node_id: string }>("select node_id from flow_webhooks where flow_id = $1", [flowId])
    ).map((r) => r.node_id),
  );
  for (const n of nodes) if (!have.has(n)) await insertToken(platform, scope, flowId, n);
}

/** The webhook URLs of a flow's published webhook triggers (none before the first publish). */
export async function listWebhooks(platform: Platform, scope: Scope, flowId: string) {
  await flowRow(scope, flowId);
  const rows = await scope.query<WebhookRow>(
    "select id, node_id, token_enc, created_at from flow_webhooks where flow_id = $1 order by node_id",
    [flowId],
  );
  return rows.map((r) => toDto(platform, r));
}

/** A new token for a node (the old one stops working at once). 404 when the node has no webhook. */
export async function regenerateWebhook(platform: Platform, scope: Scope, flowId: string, nodeId: string) {
  const flow = await flowRow(scope, flowId, true);
  if (flow.status === "archived") throw new AppError("invalid_state", "the flow is archived");
  const [row] = await scope.query("select 1 from flow_webhooks where flow_id = $1 and node_id = $2", [
    flowId,
    nodeId,
  ]);
  if (!row) throw notFound("webhook trigger");
  return toDto(platform, await insertToken(platform, scope, flowId, nodeId));
}

export type WebhookBody = z.infer<typeof flowWebhookBodySchema>;

/**
 * Idempotency keys are kept this long, then pruned daily (`flows.webhook-calls.prune`). A caller
 * retries a call within minutes or hours; a week also covers a retry queue drained after a long
 * weekend outage, while the table stays bounded (at most a week of calls).
 */
export const webhookCallRetentionMs = 7 * 24 * 3600 * 1000;
export const pruneWebhookCallsJob = "flows.webhook-calls.prune";

/** Deletes idempotency keys older than `olderThanMs`, in batches; returns how many. */
export async function pruneWebhookCalls(
  platform: Platform,
  options: { olderThanMs?: number; batch?: number } = {},
): Promise<number> {
  const seconds = (options.olderThanMs ?? webhookCallRetentionMs) / 1000;
  const batch = options.batch ?? 5000;
  let total = 0;
  for (;;) {
    const [row] = await platform.db.system((s) =>
      s.query<{ n: number | string }>(
        `with gone as (
           delete from flow_webhook_calls where ctid in (
             select ctid from flow_webhook_calls where created_at < now() - make_interval(secs => $1) limit $2)
           returning 1)
         select count(*) as n from gone`,
        [seconds, batch],
      ),
    );
    const n = Number(row?.n ?? 0);
    total += n;
    if (n < batch) return total;
  }
}

/** Raised when a token is over its rate; the route adds the Retry-After header. */
export class WebhookRateLimited extends AppError {
  constructor(readonly retryAfterS: number) {
    super("rate_limited", `too many calls for this webhook; retry in ${retryAfterS} s`, { retryAfterS });
  }
}

/**
 * An inbound call: finds the token's flow (any tenant), holds it to the token's rate (429), refuses an
 * archived flow (409), finds the customer (422 when named but unknown), and starts one instance with
 * the body as its `event` — once per `Idempotency-Key`: a repeated key answers the instances of its
 * first call.
 */
export async function receiveWebhook(
  platform: Platform,
  input: { token: string; body: WebhookBody; idempotencyKey: string | null },
): Promise<{ instanceIds: string[] }> {
  if (!webhookTokenPattern.test(input.token)) throw notFound("webhook");
  const hash = platform.crypto.blindIndex(indexKind, input.token);
  const [hook] = await platform.db.system((s) =>
    s.query<{ tenant_id: string; flow_id: string; node_id: string }>(
      "select tenant_id, flow_id, node_id from flow_webhooks where token_hash = $1",
      [hash],
    ),
  );
  if (!hook) throw notFound("webhook");
  // Keyed by the token's hash (never the secret itself); unknown tokens take no slot anywhere.
  const slot = await platform.limits.tryAcquire(`flows.webhook:${hash}`, {
    limit: platform.config.flowWebhookRatePerMinute,
    windowMs: 60_000,
  });
  if (!slot.ok) throw new WebhookRateLimited(Math.max(1, Math.ceil(slot.retryAfterMs / 1000)));
  return platform.db.tenant(hook.tenant_id, async (s) => {
    const flow = await flowRow(s, hook.flow_id);
    if (flow.status === "archived") throw new AppError("invalid_state", "the flow is archived");
    const [trigger] = await s.query<{ params: Record<string, unknown> }>(
      "select params from flow_triggers where flow_id = $1 and node_id = $2 and event = 'webhook'",
      [hook.flow_id, hook.node_id],
    );
    if (!trigger) throw notFound("webhook");

    if (input.idempotencyKey !== null) {
      // The first call of a key inserts the row; a concurrent twin waits on it, then reads its answer.
      const fresh = await s.query(
        `insert into flow_webhook_calls (tenant_id, flow_id, node_id, idempotency_key) values ($1, $2, $3, $4)
         on conflict do nothing returning 1`,
        [hook.tenant_id, hook.flow_id, hook.node_id, input.idempotencyKey],
      );
      if (!fresh.length) {
        const [prior] = await s.query<{ instance_ids: string[] }>(
          "select instance_ids from flow_webhook_calls where flow_id = $1 and node_id = $2 and idempotency_key = $3",
          [hook.flow_id, hook.node_id, input.idempotencyKey],
        );
        return { instanceIds: prior?.instance_ids ?? [] };
      }
    }

    const { customerId: askedId, identity } = input.body;
    let customerId: string | null = null;
    if (askedId !== undefined || identity !== undefined) {
      customerId = await findCustomer(s, platform.crypto, {
        customerId: askedId,
        identity: identity && {
          type: identity.type as IdentityType,
          value: identity.value,
          ...(identity.scope !== undefined ? { scope: identity.scope } : {}),
        },
      });
      if (!customerId)
        throw new AppError(
          "unknown_customer",
          askedId !== undefined ? `no customer ${askedId}` : `no customer with this ${identity!.type}`,
        );
    }
    const payload = input.body as Record<string, unknown>;
    const event = {
      id: "",
      type: "webhook",
      tenantId: hook.tenant_id,
      aggregateType: "flow",
      aggregateId: hook.flow_id,
      payload,
      at: new Date().toISOString(),
    };
    const instanceIds: string[] = [];
    if (await triggerMatches(s, trigger.params, event, customerId)) {
      const id = await startInstanceTx(platform, s, {
        flowId: hook.flow_id,
        customerId,
        triggerNodeId: hook.node_id,
        event: { type: "webhook", payload },
      });
      if (id) instanceIds.push(id);
    }
    if (input.idempotencyKey !== null)
      await s.query(
        "update flow_webhook_calls set instance_ids = $4 where flow_id = $1 and node_id = $2 and idempotency_key = $3",
        [hook.flow_id, hook.node_id, input.idempotencyKey, instanceIds],
      );
    return { instanceIds };
  });
}

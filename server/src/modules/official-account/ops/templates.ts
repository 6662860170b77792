import type {
  OaTemplateBatchDto,
  OaTemplateDto,
  OaTemplateSendInput,
  OaTemplateSendRowDto,
} from "@siyu/contracts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { badRequest, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { quietHoursEnd, reserve } from "../../contact-policy/index.ts";
import { trackedUrl } from "../../content/index.ts";
import { customerIdsMergedInto, customerIdsWithTag, customerNames } from "../../customers/index.ts";
import { segmentMemberIds } from "../../customers/segments/index.ts";
import { oaClient, requireOaSettings } from "../oa-client.ts";
import { currentAppSql } from "./apply-followers.ts";

export const sendTemplateBatchJob = "official-account.template-send";
/** Most recipients one send reaches (a segment or tag larger than this is refused). */
export const templateAudienceMax = 10_000;

interface TemplateRow {
  id: string;
  template_id: string;
  title: string;
  content: string;
  example: string;
  source: "synced" | "entered";
  updated_at: Date;
}

/** `{{thing1.DATA}}` → `thing1`, in order of appearance. */
export function templateKeys(content: string): string[] {
  const keys: string[] = [];
  for (const m of content.matchAll(/\{\{\s*([A-Za-z0-9_]+)\.DATA\s*\}\}/g)) {
    const key = m[1] as string;
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

const templateDto = (r: TemplateRow): OaTemplateDto => ({
  id: r.id,
  templateId: r.template_id,
  title: r.title,
  content: r.content,
  example: r.example,
  keys: templateKeys(r.content),
  source: r.source,
  updatedAt: r.updated_at.toISOString(),
});

export async function listTemplates(scope: Scope): Promise<OaTemplateDto[]> {
  const rows = await scope.query<TemplateRow>(
    `select * from oa_templates where deleted_at is null and app_id = ${currentAppSql} order by title, template_id`,
  );
  return rows.map(templateDto);
}

export async function saveTemplate(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: { templateId: string; title: string; content?: string; example?: string },
  source: "synced" | "entered" = "entered",
  appId?: string,
): Promise<OaTemplateDto> {
  const [row] = await scope.query<TemplateRow>(
    `insert into oa_templates (id, tenant_id, template_id, title, content, example, source, app_id)
     values ($1, $2, $3, $4, $5, $6, $7, coalesce($8, ${currentAppSql}))
     on conflict (tenant_id, app_id, template_id) where deleted_at is null
     do update set title = excluded.title, content = excluded.content, example = excluded.example,
                   source = excluded.source, updated_at = now()
     returning *`,
    [
      newId("otp"),
      scope.tenantId,
      input.templateId,
      input.title,
      input.content ?? "",
      input.example ?? "",
      source,
      appId ?? null,
    ],
  );
  if (source === "entered")
    await platform.audit.record(scope, actor, {
      action: "official_account.template_saved",
      targetType: "oa_template",
      targetId: (row as TemplateRow).id,
      data: { templateId: input.templateId, title: input.title },
    });
  return templateDto(row as TemplateRow);
}

export async function deleteTemplate(scope: Scope, platform: Platform, actor: Actor, id: string) {
  const [row] = await scope.query<{ template_id: string }>(
    `update oa_templates set deleted_at = now() where id = $1 and deleted_at is null and app_id = ${currentAppSql}
      returning template_id`,
    [id],
  );
  if (!row) throw notFound("template");
  await platform.audit.record(scope, actor, {
    action: "official_account.template_deleted",
    targetType: "oa_template",
    targetId: id,
    data: { templateId: row.template_id },
  });
}

/** template/get_all_private_template → the template list (upserted; none deleted). */
export async function syncTemplates(
  platform: Platform,
  tenantId: string,
  actor: Actor,
): Promise<OaTemplateDto[]> {
  const settings = await requireOaSettings(platform, tenantId);
  const answer = await oaClient(platform, settings).templates.list();
  return platform.db.tenant(tenantId, async (s) => {
    for (const t of answer.template_list ?? [])
      await saveTemplate(
        s,
        platform,
        actor,
        {
          templateId: t.template_id,
          title: t.title,
          content: t.content,
          example: t.example ?? "",
        },
        "synced",
        settings.appId,
      );
    await platform.audit.record(s, actor, {
      action: "official_account.templates_synced",
      targetType: "oa_template",
      targetId: tenantId,
      data: { count: answer.template_list?.length ?? 0 },
    });
    return listTemplates(s);
  });
}

/** `{{name}}` in a value is the customer's name. */
const personalise = (data: Record<string, string>, name: string) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replaceAll("{{name}}", name)]));

/**
 * A template send to customers (a list, a segment or a tag): one batch, one send row per customer who
 * follows the account (others are skipped and counted), written in one transaction with the job that
 * sends them enqueued on commit. Values are personalised and an article link is tracked per recipient
 * here, so a retried job sends exactly what was recorded.
 */
export async function startTemplateSend(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: Omit<OaTemplateSendInput, "data"> & { data: Record<string, string> },
  origin: string | null = null,
  options: { policyRef?: string } = {},
): Promise<OaTemplateBatchDto> {
  // Templates, followers and sends are the connected account's (a template id or openid of another
  // account means nothing to it); the batch and its sends keep that appid for good.
  const [template] = await scope.query<{ template_id: string; app_id: string }>(
    `select template_id, app_id from oa_templates where template_id = $1 and deleted_at is null
        and app_id = ${currentAppSql}`,
    [input.templateId],
  );
  if (!template) throw badRequest("unknown template: sync the templates or enter it first");
  const appId = template.app_id;
  let customerIds: string[] = [];
  if (input.customerIds) customerIds = [...new Set(input.customerIds)];
  else if (input.segmentId) {
    let cursor: string | undefined;
    do {
      const page = await segmentMemberIds(scope, input.segmentId, {
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      customerIds.push(...page.ids);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && customerIds.length <= templateAudienceMax);
  } else if (input.tag) {
    let after: string | null = null;
    for (;;) {
      const ids = await customerIdsWithTag(scope, input.tag, { limit: 1000, after });
      customerIds.push(...ids);
      if (ids.length < 1000 || customerIds.length > templateAudienceMax) break;
      after = ids.at(-1) ?? null;
    }
  }
  if (customerIds.length > templateAudienceMax)
    throw badRequest(`at most ${templateAudienceMax} recipients per send`);
  // The follower of each customer (the latest subscribed one when a person followed twice).
  const followers = await scope.query<{ customer_id: string; openid: string }>(
    `select distinct on (customer_id) customer_id, openid from oa_followers
      where customer_id = any($1::text[]) and subscribed and app_id = $2 order by customer_id, subscribe_time desc nulls last`,
    [customerIds, appId],
  );
  const names = await customerNames(
    scope,
    followers.map((f) => f.customer_id),
  );
  const batchId = newId("otb");
  const tenantId = scope.tenantId as string;
  // Marketing guardrails (SPEC §6), like WeCom mass messages: one reservation for the recipients
  // under the send's ref (a flow step's own ref, so the step's touch is not counted twice); in quiet
  // hours the whole batch waits for their end and is counted for then. Refused recipients are
  // recorded as `blocked` with the reason, never sent.
  const purpose = input.purpose ?? "marketing";
  const policyRef = options.policyRef ?? `oa_template:${batchId}`;
  const notBefore = followers.length
    ? await quietHoursEnd(scope, { tenantId, channel: "oa_template", purpose })
    : null;
  const decisions = followers.length
    ? await reserve(scope, {
        tenantId,
        customerIds: followers.map((f) => f.customer_id),
        channel: "oa_template",
        purpose,
        ref: policyRef,
        ...(notBefore ? { at: notBefore } : {}),
      })
    : null;
  const refused = new Map<string, string>();
  for (const d of decisions?.items ?? []) if (d.outcome !== "allow") refused.set(d.customerId, d.reason);
  await scope.query(
    `insert into oa_template_batches (id, tenant_id, template_id, audience, data, url, article_id, miniprogram,
       total, skipped, origin, created_by, purpose, policy_ref, blocked, app_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      batchId,
      scope.tenantId,
      input.templateId,
      JSON.stringify(
        input.customerIds
          ? { customers: customerIds.length }
          : input.segmentId
            ? { segmentId: input.segmentId }
            : { tag: input.tag },
      ),
      JSON.stringify(input.data),
      input.url ?? null,
      input.articleId ?? null,
      input.miniprogram ? JSON.stringify(input.miniprogram) : null,
      followers.length,
      customerIds.length - followers.length,
      origin,
      actor.userId ?? null,
      purpose,
      policyRef,
      refused.size,
      appId,
    ],
  );
  for (const f of followers) {
    const sendId = newId("ots");
    const reason = refused.get(f.customer_id);
    if (reason) {
      await scope.query(
        `insert into oa_template_sends (id, tenant_id, openid, customer_id, template_id, client_msg_id, data, url,
           status, error, policy_reason, created_by, batch_id, finished_at, app_id)
         values ($1, $2, $3, $4, $5, $1, $6, null, 'blocked', $7, $8, $9, $10, now(), $11)`,
        [
          sendId,
          scope.tenantId,
          f.openid,
          f.customer_id,
          input.templateId,
          JSON.stringify(input.data),
          `contact policy: ${reason}`,
          reason,
          actor.userId ?? null,
          batchId,
          appId,
        ],
      );
      continue;
    }
    const url = input.articleId
      ? (await trackedUrl(scope, platform, input.articleId, { customerId: f.customer_id })).url
      : (input.url ?? null);
    await scope.query(
      `insert into oa_template_sends (id, tenant_id, openid, customer_id, template_id, client_msg_id, data, url,
         status, created_by, batch_id, app_id)
       values ($1, $2, $3, $4, $5, $1, $6, $7, 'sending', $8, $9, $10)`,
      [
        sendId,
        scope.tenantId,
        f.openid,
        f.customer_id,
        input.templateId,
        JSON.stringify(personalise(input.data, names.get(f.customer_id) ?? "")),
        url,
        actor.userId ?? null,
        batchId,
        appId,
      ],
    );
  }
  await platform.audit.record(scope, actor, {
    action: "official_account.template_send_started",
    targetType: "oa_template_batch",
    targetId: batchId,
    data: {
      templateId: input.templateId,
      total: followers.length,
      skipped: customerIds.length - followers.length,
      blocked: refused.size,
      purpose,
      origin,
    },
  });
  const delayMs = notBefore ? Math.max(1_000, notBefore.getTime() - Date.now() + 1_000) : 0;
  scope.onCommit(() => {
    platform.jobs
      .send(sendTemplateBatchJob, { tenantId, batchId }, { key: batchId, ...(delayMs ? { delayMs } : {}) })
      .catch((err: unknown) => platform.log.warn({ err, batchId }, "template send enqueue failed"));
  });
  return {
    id: batchId,
    appId,
    templateId: input.templateId,
    status: "queued",
    total: followers.length,
    skipped: customerIds.length - followers.length,
    createdAt: new Date().toISOString(),
    counts: {
      ...(followers.length - refused.size ? { sending: followers.length - refused.size } : {}),
      ...(refused.size ? { blocked: refused.size } : {}),
    },
  };
}

export async function listBatches(scope: Scope, limit: number): Promise<OaTemplateBatchDto[]> {
  const rows = await scope.query<{
    id: string;
    app_id: string;
    template_id: string;
    status: "queued" | "sending" | "done";
    total: number;
    skipped: number;
    created_at: Date;
    counts: Record<string, number> | null;
  }>(
    `select b.*, (select jsonb_object_agg(status, n) from (select status, count(*)::int as n from oa_template_sends s
                    where s.batch_id = b.id group by status) x) as counts
       from oa_template_batches b order by b.created_at desc, b.id desc limit $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    appId: r.app_id,
    templateId: r.template_id,
    status: r.status,
    total: r.total,
    skipped: r.skipped,
    createdAt: r.created_at.toISOString(),
    counts: r.counts ?? {},
  }));
}

/**
 * Sends of a batch, or of a customer: a send row keeps the customer id of batch time, so a customer's
 * list takes the sends to every profile merged into it too (each row still says which one it was).
 */
export async function listSends(
  scope: Scope,
  q: { batchId?: string | undefined; customerId?: string | undefined; limit: number },
): Promise<OaTemplateSendRowDto[]> {
  const customerIds = q.customerId ? await customerIdsMergedInto(scope, q.customerId) : null;
  const rows = await scope.query<{
    id: string;
    batch_id: string | null;
    openid: string;
    customer_id: string | null;
    template_id: string;
    msgid: string | null;
    status: string;
    error: string | null;
    created_at: Date;
    finished_at: Date | null;
  }>(
    `select * from oa_template_sends where ($1::text is null or batch_id = $1) and ($2::text[] is null or customer_id = any($2))
      order by created_at desc, id desc limit $3`,
    [q.batchId ?? null, customerIds, q.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    batchId: r.batch_id,
    openid: r.openid,
    customerId: r.customer_id,
    templateId: r.template_id,
    msgid: r.msgid,
    status: r.status,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  }));
}

import type {
  WecomGroupTransferInput,
  WecomTransferDetailDto,
  WecomTransferDto,
  WecomTransferInput,
  WecomTransferItemDto,
} from "@siyu/contracts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { badRequest, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";

/** transfer_customer and groupchat/transfer take at most 100 per call (protocols/wecom.md §3.7). */
export const transferChunk = 100;

export type TransferKind = WecomTransferDto["kind"];

/** WeCom transfer status → ours. */
export const transferStatus: Record<number, WecomTransferItemDto["status"]> = {
  1: "done",
  2: "waiting",
  3: "refused",
  4: "over_quota",
  5: "no_record",
};

/**
 * Records a customer succession request: one item per customer, in chunks of 100 (the job sends one
 * call per chunk). Customers must be WeCom contacts of this tenant followed by the handover member;
 * an unknown customer answers 404 (another tenant's too).
 */
export async function createTransfer(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: WecomTransferInput,
): Promise<string> {
  const items = new Map<string, string>();
  const customerIds = [...new Set(input.customerIds ?? [])];
  if (customerIds.length) {
    const rows = await scope.query<{ customer_id: string; external_userid: string }>(
      `select c.customer_id, c.external_userid from wecom_contacts c
        join wecom_follows f on f.external_userid = c.external_userid and f.userid = $2 and f.deleted_at is null
       where c.customer_id = any($1::text[])`,
      [customerIds, input.handoverUserid],
    );
    const known = new Set(rows.map((r) => r.customer_id));
    const missing = customerIds.filter((c) => !known.has(c));
    if (missing.length)
      throw notFound(`customer ${missing.slice(0, 3).join(", ")} of ${input.handoverUserid}`);
    for (const r of rows) items.set(r.external_userid, r.customer_id);
  }
  const exts = [...new Set(input.externalUserids ?? [])].filter((e) => !items.has(e));
  if (exts.length) {
    const rows = await scope.query<{ customer_id: string; external_userid: string }>(
      "select customer_id, external_userid from wecom_contacts where external_userid = any($1::text[])",
      [exts],
    );
    const known = new Map(rows.map((r) => [r.external_userid, r.customer_id]));
    const missing = exts.filter((e) => !known.has(e));
    // The resigned list comes from WeCom and may name contacts not synced yet: those go by external_userid.
    if (missing.length && input.kind === "onjob")
      throw notFound(`external contact ${missing.slice(0, 3).join(", ")}`);
    for (const e of exts) items.set(e, known.get(e) ?? "");
  }
  const staff = await scope.query<{ userid: string; status: string }>(
    "select userid, status from wecom_staff where userid = any($1::text[])",
    [[input.handoverUserid, input.takeoverUserid]],
  );
  const takeover = staff.find((s) => s.userid === input.takeoverUserid);
  if (takeover?.status === "resigned") throw badRequest(`${input.takeoverUserid} has resigned`);
  const id = newId("wtr");
  await scope.query(
    `insert into wecom_transfers (id, tenant_id, kind, handover_userid, takeover_userid, message, created_by)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [
      id,
      scope.tenantId,
      input.kind,
      input.handoverUserid,
      input.takeoverUserid,
      input.message ?? null,
      actor.userId ?? null,
    ],
  );
  const list = [...items.entries()];
  await scope.query(
    `insert into wecom_transfer_items (tenant_id, transfer_id, subject_id, customer_id, handover_userid, chunk)
     select $1, $2, s, nullif(c, ''), $5, (o - 1) / ${transferChunk}
       from unnest($3::text[], $4::text[]) with ordinality as t(s, c, o)`,
    [scope.tenantId, id, list.map(([e]) => e), list.map(([, c]) => c), input.handoverUserid],
  );
  await platform.audit.record(scope, actor, {
    action: "wecom.transfer_created",
    targetType: "wecom_transfer",
    targetId: id,
    data: {
      kind: input.kind,
      handover: input.handoverUserid,
      takeover: input.takeoverUserid,
      customers: list.length,
    },
  });
  return id;
}

export async function createGroupTransfer(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: WecomGroupTransferInput,
): Promise<string> {
  const chatIds = [...new Set(input.chatIds)];
  const rows = await scope.query<{ chat_id: string; owner_userid: string | null }>(
    "select chat_id, owner_userid from wecom_groups where chat_id = any($1::text[]) and dismissed_at is null",
    [chatIds],
  );
  const known = new Set(rows.map((r) => r.chat_id));
  const missing = chatIds.filter((c) => !known.has(c));
  if (missing.length) throw notFound(`group ${missing.slice(0, 3).join(", ")}`);
  const id = newId("wtr");
  const kind: TransferKind = input.kind === "onjob" ? "group_onjob" : "group_resigned";
  await scope.query(
    `insert into wecom_transfers (id, tenant_id, kind, takeover_userid, created_by) values ($1, $2, $3, $4, $5)`,
    [id, scope.tenantId, kind, input.newOwner, actor.userId ?? null],
  );
  await scope.query(
    `insert into wecom_transfer_items (tenant_id, transfer_id, subject_id, handover_userid, chunk)
     select $1, $2, s, o2.owner, (o - 1) / ${transferChunk}
       from unnest($3::text[]) with ordinality as t(s, o)
       left join lateral (select owner_userid as owner from wecom_groups g where g.chat_id = t.s) o2 on true`,
    [scope.tenantId, id, chatIds],
  );
  await platform.audit.record(scope, actor, {
    action: "wecom.group_transfer_created",
    targetType: "wecom_transfer",
    targetId: id,
    data: { kind, newOwner: input.newOwner, groups: chatIds.length },
  });
  return id;
}

interface TransferRow {
  id: string;
  kind: TransferKind;
  handover_userid: string | null;
  takeover_userid: string;
  status: WecomTransferDto["status"];
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

async function dtos(scope: Scope, rows: TransferRow[]): Promise<WecomTransferDto[]> {
  if (!rows.length) return [];
  const counts = await scope.query<{ transfer_id: string; status: string; n: number }>(
    `select transfer_id, status, count(*)::int as n from wecom_transfer_items where transfer_id = any($1::text[]) group by 1, 2`,
    [rows.map((r) => r.id)],
  );
  return rows.map((r) => {
    const c: Record<string, number> = {};
    let total = 0;
    for (const x of counts.filter((k) => k.transfer_id === r.id)) {
      c[x.status] = x.n;
      total += x.n;
    }
    return {
      id: r.id,
      kind: r.kind,
      handoverUserid: r.handover_userid,
      takeoverUserid: r.takeover_userid,
      status: r.status,
      error: r.error,
      counts: c,
      total,
      createdAt: r.created_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
    };
  });
}

export async function listTransfers(scope: Scope, q: { limit: number; cursor?: string | undefined }) {
  const rows = await scope.query<TransferRow>(
    "select * from wecom_transfers where ($2::text is null or id < $2) order by id desc limit $1",
    [q.limit + 1, q.cursor ?? null],
  );
  const page = rows.slice(0, q.limit);
  return {
    items: await dtos(scope, page),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

export async function getTransfer(scope: Scope, id: string): Promise<WecomTransferDetailDto> {
  const rows = await scope.query<TransferRow>("select * from wecom_transfers where id = $1", [id]);
  const [dto] = await dtos(scope, rows);
  if (!dto) throw notFound("transfer");
  const items = await scope.query<{
    subject_id: string;
    customer_id: string | null;
    status: WecomTransferItemDto["status"];
    wecom_status: number | null;
    errcode: number | null;
    reason: string | null;
    takeover_time: Date | null;
  }>(
    `select subject_id, customer_id, status, wecom_status, errcode, reason, takeover_time
       from wecom_transfer_items where transfer_id = $1 order by chunk, subject_id`,
    [id],
  );
  return {
    ...dto,
    items: items.map((i) => ({
      subjectId: i.subject_id,
      customerId: i.customer_id,
      status: i.status,
      wecomStatus: i.wecom_status,
      errcode: i.errcode,
      reason: i.reason,
      takeoverTime: i.takeover_time?.toISOString() ?? null,
    })),
  };
}

/**
 * A `transfer_fail` event (the customer refused, or the takeover member is over quota): the waiting
 * item of that customer and takeover member becomes final. Called from event processing, in its
 * transaction; the event's own timeline entry is written there.
 */
export async function applyTransferFail(
  scope: Scope,
  input: { externalUserid: string; takeoverUserid: string; reason: string },
): Promise<void> {
  const status = input.reason === "customer_limit_exceed" ? "over_quota" : "refused";
  await scope.query(
    `update wecom_transfer_items i set status = $3, wecom_status = $4, reason = $5, updated_at = now()
       from wecom_transfers t
      where t.id = i.transfer_id and i.subject_id = $1 and t.takeover_userid = $2 and i.status = 'waiting'`,
    [
      input.externalUserid,
      input.takeoverUserid,
      status,
      status === "over_quota" ? 4 : 3,
      input.reason || null,
    ],
  );
}

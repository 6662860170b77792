import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { appendTimeline } from "../../customers/index.ts";
import {
  errcodeOf,
  errorText,
  isTransient,
  pollDelayMs,
  runStep,
  tenantClient,
} from "../ops/action-steps.ts";
import { type TransferKind, transferStatus } from "../ops/transfers.ts";

export const transferSendJob = "wecom.transfer-send";
export const transferPollJob = "wecom.transfer-poll";
const attempts = 6;
/** The customer has 24 h to refuse; poll a little longer, then leave what is still waiting. */
const pollWindowMs = 3 * 86400_000;

interface TransferData {
  tenantId: string;
  id: string;
}
interface PollData extends TransferData {
  seq: number;
}

interface TransferRow {
  kind: TransferKind;
  handover_userid: string | null;
  takeover_userid: string;
  message: string | null;
  status: string;
  polls: number;
  created_at: Date;
}

type CallResult = { items: Array<{ id: string; errcode: number }> };

export const sendTransfer = (platform: Platform, tenantId: string, id: string) =>
  platform.jobs.send<TransferData>(transferSendJob, { tenantId, id }, { key: id });

export const pollTransfer = (platform: Platform, tenantId: string, id: string, seq: number, delayMs = 0) =>
  platform.jobs.send<PollData>(
    transferPollJob,
    { tenantId, id, seq },
    { key: seq < 0 ? `${id}:refresh:${Date.now()}` : `${id}:poll:${seq}`, ...(delayMs ? { delayMs } : {}) },
  );

/** Final item states get one timeline entry on the customer; a done on-job item moves the follow. */
async function settleItems(
  s: Scope,
  platform: Platform,
  id: string,
  t: TransferRow,
  updates: Array<{
    subject: string;
    status: string;
    wecomStatus: number | null;
    errcode: number | null;
    takeoverTime: number | null;
  }>,
): Promise<void> {
  if (!updates.length) return;
  const changed = await s.query<{
    subject_id: string;
    customer_id: string | null;
    status: string;
    handover_userid: string | null;
  }>(
    `update wecom_transfer_items i set status = v.status, wecom_status = v.ws, errcode = coalesce(v.ec, i.errcode),
            takeover_time = case when v.tt is null then i.takeover_time else to_timestamp(v.tt) end, updated_at = now()
       from (select unnest($2::text[]) as subject, unnest($3::text[]) as status, unnest($4::int[]) as ws,
                    unnest($5::int[]) as ec, unnest($6::bigint[]) as tt) v
      where i.transfer_id = $1 and i.subject_id = v.subject and i.status in ('pending', 'waiting') and i.status <> v.status
      returning i.subject_id, i.customer_id, i.status, i.handover_userid`,
    [
      id,
      updates.map((u) => u.subject),
      updates.map((u) => u.status),
      updates.map((u) => u.wecomStatus),
      updates.map((u) => u.errcode),
      updates.map((u) => u.takeoverTime),
    ],
  );
  const group = t.kind === "group_onjob" || t.kind === "group_resigned";
  for (const c of changed) {
    if (group) {
      if (c.status === "done")
        await s.query("update wecom_groups set owner_userid = $2, updated_at = now() where chat_id = $1", [
          c.subject_id,
          t.takeover_userid,
        ]);
      continue;
    }
    if (c.status === "done" && c.handover_userid) {
      // WeCom sends no callback for API-made changes: move the relation locally (sync confirms later).
      await s.query(
        `insert into wecom_follows (tenant_id, external_userid, userid, remark, description, state, add_way, tag_ids, createtime)
         select tenant_id, external_userid, $3, remark, description, state, 202, tag_ids, now()
           from wecom_follows where external_userid = $1 and userid = $2
         on conflict (tenant_id, external_userid, userid) do update set deleted_at = null, ended_by = null, updated_at = now()`,
        [c.subject_id, c.handover_userid, t.takeover_userid],
      );
      await s.query(
        `update wecom_follows set deleted_at = coalesce(deleted_at, now()), ended_by = 'transfer', updated_at = now()
          where external_userid = $1 and userid = $2`,
        [c.subject_id, c.handover_userid],
      );
    }
    if (!c.customer_id) continue;
    await appendTimeline(
      s,
      platform.events,
      c.customer_id,
      c.status === "waiting" ? "wecom.transfer_started" : "wecom.transfer_result",
      {
        transferId: id,
        kind: t.kind,
        externalUserid: c.subject_id,
        handoverUserid: c.handover_userid,
        takeoverUserid: t.takeover_userid,
        status: c.status,
      },
    );
  }
}

/**
 * Succession (继承, SPEC §2). `transfer-send` makes one WeCom call per chunk of ≤ 100 — each a stored
 * step, so a retry resends only chunks that never got an answer — and records per customer whether the
 * transfer started (errcode 0 → waiting) or was refused at once. The poll chain reads
 * transfer_result / resigned/transfer_result until nothing waits; transfer_fail events settle items
 * early (ops/transfers.ts applyTransferFail). Group transfers are immediate: failed_chat_list or done.
 */
export function defineTransferJobs(platform: Platform) {
  const { db, jobs } = platform;
  const load = (tenantId: string, id: string) =>
    db.tenant(tenantId, async (s) => {
      const [t] = await s.query<TransferRow>("select * from wecom_transfers where id = $1", [id]);
      return t;
    });

  jobs.define<TransferData>({
    name: transferSendJob,
    queue: "outbound",
    attempts,
    backoffMs: 2_000,
    async handler({ tenantId, id }, ctx) {
      const t = await load(tenantId, id);
      if (!t || (t.status !== "queued" && t.status !== "running")) return;
      const chunks = await db.tenant(tenantId, async (s) => {
        await s.query("update wecom_transfers set status = 'running', updated_at = now() where id = $1", [
          id,
        ]);
        return s.query<{ chunk: number; subjects: string[] }>(
          `select chunk, array_agg(subject_id order by subject_id) as subjects from wecom_transfer_items
            where transfer_id = $1 and status = 'pending' group by chunk order by chunk`,
          [id],
        );
      });
      const client = await tenantClient(platform, tenantId);
      const group = t.kind === "group_onjob" || t.kind === "group_resigned";
      for (const { chunk, subjects } of chunks) {
        let res: CallResult;
        try {
          res = await runStep(
            platform,
            tenantId,
            `transfer:${id}:${chunk}`,
            async (): Promise<CallResult> => {
              if (group) {
                const r = await client.call<{
                  failed_chat_list?: Array<{ chat_id: string; errcode: number }>;
                }>(
                  "POST",
                  `/cgi-bin/externalcontact/groupchat/${t.kind === "group_onjob" ? "onjob_transfer" : "transfer"}`,
                  { body: { chat_id_list: subjects, new_owner: t.takeover_userid } },
                );
                const failed = new Map((r.failed_chat_list ?? []).map((f) => [f.chat_id, f.errcode]));
                return { items: subjects.map((c) => ({ id: c, errcode: failed.get(c) ?? 0 })) };
              }
              const req = {
                handover_userid: t.handover_userid ?? "",
                takeover_userid: t.takeover_userid,
                external_userid: subjects,
              };
              const r =
                t.kind === "onjob"
                  ? await client.transfer.customer({
                      ...req,
                      ...(t.message ? { transfer_success_msg: t.message } : {}),
                    })
                  : await client.transfer.resignedCustomer(req);
              return { items: r.customer.map((c) => ({ id: c.external_userid, errcode: c.errcode })) };
            },
          );
        } catch (err) {
          if (isTransient(err) && ctx.attempt < attempts) {
            await db.tenant(tenantId, (s) =>
              s.query("update wecom_transfers set error = $2, updated_at = now() where id = $1", [
                id,
                errorText(err),
              ]),
            );
            throw err;
          }
          res = { items: subjects.map((sub) => ({ id: sub, errcode: errcodeOf(err) ?? -1 })) };
          await db.tenant(tenantId, (s) =>
            s.query("update wecom_transfers set error = $2, updated_at = now() where id = $1", [
              id,
              errorText(err),
            ]),
          );
        }
        await db.tenant(tenantId, (s) =>
          settleItems(
            s,
            platform,
            id,
            t,
            res.items.map((i) => ({
              subject: i.id,
              status: i.errcode !== 0 ? "failed" : group ? "done" : "waiting",
              wecomStatus: i.errcode !== 0 ? null : group ? 1 : 2,
              errcode: i.errcode,
              takeoverTime: null,
            })),
          ),
        );
      }
      const waiting = await finishIfSettled(tenantId, id);
      if (waiting) await pollTransfer(platform, tenantId, id, 0, pollDelayMs(0));
    },
  });

  /** Completes the transfer when nothing is pending or waiting; returns whether something still waits. */
  async function finishIfSettled(tenantId: string, id: string, force = false): Promise<boolean> {
    return db.tenant(tenantId, async (s) => {
      const [row] = await s.query<{ open: number; ok: number }>(
        `select count(*) filter (where status in ('pending', 'waiting'))::int as open,
                count(*) filter (where status not in ('failed'))::int as ok
           from wecom_transfer_items where transfer_id = $1`,
        [id],
      );
      if ((row?.open ?? 0) > 0 && !force) return true;
      await s.query(
        `update wecom_transfers set status = $2, finished_at = coalesce(finished_at, now()), updated_at = now()
          where id = $1 and status = 'running'`,
        [id, (row?.ok ?? 0) > 0 ? "completed" : "failed"],
      );
      return false;
    });
  }

  jobs.define<PollData>({
    name: transferPollJob,
    queue: "outbound",
    attempts: 4,
    backoffMs: 5_000,
    async handler({ tenantId, id, seq }) {
      const t = await load(tenantId, id);
      if (t?.status !== "running" || t.kind === "group_onjob" || t.kind === "group_resigned") return;
      const client = await tenantClient(platform, tenantId);
      const updates: Parameters<typeof settleItems>[4] = [];
      let cursor: string | undefined;
      do {
        const req = {
          handover_userid: t.handover_userid ?? "",
          takeover_userid: t.takeover_userid,
          ...(cursor ? { cursor } : {}),
        };
        const page =
          t.kind === "onjob" ? await client.transfer.result(req) : await client.transfer.resignedResult(req);
        for (const c of page.customer) {
          updates.push({
            subject: c.external_userid,
            status: transferStatus[c.status] ?? "waiting",
            wecomStatus: c.status,
            errcode: null,
            takeoverTime: c.takeover_time ?? null,
          });
        }
        cursor = page.next_cursor || undefined;
      } while (cursor);
      await db.tenant(tenantId, (s) => settleItems(s, platform, id, t, updates));
      const expired = Date.now() - t.created_at.getTime() > pollWindowMs;
      const waiting = await finishIfSettled(tenantId, id, expired);
      if (!waiting || seq < 0) return;
      const bumped = await db.tenant(tenantId, (s) =>
        s.query("update wecom_transfers set polls = polls + 1 where id = $1 and polls = $2 returning id", [
          id,
          seq,
        ]),
      );
      if (bumped.length) await pollTransfer(platform, tenantId, id, seq + 1, pollDelayMs(seq + 1));
    },
  });
}

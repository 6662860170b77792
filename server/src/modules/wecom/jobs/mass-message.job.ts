import type { ContactPurpose, WecomMassAttachment } from "@siyu/contracts";
import type { Attachment } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import {
  quietHoursEnd,
  recheckReservation,
  releaseReservation,
  reserve,
} from "../../contact-policy/index.ts";
import { appendTimeline, survivingCustomerIds } from "../../customers/index.ts";
import {
  errcodeOf,
  errorText,
  isTransient,
  pollDelayMs,
  runStep,
  tenantClient,
} from "../ops/action-steps.ts";

export const massSendJob = "wecom.mass-send";
export const massPollJob = "wecom.mass-poll";
const attempts = 6;
/** Staff confirm a mass message in their client; after this long unconfirmed tasks stay `not_sent`. */
const pollWindowMs = 3 * 86400_000;

interface SendData {
  tenantId: string;
  id: string;
}
interface PollData extends SendData {
  /** Position in the poll chain; -1 for a one-off refresh, which never schedules the next poll. */
  seq: number;
}

/** send_list.status → ours (protocols/wecom.md §3.5). */
const resultStatus: Record<number, string> = {
  0: "not_sent",
  1: "sent",
  2: "not_friend",
  3: "already_received",
};

export function toWecomAttachment(a: WecomMassAttachment): Attachment {
  if (a.type === "link") {
    return {
      msgtype: "link",
      link: {
        title: a.title,
        url: a.url,
        ...(a.desc ? { desc: a.desc } : {}),
        ...(a.picUrl ? { picurl: a.picUrl } : {}),
      },
    };
  }
  return { msgtype: "image", image: a.mediaId ? { media_id: a.mediaId } : { pic_url: a.picUrl ?? "" } };
}

export const sendMassMessage = (platform: Platform, tenantId: string, id: string) =>
  platform.jobs.send<SendData>(massSendJob, { tenantId, id }, { key: id });

/** The send job again when quiet hours end (a unique key: a job that ran early may defer again). */
const sendMassMessageAt = (platform: Platform, tenantId: string, id: string, at: Date) =>
  platform.jobs.send<SendData>(
    massSendJob,
    { tenantId, id },
    { key: `${id}:after:${Date.now()}`, delayMs: Math.max(1_000, at.getTime() - Date.now() + 1_000) },
  );

/**
 * Filters the recipients through the contact policy as one reservation (ref = the message id, so a
 * retried job re-reserves the same customers without counting them twice): customers refused
 * (opted out, over a cap, over WeCom's per-customer mass-message limit) become `blocked` with the
 * reason, and a sender left with no one to send to is `skipped`. A refused customer's touch under the
 * ref is released: a flow step reserved it at its node, and the message never reaches them.
 */
async function applyContactPolicy(
  s: Scope,
  tenantId: string,
  id: string,
  m: { policy_ref: string | null; purpose: ContactPurpose },
): Promise<void> {
  const pending = await s.query<{ customer_id: string }>(
    "select distinct customer_id from wecom_mass_message_recipients where mass_message_id = $1 and status = 'pending'",
    [id],
  );
  if (!pending.length) return;
  const decisions = await reserve(s, {
    tenantId,
    customerIds: pending.map((p) => p.customer_id),
    channel: "wecom_mass",
    purpose: m.purpose,
    ref: m.policy_ref ?? `wecom_mass:${id}`,
  });
  const refused = decisions.items.flatMap((d) =>
    d.outcome === "allow" ? [] : [{ customerId: d.customerId, reason: d.reason as string }],
  );
  if (!refused.length) return;
  await releaseReservation(s, {
    tenantId,
    customerIds: refused.map((d) => d.customerId),
    channel: "wecom_mass",
    ref: m.policy_ref ?? `wecom_mass:${id}`,
  });
  await s.query(
    `update wecom_mass_message_recipients r set status = 'blocked', policy_reason = v.reason, updated_at = now()
       from unnest($2::text[], $3::text[]) as v(customer_id, reason)
      where r.mass_message_id = $1 and r.customer_id = v.customer_id and r.status = 'pending'`,
    [id, refused.map((d) => d.customerId), refused.map((d) => d.reason)],
  );
  await s.query(
    `update wecom_mass_message_senders ms set status = 'skipped', error = null
      where ms.mass_message_id = $1 and ms.status = 'pending'
        and not exists (select 1 from wecom_mass_message_recipients r
                         where r.mass_message_id = $1 and r.sender = ms.sender and r.status = 'pending')`,
    [id],
  );
}

/**
 * Just before one sender's task is created (senders go one after another, each a WeCom call): this
 * sender's customers who opted out since the reservation are `blocked` with the reason and their touch
 * released (recheckReservation, which follows a customer merged since to the surviving profile and
 * its opt-outs). A sender whose step is stored (its task was created before a crash) is left as it was. Returns whether anyone is left to send to; a sender with no one is `skipped`.
 */
async function recheckSender(
  platform: Platform,
  tenantId: string,
  id: string,
  sender: string,
  m: { policy_ref: string | null; purpose: ContactPurpose },
): Promise<boolean> {
  return platform.db.tenant(tenantId, async (s) => {
    const [done] = await s.query("select 1 from wecom_action_steps where step_key = $1", [
      `mass:${id}:${sender}`,
    ]);
    if (done) return true;
    const pending = await s.query<{ customer_id: string }>(
      `select distinct customer_id from wecom_mass_message_recipients
        where mass_message_id = $1 and sender = $2 and status = 'pending'`,
      [id, sender],
    );
    const { allowed, refused } = await recheckReservation(s, {
      tenantId,
      customerIds: pending.map((p) => p.customer_id),
      channel: "wecom_mass",
      purpose: m.purpose,
      ref: m.policy_ref ?? `wecom_mass:${id}`,
    });
    if (refused.length)
      await s.query(
        `update wecom_mass_message_recipients r set status = 'blocked', policy_reason = v.reason, updated_at = now()
           from unnest($3::text[], $4::text[]) as v(customer_id, reason)
          where r.mass_message_id = $1 and r.sender = $2 and r.customer_id = v.customer_id and r.status = 'pending'`,
        [id, sender, refused.map((r) => r.customerId), refused.map((r) => r.reason)],
      );
    if (allowed.length) return true;
    await s.query(
      "update wecom_mass_message_senders set status = 'skipped', error = null where mass_message_id = $1 and sender = $2 and status = 'pending'",
      [id, sender],
    );
    return false;
  });
}

export const pollMassMessage = (platform: Platform, tenantId: string, id: string, seq: number, delayMs = 0) =>
  platform.jobs.send<PollData>(
    massPollJob,
    { tenantId, id, seq },
    { key: seq < 0 ? `${id}:refresh:${Date.now()}` : `${id}:poll:${seq}`, ...(delayMs ? { delayMs } : {}) },
  );

/** Writes recipients' new statuses; a customer's timeline gets one entry when a result arrives. */
async function applyResults(
  s: Scope,
  platform: Platform,
  id: string,
  results: Array<{ ext: string; status: string; sendTime: number | null }>,
): Promise<void> {
  if (!results.length) return;
  const changed = await s.query<{
    external_userid: string;
    customer_id: string;
    status: string;
    sender: string;
  }>(
    `update wecom_mass_message_recipients r set status = v.status, updated_at = now(),
            send_time = case when v.send_time is null then null else to_timestamp(v.send_time) end
       from (select unnest($2::text[]) as ext, unnest($3::text[]) as status, unnest($4::bigint[]) as send_time) v
      where r.mass_message_id = $1 and r.external_userid = v.ext and r.status <> v.status
        and r.status in ('pending', 'not_sent')
      returning r.external_userid, r.customer_id, r.status, r.sender`,
    [id, results.map((r) => r.ext), results.map((r) => r.status), results.map((r) => r.sendTime)],
  );
  // Recipients keep the customer of creation time; a profile merged since shows the result on the survivor.
  const survivors = await survivingCustomerIds(
    s,
    changed.filter((c) => c.status !== "not_sent").map((c) => c.customer_id),
  );
  for (const c of changed) {
    if (c.status === "not_sent") continue;
    await appendTimeline(
      s,
      platform.events,
      survivors.get(c.customer_id) ?? c.customer_id,
      "wecom.mass_message",
      {
        massMessageId: id,
        externalUserid: c.external_userid,
        sender: c.sender,
        status: c.status,
      },
    );
  }
}

/**
 * Mass message (群发, SPEC §2): `mass-send` creates one add_msg_template task per owner staff — each a
 * step, so a retry never creates a second task for a sender whose msgid is stored — then the poll chain
 * reads get_groupmsg_task / get_groupmsg_send_result (paged) until every sender has confirmed.
 */
export function defineMassMessageJobs(platform: Platform) {
  const { db, jobs } = platform;

  jobs.define<SendData>({
    name: massSendJob,
    queue: "outbound",
    attempts,
    backoffMs: 2_000,
    async handler({ tenantId, id }, ctx) {
      const loaded = await db.tenant(tenantId, async (s) => {
        const [m] = await s.query<{
          status: string;
          text: string;
          attachments: WecomMassAttachment[];
          policy_ref: string | null;
          purpose: ContactPurpose;
        }>("select status, text, attachments, policy_ref, purpose from wecom_mass_messages where id = $1", [
          id,
        ]);
        if (!m || (m.status !== "queued" && m.status !== "sending")) return null;
        // Marketing guardrails (SPEC §6): in quiet hours the whole message waits for their end.
        if (m.status === "queued") {
          const quiet = await quietHoursEnd(s, { tenantId, channel: "wecom_mass", purpose: m.purpose });
          if (quiet) {
            await s.query(
              "update wecom_mass_messages set not_before = $2, updated_at = now() where id = $1",
              [id, quiet],
            );
            s.onCommit(() => {
              sendMassMessageAt(platform, tenantId, id, quiet).catch((err: unknown) =>
                platform.log.warn({ err, id }, "deferred mass-send enqueue failed; the sweep retries"),
              );
            });
            return null;
          }
        }
        await s.query("update wecom_mass_messages set status = 'sending', updated_at = now() where id = $1", [
          id,
        ]);
        await applyContactPolicy(s, tenantId, id, m);
        const senders = await s.query<{ sender: string }>(
          "select sender from wecom_mass_message_senders where mass_message_id = $1 and status = 'pending' order by sender",
          [id],
        );
        return { m, senders };
      });
      if (!loaded) return;
      const client = await tenantClient(platform, tenantId);
      for (const { sender } of loaded.senders) {
        if (!(await recheckSender(platform, tenantId, id, sender, loaded.m))) continue;
        const targets = await db.tenant(tenantId, (s) =>
          s.query<{ external_userid: string }>(
            "select external_userid from wecom_mass_message_recipients where mass_message_id = $1 and sender = $2 and status <> 'blocked' order by external_userid",
            [id, sender],
          ),
        );
        try {
          const res = await runStep(platform, tenantId, `mass:${id}:${sender}`, async () => {
            const r = await client.massMessage.add({
              chat_type: "single",
              sender,
              external_userid: targets.map((t) => t.external_userid),
              ...(loaded.m.text ? { text: { content: loaded.m.text } } : {}),
              ...(loaded.m.attachments.length
                ? { attachments: loaded.m.attachments.map(toWecomAttachment) }
                : {}),
            });
            return { msgid: r.msgid, failList: r.fail_list ?? [] };
          });
          await db.tenant(tenantId, async (s) => {
            await s.query(
              "update wecom_mass_message_senders set status = 'created', msgid = $3, error = null where mass_message_id = $1 and sender = $2",
              [id, sender, res.msgid],
            );
            await s.query(
              `update wecom_mass_message_recipients set status = 'not_sent', updated_at = now()
                where mass_message_id = $1 and sender = $2 and status = 'pending'`,
              [id, sender],
            );
            await applyResults(
              s,
              platform,
              id,
              res.failList.map((ext) => ({ ext, status: "failed", sendTime: null })),
            );
          });
        } catch (err) {
          if (isTransient(err) && ctx.attempt < attempts) {
            await db.tenant(tenantId, (s) =>
              s.query(
                "update wecom_mass_message_senders set error = $3 where mass_message_id = $1 and sender = $2",
                [id, sender, errorText(err)],
              ),
            );
            throw err;
          }
          // Final for this sender (bad request, no permission, attempts spent): its customers failed.
          await db.tenant(tenantId, async (s) => {
            await s.query(
              "update wecom_mass_message_senders set status = 'failed', errcode = $3, error = $4 where mass_message_id = $1 and sender = $2",
              [id, sender, errcodeOf(err), errorText(err)],
            );
            const rows = await s.query<{ external_userid: string }>(
              "select external_userid from wecom_mass_message_recipients where mass_message_id = $1 and sender = $2",
              [id, sender],
            );
            await applyResults(
              s,
              platform,
              id,
              rows.map((r) => ({ ext: r.external_userid, status: "failed", sendTime: null })),
            );
          });
        }
      }
      const anyCreated = await db.tenant(tenantId, async (s) => {
        const [row] = await s.query<{ created: number; failed: number; error: string | null }>(
          `select count(*) filter (where status not in ('failed', 'skipped'))::int as created,
                  count(*) filter (where status = 'failed')::int as failed,
                  max(error) filter (where status = 'failed') as error
             from wecom_mass_message_senders where mass_message_id = $1`,
          [id],
        );
        const created = (row?.created ?? 0) > 0;
        // Nothing created and nothing failed: the policy blocked every recipient, which is done, not failed.
        const status = created ? "sent" : row?.failed ? "failed" : "completed";
        await s.query(
          `update wecom_mass_messages set status = $2, error = $3, updated_at = now(),
                  finished_at = case when $2 in ('failed', 'completed') then now() else null end
            where id = $1 and status = 'sending'`,
          [id, status, row?.failed ? row.error : null],
        );
        return created;
      });
      if (anyCreated) await pollMassMessage(platform, tenantId, id, 0, pollDelayMs(0));
    },
  });

  jobs.define<PollData>({
    name: massPollJob,
    queue: "outbound",
    attempts: 4,
    backoffMs: 5_000,
    async handler({ tenantId, id, seq }) {
      const loaded = await db.tenant(tenantId, async (s) => {
        const [m] = await s.query<{ status: string; polls: number; created_at: Date }>(
          "select status, polls, created_at from wecom_mass_messages where id = $1",
          [id],
        );
        const senders = await s.query<{ sender: string; msgid: string; status: string }>(
          "select sender, msgid, status from wecom_mass_message_senders where mass_message_id = $1 and msgid is not null",
          [id],
        );
        return m ? { m, senders } : null;
      });
      if (!loaded || (loaded.m.status !== "sent" && loaded.m.status !== "completed")) return;
      const client = await tenantClient(platform, tenantId);
      let allConfirmed = true;
      for (const s of loaded.senders) {
        let confirmed = s.status === "confirmed";
        let sendTime: number | null = null;
        if (!confirmed) {
          for await (const task of client.massMessage.iterateTasks({ msgid: s.msgid, limit: 1000 })) {
            if (task.userid === s.sender && task.status === 2) {
              confirmed = true;
              sendTime = task.send_time ?? null;
            }
          }
        }
        if (!confirmed) {
          allConfirmed = false;
          continue;
        }
        const results: Array<{ ext: string; status: string; sendTime: number | null }> = [];
        for await (const r of client.massMessage.iterateSendResult({
          msgid: s.msgid,
          userid: s.sender,
          limit: 1000,
        })) {
          if (!r.external_userid) continue;
          results.push({
            ext: r.external_userid,
            status: resultStatus[r.status] ?? "not_sent",
            sendTime: r.send_time ?? null,
          });
        }
        await db.tenant(tenantId, async (scope) => {
          await applyResults(scope, platform, id, results);
          await scope.query(
            `update wecom_mass_message_senders set status = 'confirmed',
                    send_time = coalesce(send_time, case when $3::bigint is null then now() else to_timestamp($3::bigint) end)
              where mass_message_id = $1 and sender = $2`,
            [id, s.sender, sendTime],
          );
        });
      }
      const expired = Date.now() - loaded.m.created_at.getTime() > pollWindowMs;
      const reschedule = await db.tenant(tenantId, async (s) => {
        if (allConfirmed || expired) {
          await s.query(
            "update wecom_mass_messages set status = 'completed', finished_at = coalesce(finished_at, now()), updated_at = now() where id = $1",
            [id],
          );
          return false;
        }
        if (seq < 0) return false;
        // Only the chain's current link schedules the next one (a refresh or a duplicate does not).
        const bumped = await s.query(
          "update wecom_mass_messages set polls = polls + 1, updated_at = now() where id = $1 and polls = $2 returning id",
          [id, seq],
        );
        return bumped.length > 0;
      });
      if (reschedule) await pollMassMessage(platform, tenantId, id, seq + 1, pollDelayMs(seq + 1));
    },
  });
}

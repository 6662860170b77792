import type { ContactPurpose } from "@siyu/contracts";
import { isOaApiError, oaErrcodes } from "../../../connectors/official-account/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { recheckReservation } from "../../contact-policy/index.ts";
import { appendTimeline, survivingCustomerId, survivingCustomerIds } from "../../customers/index.ts";
import { oaClient, requireOaSettings } from "../oa-client.ts";
import { runOaStep } from "../ops/oa-steps.ts";
import { sendTemplateBatchJob } from "../ops/templates.ts";

/** Attempts of a batch job; after the last, sends still open are recorded as failed (never retried forever). */
export const templateSendAttempts = 6;

type StepResult = { ok: true; msgid: string } | { ok: false; errcode: number; error: string };

interface SendRow {
  id: string;
  openid: string;
  customer_id: string | null;
  template_id: string;
  data: Record<string, string>;
  url: string | null;
}

/** 43004 (not following), 40003 (bad openid): the recipient is gone; other API refusals are final too. */
const statusOf = (r: StepResult) => (r.ok ? "sent" : "rejected");

/**
 * Sends a batch's template messages one recipient at a time. Each send is a stored step
 * (`oa_action_steps`, key `tpl:<sendId>`) carrying `client_msg_id = sendId`: a retried job replays the
 * stored answer instead of sending again. WeChat's refusals (43004 not following, 40037, 47003…) are
 * the step's result — recorded on the send and the timeline once, not retried; transient failures
 * (busy, quota per minute, network) fail the job, which retries with backoff, and after the last
 * attempt the sends still open are marked failed_system with the last error.
 *
 * Just before each call the contact policy is asked again (recheckReservation): a recipient who opted
 * out since the batch was created (replied 退订, opted out by staff) is `skipped` with the reason and
 * their reserved touch released, instead of being sent. A send whose step is already stored (the call
 * was made before a crash) is replayed, never skipped: what WeChat accepted is what is recorded.
 *
 * A send keeps the customer id of batch time. When that profile has been merged into another since,
 * the re-check sees the surviving profile's opt-outs (recheckReservation follows the merge) and the
 * outcome goes on the survivor's timeline.
 */
export function defineTemplateSendJob(platform: Platform) {
  platform.jobs.define<{ tenantId: string; batchId: string; attempts?: number }>({
    name: sendTemplateBatchJob,
    queue: "outbound",
    attempts: templateSendAttempts,
    backoffMs: 3000,
    async handler({ tenantId, batchId, attempts }, ctx) {
      const db = platform.db;
      const [batch] = await db.tenant(tenantId, (s) =>
        s.query<{
          status: string;
          miniprogram: { appid: string; pagepath: string } | null;
          purpose: ContactPurpose;
          policy_ref: string | null;
          app_id: string;
        }>(
          `update oa_template_batches set status = case when status = 'queued' then 'sending' else status end
            where id = $1 returning status, miniprogram, purpose, policy_ref, app_id`,
          [batchId],
        ),
      );
      if (!batch || batch.status === "done") return;
      const policyRef = batch.policy_ref ?? `oa_template:${batchId}`;
      const settings = await requireOaSettings(platform, tenantId);
      if (settings.appId !== batch.app_id) {
        // Another account is connected now: the recipients' openids and the template are the batch's
        // account's, so what was not sent yet is not sent through this one.
        await closeBatch(
          platform,
          tenantId,
          batchId,
          `the Official Account ${batch.app_id} is no longer connected`,
        );
        return;
      }
      const client = oaClient(platform, settings);
      for (;;) {
        const rows = await db.tenant(tenantId, (s) =>
          s.query<SendRow>(
            `update oa_template_sends set attempts = attempts + 1
              where id in (select id from oa_template_sends where batch_id = $1 and status = 'sending' order by id limit 50)
              returning id, openid, customer_id, template_id, data, url`,
            [batchId],
          ),
        );
        if (rows.length === 0) break;
        for (const row of rows.sort((a, b) => a.id.localeCompare(b.id))) {
          if (
            row.customer_id &&
            (await skipIfRefused(platform, tenantId, row.id, {
              customerId: row.customer_id,
              purpose: batch.purpose,
              ref: policyRef,
            }))
          )
            continue;
          let result: StepResult;
          try {
            result = await runOaStep<StepResult>(platform, tenantId, `tpl:${row.id}`, async () => {
              try {
                const answer = await client.templates.send({
                  touser: row.openid,
                  template_id: row.template_id,
                  client_msg_id: row.id,
                  ...(row.url ? { url: row.url } : {}),
                  ...(batch.miniprogram ? { miniprogram: batch.miniprogram } : {}),
                  data: Object.fromEntries(Object.entries(row.data).map(([k, v]) => [k, { value: v }])),
                });
                return { ok: true, msgid: String(answer.msgid) };
              } catch (err) {
                if (isOaApiError(err) && err.kind === "api" && !err.retryable)
                  return {
                    ok: false,
                    errcode: err.errcode,
                    error: `${err.errcode} ${err.errmsg}`.slice(0, 500),
                  };
                throw err;
              }
            });
          } catch (err) {
            const last = ctx.attempt >= (attempts ?? templateSendAttempts);
            if (last) {
              await closeBatch(platform, tenantId, batchId, String(err instanceof Error ? err.message : err));
              return;
            }
            throw err;
          }
          await db.tenant(tenantId, async (s) => {
            const [updated] = await s.query<{ id: string }>(
              `update oa_template_sends set status = $2, msgid = $3, error = $4, errcode = $5,
                      finished_at = case when $2 = 'rejected' then now() else finished_at end
                where id = $1 and status = 'sending' returning id`,
              [
                row.id,
                statusOf(result),
                result.ok ? result.msgid : null,
                result.ok ? null : result.error,
                result.ok ? null : result.errcode,
              ],
            );
            // The row keeps the customer of batch time; a profile merged since shows it on the survivor.
            if (updated && row.customer_id)
              await appendTimeline(
                s,
                platform.events,
                await survivingCustomerId(s, row.customer_id),
                "oa.template_sent",
                {
                  sendId: row.id,
                  templateId: row.template_id,
                  status: statusOf(result),
                  ...(result.ok
                    ? { msgid: result.msgid }
                    : {
                        errcode: result.errcode,
                        error: result.error,
                        notFollowing: result.errcode === oaErrcodes.userNotFollowing,
                      }),
                },
              );
          });
        }
      }
      await db.tenant(tenantId, (s) =>
        s.query("update oa_template_batches set status = 'done', finished_at = now() where id = $1", [
          batchId,
        ]),
      );
    },
  });
}

/** Ends a batch: sends still open are `failed_system` with `error` (on their timelines too). */
async function closeBatch(platform: Platform, tenantId: string, batchId: string, error: string) {
  await platform.db.tenant(tenantId, async (s) => {
    const failed = await s.query<{ id: string; customer_id: string | null; template_id: string }>(
      `update oa_template_sends set status = 'failed_system', error = $2, finished_at = now()
        where batch_id = $1 and status = 'sending' returning id, customer_id, template_id`,
      [batchId, error.slice(0, 500)],
    );
    const survivors = await survivingCustomerIds(
      s,
      failed.flatMap((f) => (f.customer_id ? [f.customer_id] : [])),
    );
    for (const f of failed)
      if (f.customer_id)
        await appendTimeline(
          s,
          platform.events,
          survivors.get(f.customer_id) ?? f.customer_id,
          "oa.template_sent",
          {
            sendId: f.id,
            templateId: f.template_id,
            status: "failed_system",
          },
        );
    await s.query("update oa_template_batches set status = 'done', finished_at = now() where id = $1", [
      batchId,
    ]);
  });
}

/**
 * The send-time policy check of one send, in one transaction with its outcome: when the step was not
 * run yet and the customer is refused now, the send becomes `skipped` (reason in `policy_reason` and
 * `error`) and the reservation is released. Returns whether it was skipped.
 */
async function skipIfRefused(
  platform: Platform,
  tenantId: string,
  sendId: string,
  input: { customerId: string; purpose: ContactPurpose; ref: string },
): Promise<boolean> {
  return platform.db.tenant(tenantId, async (s) => {
    const [done] = await s.query("select 1 from oa_action_steps where step_key = $1", [`tpl:${sendId}`]);
    if (done) return false;
    const { refused } = await recheckReservation(s, {
      tenantId,
      customerIds: [input.customerId],
      channel: "oa_template",
      purpose: input.purpose,
      ref: input.ref,
    });
    const reason = refused[0]?.reason;
    if (!reason) return false;
    await s.query(
      `update oa_template_sends set status = 'skipped', policy_reason = $2, error = $3, finished_at = now()
        where id = $1 and status = 'sending'`,
      [sendId, reason, `contact policy at send: ${reason}`],
    );
    return true;
  });
}

import type { WelcomeAttachment } from "@siyu/contracts";
import { AppError } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { liveCodePort, wecomErrcodeOf } from "../../wecom/index.ts";
import { fitBytes, needsNickname, renderTemplate } from "../welcome.ts";

export const sendWelcomeJob = "channels.send-welcome";
/** Above everything else on the realtime queue (range -100..100). */
export const welcomePriority = 100;
const attempts = 3;
/** A welcome code lives 20 s: the whole send, retries included, must end well before. */
const sendBudgetMs = 12_000;
const nicknameBudgetMs = 2_000;
/** WeCom: the welcome code is unknown, used, or older than 20 s. */
const codeInvalid = 41050;

/**
 * Everything the send needs, fixed when the add is recorded (the variant is chosen for the add's
 * time), so the common path touches the database once: to record the outcome.
 */
export interface WelcomeJob {
  tenantId: string;
  addId: string;
  welcomeCode: string;
  text: string;
  attachments: WelcomeAttachment[];
  channel: string;
  userid: string;
  externalUserid: string;
}

export function enqueueWelcome(platform: Platform, job: WelcomeJob) {
  return platform.jobs.send(sendWelcomeJob, job, { key: job.addId, priority: welcomePriority });
}

/**
 * Sends a live code's welcome message with the add event's WelcomeCode (SPEC §3, protocols/wecom.md
 * §3.3), as fast as possible: the job carries the message, reads the customer's name only when the
 * text has `{{nickname}}` (2 s at most, else the text goes without it), calls WeCom, and records the
 * outcome in one transaction.
 *
 * Never twice: WeCom accepts a welcome code once, so no retry or duplicate run can show the customer
 * a second message. A retry first reads the row and stops when an earlier run recorded an outcome.
 * Refusals are final and recorded with WeCom's errcode (41050: used or older than 20 s) — except a
 * 41050 on a retry, which may mean our own earlier attempt got through before the process died or the
 * answer was lost, so it is recorded as `unknown`. Transient failures (45009, -1, network) are retried
 * twice, 300 ms apart, within the code's life.
 */
export function defineSendWelcome(platform: Platform) {
  const { db, jobs, log } = platform;
  jobs.define<WelcomeJob>({
    name: sendWelcomeJob,
    queue: "realtime",
    attempts,
    backoffMs: 300,
    async handler(job, ctx) {
      const { tenantId, addId } = job;
      if (ctx.attempt > 1) {
        const [row] = await db.tenant(tenantId, (s) =>
          s.query<{ welcome_status: string }>("select welcome_status from channel_adds where id = $1", [
            addId,
          ]),
        );
        if (row?.welcome_status !== "pending") return;
      }
      let nickname = "";
      if (needsNickname(job.text)) {
        nickname = await liveCodePort
          .contactName(platform, tenantId, job.externalUserid, AbortSignal.timeout(nicknameBudgetMs))
          .then((n) => n ?? "")
          .catch(() => "");
      }
      const text = fitBytes(renderTemplate(job.text, { nickname, channel: job.channel, staff: job.userid }));
      try {
        await liveCodePort.sendWelcome(
          platform,
          tenantId,
          job.welcomeCode,
          { ...(text ? { text } : {}), attachments: job.attachments },
          AbortSignal.timeout(sendBudgetMs),
        );
      } catch (err) {
        const errcode = wecomErrcodeOf(err);
        const final = err instanceof AppError || ctx.attempt >= attempts;
        const status = !final ? "pending" : errcode === codeInvalid && ctx.attempt > 1 ? "unknown" : "failed";
        const message = String(err instanceof Error ? err.message : err).slice(0, 500);
        await db.tenant(tenantId, (s) =>
          s.query(
            `update channel_adds set welcome_status = $2, welcome_error = $3, welcome_errcode = $4,
               welcome_code = case when $2 = 'pending' then welcome_code else null end
             where id = $1 and welcome_status = 'pending'`,
            [addId, status, message, errcode],
          ),
        );
        if (final) {
          log.warn({ addId, errcode, err: message }, "welcome message refused or undeliverable; recorded");
          return;
        }
        throw err;
      }
      await db.tenant(tenantId, (s) =>
        s.query(
          `update channel_adds set welcome_status = 'sent', welcome_sent_at = now(), welcome_error = null,
             welcome_errcode = null, welcome_code = null,
             welcome_latency_ms = greatest(0, (extract(epoch from (clock_timestamp() - received_at)) * 1000)::int)
           where id = $1`,
          [addId],
        ),
      );
    },
  });
}

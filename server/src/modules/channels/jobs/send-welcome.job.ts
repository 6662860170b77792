import type { WelcomeAttachment } from "@siyu/contracts";
import { AppError } from "../../../platform/errors.ts";
import type { JobToSend } from "../../../platform/jobs/index.ts";
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
/** WeCom's life of a welcome code, counted here from the callback's receipt (never before WeCom's). */
const codeLifeMs = 20_000;
/** Sends of one job at once (a batch is the adds of one callback group commit). */
const sendsAtOnce = 32;

/**
 * One welcome to send, fixed when the add is recorded (the variant is chosen for the add's time), so
 * the common path touches the database once: to record the outcomes.
 */
export interface WelcomeItem {
  addId: string;
  welcomeCode: string;
  text: string;
  attachments: WelcomeAttachment[];
  channel: string;
  userid: string;
  externalUserid: string;
  /** When Siyu received the callback (ms since epoch): past its 20 s WeCom is not asked. */
  receivedAt: number;
}

/** The welcomes of one callback batch (or of one add): one job, one outcome transaction. */
export interface WelcomeJob {
  tenantId: string;
  items: WelcomeItem[];
}

/**
 * The job of some adds' welcomes. Its key is stored on each add (`channel_adds.welcome_job`), so
 * whoever enqueues it again (the inbox job finding the welcome still pending) uses the same key and
 * creates nothing while it exists: however often it is enqueued, it runs once.
 */
export function welcomeJobToSend(tenantId: string, key: string, items: WelcomeItem[]): JobToSend<WelcomeJob> {
  return {
    name: sendWelcomeJob,
    data: { tenantId, items },
    options: { key, priority: welcomePriority },
  };
}

type Outcome =
  | { addId: string; status: "sent"; sentAt: Date }
  | { addId: string; status: "failed" | "unknown" | "pending"; error: string; errcode: number | null };

/**
 * Sends live codes' welcome messages with the add events' WelcomeCodes (SPEC §3, protocols/wecom.md
 * §3.3), as fast as possible: a job carries the messages of a whole callback batch (so a burst costs
 * one job and one outcome transaction per batch, not per add), sends them concurrently, reads a
 * customer's name only when the text has `{{nickname}}` (2 s at most, else the text goes without
 * it), and records every outcome in one statement.
 *
 * Never twice: WeCom accepts a welcome code once, so no retry or duplicate run can show the customer
 * a second message. A retry first reads the rows and sends only those still pending. Refusals are
 * final and recorded with WeCom's errcode (41050: used or older than 20 s) — except a 41050 on a
 * retry, which may mean our own earlier attempt got through before the process died or the answer
 * was lost, so it is recorded as `unknown`. A code already past its 20 s when the job gets to it
 * (an overloaded machine) is recorded as failed without asking WeCom, so a backlog costs no calls
 * that cannot succeed. Transient failures (45009, -1, network) are retried twice, 300 ms apart,
 * within the code's life.
 */
export function defineSendWelcome(platform: Platform) {
  const { db, jobs, log } = platform;

  async function sendOne(tenantId: string, item: WelcomeItem, attempt: number): Promise<Outcome> {
    if (Date.now() - item.receivedAt > codeLifeMs) {
      return {
        addId: item.addId,
        status: "failed",
        error: "the welcome code expired (20 s) before it could be sent",
        errcode: null,
      };
    }
    let nickname = "";
    if (needsNickname(item.text)) {
      nickname = await liveCodePort
        .contactName(platform, tenantId, item.externalUserid, AbortSignal.timeout(nicknameBudgetMs))
        .then((n) => n ?? "")
        .catch(() => "");
    }
    const text = fitBytes(renderTemplate(item.text, { nickname, channel: item.channel, staff: item.userid }));
    try {
      await liveCodePort.sendWelcome(
        platform,
        tenantId,
        item.welcomeCode,
        { ...(text ? { text } : {}), attachments: item.attachments },
        AbortSignal.timeout(sendBudgetMs),
      );
      return { addId: item.addId, status: "sent", sentAt: new Date() };
    } catch (err) {
      const errcode = wecomErrcodeOf(err);
      const final = err instanceof AppError || attempt >= attempts;
      const status = !final ? "pending" : errcode === codeInvalid && attempt > 1 ? "unknown" : "failed";
      return {
        addId: item.addId,
        status,
        error: String(err instanceof Error ? err.message : err).slice(0, 500),
        errcode,
      };
    }
  }

  const err = (o: Outcome) => (o.status === "sent" ? null : o);

  jobs.define<WelcomeJob>({
    name: sendWelcomeJob,
    queue: "realtime",
    attempts,
    backoffMs: 300,
    async handler(job, ctx) {
      const { tenantId } = job;
      let items = job.items;
      if (ctx.attempt > 1) {
        const pending = new Set(
          (
            await db.tenant(tenantId, (s) =>
              s.query<{ id: string }>(
                "select id from channel_adds where id = any($1::text[]) and welcome_status = 'pending'",
                [items.map((i) => i.addId)],
              ),
            )
          ).map((r) => r.id),
        );
        items = items.filter((i) => pending.has(i.addId));
      }
      if (!items.length) return;
      const outcomes: Outcome[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(sendsAtOnce, items.length) }, async () => {
          for (let item = items[next++]; item; item = items[next++]) {
            outcomes.push(await sendOne(tenantId, item, ctx.attempt));
          }
        }),
      );
      const sent = outcomes.filter((o) => o.status === "sent");
      const other = outcomes.filter((o) => o.status !== "sent");
      await db.tenant(tenantId, async (s) => {
        if (sent.length) {
          await s.query(
            `update channel_adds a set welcome_status = 'sent', welcome_sent_at = o.sent_at, welcome_error = null,
               welcome_errcode = null, welcome_code = null,
               welcome_latency_ms = greatest(0, (extract(epoch from (o.sent_at - a.received_at)) * 1000)::int)
              from unnest($1::text[], $2::timestamptz[]) as o(id, sent_at)
             where a.id = o.id`,
            [
              sent.map((o) => o.addId),
              sent.map((o) => (o.status === "sent" ? o.sentAt.toISOString() : null)),
            ],
          );
        }
        if (other.length) {
          await s.query(
            `update channel_adds a set welcome_status = o.status, welcome_error = o.error, welcome_errcode = o.errcode,
               welcome_code = case when o.status = 'pending' then a.welcome_code else null end
              from unnest($1::text[], $2::text[], $3::text[], $4::int[]) as o(id, status, error, errcode)
             where a.id = o.id and a.welcome_status = 'pending'`,
            [
              other.map((o) => o.addId),
              other.map((o) => o.status),
              other.map((o) => err(o)?.error ?? null),
              other.map((o) => err(o)?.errcode ?? null),
            ],
          );
        }
      });
      const refused = other.filter((o) => o.status !== "pending");
      if (refused.length) {
        log.warn(
          { count: refused.length, first: refused[0] },
          "welcome messages refused or undeliverable; recorded",
        );
      }
      // Transient failures still pending: the job's retry sends those (and only those) again.
      const retry = other.find((o) => o.status === "pending");
      if (retry) throw new Error(`welcome send failed, retrying: ${err(retry)?.error ?? ""}`);
    },
  });
}

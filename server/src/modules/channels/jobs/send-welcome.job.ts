import type { WelcomeInput } from "@siyu/contracts";
import { AppError } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { liveCodePort, wecomErrcodeOf } from "../../wecom/index.ts";
import { localTime, tenantZone } from "../local-time.ts";
import { chooseWelcome, fitBytes, needsNickname, renderTemplate } from "../welcome.ts";

export const sendWelcomeJob = "channels.send-welcome";
/** Above everything else on the realtime queue (range -100..100). */
export const welcomePriority = 100;
const attempts = 3;
/** A welcome code lives 20 s: the whole send, retries included, must end well before. */
const sendBudgetMs = 12_000;
const nicknameBudgetMs = 2_000;

interface WelcomeRow {
  id: string;
  welcome_code: string | null;
  welcome_status: string;
  added_at: Date;
  received_at: Date;
  external_userid: string;
  userid: string;
  name: string;
  welcome: WelcomeInput | null;
}

export function enqueueWelcome(platform: Platform, tenantId: string, addId: string) {
  return platform.jobs.send(sendWelcomeJob, { tenantId, addId }, { key: addId, priority: welcomePriority });
}

/**
 * Sends a live code's welcome message with the add event's WelcomeCode (SPEC §3, protocols/wecom.md
 * §3.3). At most once: the row goes `pending → sending` in its own transaction before the call and
 * to `sent`/`failed` after; a retry that finds `sending` (the process died during the call) marks it
 * `unknown` and sends nothing, since a welcome code is single-use and a second message would be worse
 * than none. WeCom refusing (41050: used or older than 20 s) is final and recorded with its errcode;
 * a transient failure (45009, -1, network) goes back to `pending` and is retried while the code can
 * still be valid (the job has 3 attempts, 300 ms apart, and each call is cut off after 12 s).
 */
export function defineSendWelcome(platform: Platform) {
  const { db, jobs, log } = platform;
  jobs.define<{ tenantId: string; addId: string }>({
    name: sendWelcomeJob,
    queue: "realtime",
    attempts,
    backoffMs: 300,
    async handler({ tenantId, addId }, ctx) {
      // One transaction reads, chooses and (when no name is needed) claims: two round trips to the
      // database in all on the common path, the rest is WeCom.
      const prepared = await db.tenant(tenantId, async (s) => {
        const [row] = await s.query<WelcomeRow>(
          `select a.id, a.welcome_code, a.welcome_status, a.added_at, a.received_at, a.external_userid, a.userid,
                  c.name, c.welcome
             from channel_adds a join live_codes c on c.id = a.live_code_id
            where a.id = $1 for update of a`,
          [addId],
        );
        if (!row) return null;
        if (row.welcome_status === "sending") {
          await s.query(
            "update channel_adds set welcome_status = 'unknown', welcome_error = $2 where id = $1",
            [addId, "the process stopped while sending; not sent again (a welcome code is single-use)"],
          );
          return null;
        }
        if (row.welcome_status !== "pending") return null;
        const chosen =
          row.welcome && row.welcome_code
            ? chooseWelcome(row.welcome, localTime(row.added_at, await tenantZone(s)))
            : null;
        if (!chosen || !row.welcome_code) {
          await s.query("update channel_adds set welcome_status = 'none' where id = $1", [addId]);
          return null;
        }
        const claimed = !needsNickname(chosen.text);
        if (claimed) {
          await s.query(
            "update channel_adds set welcome_status = 'sending', welcome_variant = $2 where id = $1",
            [addId, chosen.variant],
          );
        }
        return { row, chosen, welcomeCode: row.welcome_code, claimed };
      });
      if (!prepared) return;
      const { row, chosen, welcomeCode } = prepared;
      let nickname = "";
      if (!prepared.claimed) {
        // Worth one quick read, never the code's life: without it the text goes out without the name.
        nickname = await liveCodePort
          .contactName(platform, tenantId, row.external_userid, AbortSignal.timeout(nicknameBudgetMs))
          .then((n) => n ?? "")
          .catch(() => "");
        const claimed = await db.tenant(tenantId, (s) =>
          s.query(
            `update channel_adds set welcome_status = 'sending', welcome_variant = $2
              where id = $1 and welcome_status = 'pending' returning id`,
            [addId, chosen.variant],
          ),
        );
        if (!claimed.length) return;
      }
      const text = fitBytes(renderTemplate(chosen.text, { nickname, channel: row.name, staff: row.userid }));
      try {
        await liveCodePort.sendWelcome(
          platform,
          tenantId,
          welcomeCode,
          { ...(text ? { text } : {}), attachments: chosen.attachments },
          AbortSignal.timeout(sendBudgetMs),
        );
      } catch (err) {
        const final = err instanceof AppError || ctx.attempt >= attempts;
        const message = String(err instanceof Error ? err.message : err).slice(0, 500);
        await db.tenant(tenantId, (s) =>
          s.query(
            `update channel_adds set welcome_status = $2, welcome_error = $3, welcome_errcode = $4,
               welcome_code = case when $2 = 'failed' then null else welcome_code end
             where id = $1`,
            [addId, final ? "failed" : "pending", message, wecomErrcodeOf(err)],
          ),
        );
        if (final) {
          log.warn(
            { addId, err: message },
            "welcome message refused or undeliverable; recorded, not retried",
          );
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

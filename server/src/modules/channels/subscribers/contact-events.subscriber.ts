import type { Scope } from "../../../platform/db/index.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { addTags, appendTimeline } from "../../customers/index.ts";
import { type ContactEvent, contactHooks } from "../../wecom/index.ts";
import { enqueueAfterAdd, enqueueRefresh } from "../jobs/after-add.job.ts";
import { enqueueWelcome, type WelcomeJob } from "../jobs/send-welcome.job.ts";
import {
  allocationDependsOnAdds,
  type LiveCodeRow,
  liveCodeByState,
  statusOf,
} from "../live-codes.service.ts";
import { localTime, tenantZone } from "../local-time.ts";
import { type ChosenWelcome, chooseWelcome } from "../welcome.ts";

/** The welcome an add gets: the code's variant for the add's time in the tenant's zone, if any. */
async function welcomeFor(
  scope: Scope,
  code: LiveCodeRow | undefined,
  ev: ContactEvent,
): Promise<ChosenWelcome | null> {
  if (!code?.welcome || !ev.welcomeCode || code.deleted_at) return null;
  return chooseWelcome(code.welcome, localTime(ev.at, await tenantZone(scope)));
}

function welcomeJob(
  scope: Scope,
  addId: string,
  code: LiveCodeRow,
  ev: ContactEvent,
  chosen: ChosenWelcome,
): WelcomeJob {
  return {
    tenantId: scope.tenantId as string,
    addId,
    welcomeCode: ev.welcomeCode,
    text: chosen.text,
    attachments: chosen.attachments,
    channel: code.name,
    userid: ev.userid,
    externalUserid: ev.externalUserid,
  };
}

/**
 * Live codes hooked into WeCom's contact events (wecom `contactHooks`).
 *
 * The add path, for latency: WeCom's callback is stored in the inbox and acknowledged; the inbox job
 * runs the WeCom handler, whose transaction calls `onEvent` here. That records the add (one row per
 * inbox event, so retried callbacks add nothing) and, on commit, enqueues `channels.send-welcome` at
 * the top priority of the realtime queue — before WeCom is read for the contact (that is the
 * `wecom.process-event` job, priority 0, which runs after). A send in this process wakes the queue's
 * worker at once (no polling wait), and no outbox dispatch lies on the path. Tags, the source and the
 * customer link follow when the contact has been applied (`onApplied`, same transaction as the
 * customer write); the remark and member re-allocation run on the outbound queue.
 */
/**
 * add_external_contact after add_half_external_contact of the same relation (the member confirmed):
 * the half add's row becomes the add. Its welcome went with the half add's code; if that one had
 * none and this event brings a code, it is sent now.
 */
async function confirmHalfAdd(
  platform: Platform,
  scope: Scope,
  ev: ContactEvent,
  code: LiveCodeRow | undefined,
): Promise<boolean> {
  const [half] = await scope.query<{ id: string; welcome_status: string }>(
    `select a.id, a.welcome_status from channel_adds a
      where a.external_userid = $1 and a.userid = $2 and a.kind = 'half' and a.confirmed_inbox_id is null
        and not exists (select 1 from channel_deletes d where d.add_id = a.id)
      order by a.added_at desc limit 1`,
    [ev.externalUserid, ev.userid],
  );
  if (!half) return false;
  const chosen = half.welcome_status === "none" ? await welcomeFor(scope, code, ev) : null;
  await scope.query(
    `update channel_adds set kind = 'add', confirmed_inbox_id = $2,
       welcome_code = case when $3 then $4 else welcome_code end,
       welcome_status = case when $3 then 'pending' else welcome_status end,
       welcome_variant = case when $3 then $5 else welcome_variant end
     where id = $1`,
    [half.id, ev.inboxId, Boolean(chosen), ev.welcomeCode, chosen?.variant ?? null],
  );
  if (chosen && code) {
    const job = welcomeJob(scope, half.id, code, ev, chosen);
    scope.onCommit(() => {
      enqueueWelcome(platform, job).catch((err: unknown) =>
        platform.log.warn({ err, addId: half.id }, "welcome enqueue failed"),
      );
    });
  }
  return true;
}

export function subscribeContactEvents(platform: Platform) {
  const hooks = contactHooks(platform);

  hooks.onEvent.push(async (scope, ev: ContactEvent) => {
    if (ev.kind === "added" || ev.kind === "half_added") {
      const code = await liveCodeByState(scope, ev.state);
      const status = code ? statusOf(code, ev.at) : null;
      if (ev.kind === "added" && (await confirmHalfAdd(platform, scope, ev, code))) return;
      const chosen = await welcomeFor(scope, code, ev);
      const addId = newId("cad");
      const inserted = await scope.query(
        `insert into channel_adds (id, tenant_id, inbox_id, live_code_id, state, kind, userid, external_userid, added_at,
           received_at, expired, welcome_code, welcome_status, welcome_variant, remark_status)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9,
           coalesce((select received_at from inbox where id = $3), now()), $10, $11, $12, $13, $14)
         on conflict (tenant_id, inbox_id) do nothing returning id`,
        [
          addId,
          scope.tenantId,
          ev.inboxId,
          code?.id ?? null,
          ev.state.slice(0, 200),
          ev.kind === "added" ? "add" : "half",
          ev.userid,
          ev.externalUserid,
          ev.at,
          status === "expired",
          chosen ? ev.welcomeCode : null,
          chosen ? "pending" : "none",
          chosen?.variant ?? null,
          code?.remark_template && status !== "deleted" ? "pending" : "none",
        ],
      );
      if (!inserted.length || !code) return;
      const tenantId = scope.tenantId as string;
      const job = chosen ? welcomeJob(scope, addId, code, ev, chosen) : null;
      scope.onCommit(() => {
        const warn = (what: string) => (err: unknown) =>
          platform.log.warn({ err, addId }, `${what} enqueue failed`);
        if (job) enqueueWelcome(platform, job).catch(warn("welcome"));
        if (code.remark_template && status !== "deleted")
          enqueueAfterAdd(platform, tenantId, addId).catch(warn("after-add"));
        if (status !== "deleted" && allocationDependsOnAdds(code))
          enqueueRefresh(platform, tenantId, code.id, addId).catch(warn("refresh"));
      });
      return;
    }
    // A deletion by either side ends the relation an add began: counted to that add's code.
    const [add] = await scope.query<{ id: string; live_code_id: string | null; added_at: Date }>(
      `select id, live_code_id, added_at from channel_adds
        where external_userid = $1 and userid = $2 order by added_at desc limit 1`,
      [ev.externalUserid, ev.userid],
    );
    if (!add) return;
    await scope.query(
      `insert into channel_deletes (id, tenant_id, inbox_id, add_id, live_code_id, userid, external_userid, by_side,
         deleted_at, within_24h)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (tenant_id, inbox_id) do nothing`,
      [
        newId("cdl"),
        scope.tenantId,
        ev.inboxId,
        add.id,
        add.live_code_id,
        ev.userid,
        ev.externalUserid,
        ev.kind === "deleted_by_customer" ? "customer" : "staff",
        ev.at,
        ev.at.getTime() - add.added_at.getTime() <= 24 * 3600_000,
      ],
    );
  });

  hooks.sourceOf.push(async (scope, state) => {
    const code = await liveCodeByState(scope, state);
    return code ? `live_code:${code.id}` : null;
  });

  hooks.onApplied.push(async (scope, ev) => {
    const [add] = await scope.query<{ id: string; live_code_id: string | null; confirmed: boolean }>(
      `update channel_adds set customer_id = coalesce($2, customer_id) where inbox_id = $1 or confirmed_inbox_id = $1
       returning id, live_code_id, confirmed_inbox_id = $1 as confirmed`,
      [ev.inboxId, ev.customerId],
    );
    // The confirmation of a half add was tagged and put on the timeline with the half add.
    if (!add?.live_code_id || !ev.customerId || add.confirmed) return;
    const [code] = await scope.query<{ id: string; name: string; tags: string[]; deleted_at: Date | null }>(
      "select id, name, tags, deleted_at from live_codes where id = $1",
      [add.live_code_id],
    );
    if (!code) return;
    await appendTimeline(scope, platform.events, ev.customerId, "channel.live_code_added", {
      liveCodeId: code.id,
      liveCode: code.name,
      state: ev.state,
      userid: ev.userid,
      deleted: Boolean(code.deleted_at),
    });
    // Siyu tags; the WeCom module marks them on the relation (they were made corp tags with the code).
    if (code.tags.length && !code.deleted_at) {
      await addTags(scope, { platform, actor: {}, cause: "rule" }, ev.customerId, code.tags);
    }
  });
}

import type { Scope } from "../../../platform/db/index.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { JobToSend } from "../../../platform/jobs/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { addTags, appendTimeline } from "../../customers/index.ts";
import { type ContactEvent, contactHooks } from "../../wecom/index.ts";
import { groupChanged } from "../group-codes.service.ts";
import { afterAddJobToSend, refreshJobToSend } from "../jobs/after-add.job.ts";
import { type WelcomeItem, welcomeJobToSend } from "../jobs/send-welcome.job.ts";
import {
  allocationDependsOnAdds,
  type LiveCodeRow,
  liveCodeByState,
  liveCodeRow,
  liveCodesByStates,
  statusOf,
} from "../live-codes.service.ts";
import { localTime, tenantZone } from "../local-time.ts";
import { type ChosenWelcome, chooseWelcome } from "../welcome.ts";

/** The welcome an add gets: the code's variant for the add's time in the tenant's zone, if any. */
function welcomeFor(code: LiveCodeRow | undefined, ev: ContactEvent, zone: string): ChosenWelcome | null {
  if (!code?.welcome || !ev.welcomeCode || code.deleted_at) return null;
  return chooseWelcome(code.welcome, localTime(ev.at, zone));
}

function welcomeItem(addId: string, code: LiveCodeRow, ev: ContactEvent, chosen: ChosenWelcome): WelcomeItem {
  return {
    addId,
    welcomeCode: ev.welcomeCode,
    text: chosen.text,
    attachments: chosen.attachments,
    channel: code.name,
    userid: ev.userid,
    externalUserid: ev.externalUserid,
    receivedAt: Date.now(),
  };
}

/** The jobs an add of a code needs besides its welcome: its remark, a re-allocation of the members. */
function followUpJobs(
  tenantId: string,
  addId: string,
  code: LiveCodeRow,
  ev: ContactEvent,
  pending: { remark: boolean },
): JobToSend[] {
  const jobs: JobToSend[] = [];
  const deleted = statusOf(code, ev.at) === "deleted";
  if (code.remark_template && !deleted && pending.remark) jobs.push(afterAddJobToSend(tenantId, addId));
  if (!deleted && allocationDependsOnAdds(code)) jobs.push(refreshJobToSend(tenantId, code.id, addId));
  return jobs;
}

/**
 * Records adds (one `channel_adds` row per inbox event: the event's identity, so WeCom's retries and a
 * second recording add nothing) in one statement; returns the jobs of the rows this call inserted:
 * one welcome job for all their welcomes (first, so it runs first), then each add's follow-ups.
 */
async function recordAdds(
  scope: Scope,
  adds: Array<{ ev: ContactEvent; code: LiveCodeRow | undefined }>,
  zone: string,
): Promise<JobToSend[]> {
  const tenantId = scope.tenantId as string;
  const rows = adds.map(({ ev, code }) => {
    const status = code ? statusOf(code, ev.at) : null;
    const chosen = welcomeFor(code, ev, zone);
    return { ev, code, status, chosen, id: newId("cad") };
  });
  // One job per batch: named after its first add, written on every add it carries.
  const welcomeKey = rows.find((r) => r.chosen)?.id ?? null;
  const inserted = await scope.query<{ id: string }>(
    `insert into channel_adds (id, tenant_id, inbox_id, live_code_id, state, kind, userid, external_userid, added_at,
       received_at, expired, welcome_code, welcome_status, welcome_variant, remark_status, welcome_job)
     select r.id, $1, r.inbox_id, r.live_code_id, r.state, r.kind, r.userid, r.external_userid, r.added_at,
            coalesce((select i.received_at from inbox i where i.id = r.inbox_id), now()), r.expired,
            r.welcome_code, r.welcome_status, r.welcome_variant, r.remark_status,
            case when r.welcome_status = 'pending' then $15 end
       from unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::timestamptz[], $10::boolean[], $11::text[], $12::text[], $13::text[], $14::text[])
            as r(id, inbox_id, live_code_id, state, kind, userid, external_userid, added_at, expired, welcome_code,
                 welcome_status, welcome_variant, remark_status)
     on conflict (tenant_id, inbox_id) do nothing returning id`,
    [
      tenantId,
      rows.map((r) => r.id),
      rows.map((r) => r.ev.inboxId),
      rows.map((r) => r.code?.id ?? null),
      rows.map((r) => r.ev.state.slice(0, 200)),
      rows.map((r) => (r.ev.kind === "added" ? "add" : "half")),
      rows.map((r) => r.ev.userid),
      rows.map((r) => r.ev.externalUserid),
      rows.map((r) => r.ev.at.toISOString()),
      rows.map((r) => r.status === "expired"),
      rows.map((r) => (r.chosen ? r.ev.welcomeCode : null)),
      rows.map((r) => (r.chosen ? "pending" : "none")),
      rows.map((r) => r.chosen?.variant ?? null),
      rows.map((r) => (r.code?.remark_template && r.status !== "deleted" ? "pending" : "none")),
      welcomeKey,
    ],
  );
  const fresh = new Set(inserted.map((r) => r.id));
  const mine = rows.filter((r) => fresh.has(r.id));
  const items = mine.flatMap((r) => (r.code && r.chosen ? [welcomeItem(r.id, r.code, r.ev, r.chosen)] : []));
  return [
    ...(items.length && welcomeKey ? [welcomeJobToSend(tenantId, welcomeKey, items)] : []),
    ...mine.flatMap((r) => (r.code ? followUpJobs(tenantId, r.id, r.code, r.ev, { remark: true }) : [])),
  ];
}

/**
 * The welcome job of `key` rebuilt from its adds still pending (the inbox job's repair when the
 * job may have been lost between commit and send): same key, so nothing when it exists.
 */
async function pendingWelcomeJob(scope: Scope, key: string, zone: string): Promise<JobToSend[]> {
  const rows = await scope.query<{
    id: string;
    welcome_code: string | null;
    userid: string;
    external_userid: string;
    added_at: Date;
    received_at: Date;
    live_code_id: string | null;
  }>(
    `select id, welcome_code, userid, external_userid, added_at, received_at, live_code_id from channel_adds
      where welcome_job = $1 and welcome_status = 'pending'`,
    [key],
  );
  const codes = new Map<string, LiveCodeRow>();
  const items: WelcomeItem[] = [];
  for (const r of rows) {
    if (!r.live_code_id || !r.welcome_code) continue;
    let code = codes.get(r.live_code_id);
    if (!code) {
      code = await liveCodeRow(scope, r.live_code_id);
      codes.set(r.live_code_id, code);
    }
    const ev = {
      welcomeCode: r.welcome_code,
      userid: r.userid,
      externalUserid: r.external_userid,
      at: r.added_at,
    };
    const chosen = welcomeFor(code, ev as ContactEvent, zone);
    if (chosen)
      items.push({
        ...welcomeItem(r.id, code, ev as ContactEvent, chosen),
        receivedAt: r.received_at.getTime(),
      });
  }
  return items.length ? [welcomeJobToSend(scope.tenantId as string, key, items)] : [];
}

/**
 * add_external_contact after add_half_external_contact of the same relation (the member confirmed):
 * the half add's row becomes the add. Its welcome went with the half add's code; if that one had
 * none and this event brings a code, it is sent now.
 */
async function confirmHalfAdd(
  scope: Scope,
  ev: ContactEvent,
  code: LiveCodeRow | undefined,
  zone: string,
): Promise<JobToSend[] | null> {
  const [half] = await scope.query<{ id: string; welcome_status: string }>(
    `select a.id, a.welcome_status from channel_adds a
      where a.external_userid = $1 and a.userid = $2 and a.kind = 'half' and a.confirmed_inbox_id is null
        and not exists (select 1 from channel_deletes d where d.add_id = a.id)
      order by a.added_at desc limit 1`,
    [ev.externalUserid, ev.userid],
  );
  if (!half) return null;
  const chosen = half.welcome_status === "none" ? welcomeFor(code, ev, zone) : null;
  const key = `${half.id}:confirmed`;
  await scope.query(
    `update channel_adds set kind = 'add', confirmed_inbox_id = $2,
       welcome_code = case when $3 then $4 else welcome_code end,
       welcome_status = case when $3 then 'pending' else welcome_status end,
       welcome_variant = case when $3 then $5 else welcome_variant end,
       welcome_job = case when $3 then $6 else welcome_job end
     where id = $1`,
    [half.id, ev.inboxId, Boolean(chosen), ev.welcomeCode, chosen?.variant ?? null, key],
  );
  return chosen && code
    ? [welcomeJobToSend(scope.tenantId as string, key, [welcomeItem(half.id, code, ev, chosen)])]
    : [];
}

/**
 * Live codes hooked into WeCom's contact events (wecom `contactHooks`).
 *
 * The add path, for latency (a welcome code lives 20 s): `onStored` runs in the callback's own
 * transaction, the inbox's group commit, before WeCom hears the 200. For the batch's adds of known
 * codes it reads the codes and the tenant's zone once, records every add in one statement (the inbox
 * row and the add commit together), and hands back each add's welcome job (top priority of the
 * realtime queue), which goes out in the batch's one `sendMany` with the inbox jobs. So a welcome
 * waits for no inbox job, no WeCom read and no outbox dispatch, and a send in this process wakes the
 * worker at once.
 *
 * `onEvent` runs later in the inbox job for every event and is the path of everything else (no code,
 * a half add being confirmed, a relation seen twice in one batch, or `onStored` having failed and been
 * rolled back). When it finds the add already recorded it only re-enqueues what is still pending,
 * under the same keys: nothing acknowledged is lost if the process died between commit and send, and
 * nothing runs twice (a job key refuses a second job for 7 days; a welcome code is single-use).
 * Tags, the source and the customer link follow when the contact has been applied (`onApplied`,
 * same transaction as the customer write); the remark and member re-allocation run on the outbound
 * queue.
 */
export function subscribeContactEvents(platform: Platform) {
  const hooks = contactHooks(platform);

  hooks.onStored.push(async (scope, events) => {
    const adds = events.filter((e) => (e.kind === "added" || e.kind === "half_added") && e.state);
    if (!adds.length) return [];
    // A relation seen twice in a batch (half add and its confirmation) keeps the ordered path.
    const seen = new Map<string, number>();
    const relation = (e: ContactEvent) => `${e.externalUserid}\u0000${e.userid}`;
    for (const e of events) seen.set(relation(e), (seen.get(relation(e)) ?? 0) + 1);
    let candidates = adds.filter((e) => seen.get(relation(e)) === 1);
    const codes = await liveCodesByStates(
      scope,
      candidates.map((e) => e.state),
    );
    candidates = candidates.filter((e) => codes.has(e.state));
    if (!candidates.length) return [];
    // A confirmation of an earlier half add updates that row instead: left to onEvent.
    const confirming = candidates.filter((e) => e.kind === "added");
    if (confirming.length) {
      const halves = await scope.query<{ external_userid: string; userid: string }>(
        `select external_userid, userid from channel_adds
          where kind = 'half' and confirmed_inbox_id is null
            and (external_userid, userid) in (select * from unnest($1::text[], $2::text[]))`,
        [confirming.map((e) => e.externalUserid), confirming.map((e) => e.userid)],
      );
      const open = new Set(halves.map((h) => `${h.external_userid}\u0000${h.userid}`));
      candidates = candidates.filter((e) => e.kind !== "added" || !open.has(relation(e)));
    }
    if (!candidates.length) return [];
    const zone = await tenantZone(scope);
    return recordAdds(
      scope,
      candidates.map((ev) => ({ ev, code: codes.get(ev.state) })),
      zone,
    );
  });

  hooks.onEvent.push(async (scope, ev: ContactEvent) => {
    if (ev.kind === "added" || ev.kind === "half_added") {
      const tenantId = scope.tenantId as string;
      const send = (jobs: JobToSend[]) => {
        if (!jobs.length) return;
        scope.onCommit(() => {
          platform.jobs
            .sendMany(jobs)
            .catch((err: unknown) =>
              platform.log.warn({ err, inboxId: ev.inboxId }, "live code jobs enqueue failed"),
            );
        });
      };
      const code = await liveCodeByState(scope, ev.state);
      const zone = await tenantZone(scope);
      const [recorded] = await scope.query<{
        id: string;
        welcome_status: string;
        welcome_job: string | null;
        remark_status: string;
      }>("select id, welcome_status, welcome_job, remark_status from channel_adds where inbox_id = $1", [
        ev.inboxId,
      ]);
      if (recorded) {
        // Recorded in the callback's transaction (onStored): enqueue again only what is still pending,
        // under the same keys (nothing is created while those jobs exist).
        const jobs =
          recorded.welcome_status === "pending" && recorded.welcome_job
            ? await pendingWelcomeJob(scope, recorded.welcome_job, zone)
            : [];
        if (code)
          jobs.push(
            ...followUpJobs(tenantId, recorded.id, code, ev, {
              remark: recorded.remark_status === "pending",
            }),
          );
        send(jobs);
        return;
      }
      if (ev.kind === "added") {
        const confirmed = await confirmHalfAdd(scope, ev, code, zone);
        if (confirmed) {
          send(confirmed);
          return;
        }
      }
      send(await recordAdds(scope, [{ ev, code }], zone));
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

  // Group live codes: joins of their groups, and moving on (or alerting) when one fills up.
  hooks.onGroupChanged.push((scope, ev) => groupChanged(scope, platform, ev));

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

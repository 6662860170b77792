import type {
  AllocationStrategy,
  LiveCodeCreateInput,
  LiveCodeDto,
  LiveCodeUpdateInput,
  StaffOption,
  WelcomeInput,
} from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, badRequest, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";
import { liveCodePort } from "../wecom/index.ts";
import { allocate, sameMembers } from "./allocation.ts";
import { localTime, tenantZone } from "./local-time.ts";

export interface Caller {
  tenantId: string;
  userId: string | null;
  actor: Actor;
  audit: AuditLog;
}

export interface LiveCodeRow {
  id: string;
  tenant_id: string;
  name: string;
  state: string;
  link_code: string;
  config_id: string;
  way_type: number;
  qr_url: string;
  strategy: AllocationStrategy;
  staff_user_ids: string[];
  backup_user_ids: string[];
  active_user_ids: string[];
  staff_options: Record<string, StaffOption>;
  daily_cap: number | null;
  tags: string[];
  remark_template: string | null;
  skip_verify: boolean;
  valid_from: Date | null;
  valid_until: Date | null;
  welcome: WelcomeInput | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

const columns = `id, tenant_id, name, state, link_code, config_id, way_type, qr_url, strategy, staff_user_ids,
  backup_user_ids, active_user_ids, staff_options, daily_cap, tags, remark_template, skip_verify, valid_from,
  valid_until, welcome, created_at, updated_at, deleted_at`;

/** The row of a code of the scope's tenant (deleted ones too); 404 otherwise. */
export async function liveCodeRow(scope: Scope, id: string): Promise<LiveCodeRow> {
  const [row] = await scope.query<LiveCodeRow>(`select ${columns} from live_codes where id = $1`, [id]);
  if (!row) throw notFound("live code");
  return row;
}

export async function liveCodeByState(scope: Scope, state: string): Promise<LiveCodeRow | undefined> {
  if (!state) return undefined;
  const [row] = await scope.query<LiveCodeRow>(`select ${columns} from live_codes where state = $1`, [state]);
  return row;
}

/** The codes of these states (one statement for a whole callback batch). */
export async function liveCodesByStates(scope: Scope, states: string[]): Promise<Map<string, LiveCodeRow>> {
  const wanted = [...new Set(states.filter(Boolean))];
  if (!wanted.length) return new Map();
  const rows = await scope.query<LiveCodeRow>(
    `select ${columns} from live_codes where state = any($1::text[])`,
    [wanted],
  );
  return new Map(rows.map((r) => [r.state, r]));
}

export function statusOf(row: LiveCodeRow, now = new Date()): "active" | "expired" | "deleted" {
  if (row.deleted_at) return "deleted";
  if ((row.valid_until && row.valid_until <= now) || (row.valid_from && row.valid_from > now))
    return "expired";
  return "active";
}

export function toDto(platform: Platform, row: LiveCodeRow, adds: number): LiveCodeDto {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    configId: row.config_id,
    qrUrl: row.qr_url,
    landingUrl: `${platform.config.publicUrl}/l/${row.link_code}`,
    qrPngUrl: `/api/live-codes/${row.id}/qr.png`,
    staffUserIds: row.staff_user_ids,
    backupUserIds: row.backup_user_ids,
    activeUserIds: row.active_user_ids,
    strategy: row.strategy,
    dailyCap: row.daily_cap,
    staffOptions: row.staff_options,
    tags: row.tags,
    welcome: row.welcome,
    remarkTemplate: row.remark_template,
    skipVerify: row.skip_verify,
    validFrom: iso(row.valid_from),
    validUntil: iso(row.valid_until),
    status: statusOf(row),
    adds,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    deletedAt: iso(row.deleted_at),
  };
}

async function addsOf(scope: Scope, ids: string[]): Promise<Map<string, number>> {
  if (!ids.length) return new Map();
  const rows = await scope.query<{ live_code_id: string; n: number }>(
    "select live_code_id, count(*)::int as n from channel_adds where live_code_id = any($1::text[]) group by live_code_id",
    [ids],
  );
  return new Map(rows.map((r) => [r.live_code_id, r.n]));
}

export async function getLiveCode(scope: Scope, platform: Platform, id: string): Promise<LiveCodeDto> {
  const row = await liveCodeRow(scope, id);
  return toDto(platform, row, (await addsOf(scope, [id])).get(id) ?? 0);
}

export async function listLiveCodes(
  scope: Scope,
  platform: Platform,
  q: {
    limit: number;
    cursor?: string | undefined;
    q?: string | undefined;
    includeDeleted?: string | undefined;
  },
): Promise<{ items: LiveCodeDto[]; nextCursor: string | null }> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (q.includeDeleted !== "true") where.push("deleted_at is null");
  if (q.q) {
    params.push(`%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(name ilike $${params.length} or state = $${params.length + 1})`);
    params.push(q.q);
  }
  if (q.cursor) {
    // Newest first: the cursor is the last id seen (ids sort by creation time).
    params.push(q.cursor);
    where.push(`id < $${params.length}`);
  }
  params.push(q.limit + 1);
  const rows = await scope.query<LiveCodeRow>(
    `select ${columns} from live_codes ${where.length ? `where ${where.join(" and ")}` : ""}
      order by id desc limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const adds = await addsOf(
    scope,
    page.map((r) => r.id),
  );
  return {
    items: page.map((r) => toDto(platform, r, adds.get(r.id) ?? 0)),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** Adds per staff member through this code today (tenant zone). */
async function addsToday(scope: Scope, id: string, zone: string): Promise<Record<string, number>> {
  const rows = await scope.query<{ userid: string; n: number }>(
    `select userid, count(*)::int as n from channel_adds
      where live_code_id = $1 and (added_at at time zone $2)::date = (now() at time zone $2)::date
      group by userid`,
    [id, zone],
  );
  return Object.fromEntries(rows.map((r) => [r.userid, r.n]));
}

interface Pool {
  strategy: AllocationStrategy;
  staff: string[];
  backup: string[];
  dailyCap: number | null;
  options: Record<string, StaffOption>;
}

async function activeMembers(
  scope: Scope,
  id: string | null,
  pool: Pool,
  region?: string,
): Promise<string[]> {
  const zone = await tenantZone(scope);
  return allocate({
    ...pool,
    addsToday: id ? await addsToday(scope, id, zone) : {},
    now: localTime(new Date(), zone),
    region,
  });
}

const poolOf = (r: LiveCodeRow): Pool => ({
  strategy: r.strategy,
  staff: r.staff_user_ids,
  backup: r.backup_user_ids,
  dailyCap: r.daily_cap,
  options: r.staff_options,
});

/**
 * The QR a by_region code shows a scan from `region`: the contact way of the members serving it (made
 * in WeCom the first time that member set is needed, with the code's state so its adds count to the
 * code), or the code's own way when nobody serves the region or it has no region.
 */
export async function qrForRegion(
  platform: Platform,
  row: LiveCodeRow,
  region: string | null,
): Promise<string> {
  if (row.strategy !== "by_region" || !region || row.deleted_at || row.way_type === 1) return row.qr_url;
  const tenantId = row.tenant_id;
  const members = await platform.db.tenant(tenantId, (s) => activeMembers(s, row.id, poolOf(row), region));
  if (sameMembers(members, row.active_user_ids)) return row.qr_url;
  const key = [...members].sort().join(",");
  const [known] = await platform.db.tenant(tenantId, (s) =>
    s.query<{ qr_url: string }>(
      "select qr_url from live_code_ways where live_code_id = $1 and members_key = $2",
      [row.id, key],
    ),
  );
  if (known) return known.qr_url;
  const way = await liveCodePort.createContactWay(platform, tenantId, {
    users: members,
    state: row.state,
    skipVerify: row.skip_verify,
    remark: [...row.name].slice(0, 24).join(""),
  });
  const [stored] = await platform.db.tenant(tenantId, (s) =>
    s.query<{ config_id: string; qr_url: string }>(
      `insert into live_code_ways (tenant_id, live_code_id, members_key, user_ids, config_id, qr_url)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (tenant_id, live_code_id, members_key) do update set members_key = excluded.members_key
       returning config_id, qr_url`,
      [tenantId, row.id, key, members, way.configId, way.qrUrl],
    ),
  );
  if (stored && stored.config_id !== way.configId) {
    // Another scan made the same way a moment earlier: keep that one.
    await liveCodePort.deleteContactWay(platform, tenantId, way.configId).catch(() => undefined);
  }
  return stored?.qr_url ?? way.qrUrl;
}

function checkPool(pool: Pool, validFrom: Date | null, validUntil: Date | null) {
  const known = new Set([...pool.staff, ...pool.backup]);
  const stray = Object.keys(pool.options).filter((u) => !known.has(u));
  if (stray.length) throw badRequest("staffOptions name members outside the pool", { userids: stray });
  if (new Set(pool.staff).size !== pool.staff.length) throw badRequest("staffUserIds has duplicates");
  if (validFrom && validUntil && validUntil <= validFrom)
    throw badRequest("validUntil must be after validFrom");
}

const dateOrNull = (v: string | null | undefined) => (v ? new Date(v) : null);

/**
 * Creates the WeCom contact way first (its config_id and QR are the code), then the row; when the row
 * cannot be written the way is deleted again. Tags become WeCom corp tags up front so an add can mark
 * them at once.
 */
export async function createLiveCode(
  platform: Platform,
  caller: Caller,
  input: LiveCodeCreateInput,
): Promise<LiveCodeDto> {
  const pool: Pool = {
    strategy: input.strategy ?? "round_robin",
    staff: input.staffUserIds,
    backup: (input.backupUserIds ?? []).filter((u) => !input.staffUserIds.includes(u)),
    dailyCap: input.dailyCap ?? null,
    options: input.staffOptions ?? {},
  };
  const validFrom = dateOrNull(input.validFrom);
  const validUntil = dateOrNull(input.validUntil);
  checkPool(pool, validFrom, validUntil);
  const tags = [...new Set(input.tags ?? [])];
  const id = newId("lc");
  // Short and id-derived: WeCom allows 30 chars; a name (Chinese, emoji) never goes into the state.
  const state = `lc_${id.slice(-12)}`;
  const linkCode = newId("l").slice(-10);
  const single = pool.staff.length === 1 && pool.backup.length === 0;
  const active = await platform.db.tenant(caller.tenantId, (s) => activeMembers(s, null, pool));
  if (tags.length) await liveCodePort.ensureCorpTags(platform, caller.tenantId, tags);
  const way = await liveCodePort.createContactWay(platform, caller.tenantId, {
    single,
    users: active,
    state,
    skipVerify: input.skipVerify ?? true,
    remark: input.name,
  });
  try {
    return await platform.db.tenant(caller.tenantId, async (s) => {
      await s.query(
        `insert into live_codes (id, tenant_id, name, state, link_code, config_id, way_type, qr_url, strategy,
           staff_user_ids, backup_user_ids, active_user_ids, staff_options, daily_cap, tags, remark_template,
           skip_verify, valid_from, valid_until, welcome, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
        [
          id,
          caller.tenantId,
          input.name,
          state,
          linkCode,
          way.configId,
          single ? 1 : 2,
          way.qrUrl,
          pool.strategy,
          pool.staff,
          pool.backup,
          active,
          JSON.stringify(pool.options),
          pool.dailyCap,
          tags,
          input.remarkTemplate ?? null,
          input.skipVerify ?? true,
          validFrom,
          validUntil,
          input.welcome ? JSON.stringify(input.welcome) : null,
          caller.userId,
        ],
      );
      await caller.audit.record(s, caller.actor, {
        action: "live_code.created",
        targetType: "live_code",
        targetId: id,
        data: { name: input.name, state, configId: way.configId, staff: pool.staff },
      });
      return getLiveCode(s, platform, id);
    });
  } catch (err) {
    await liveCodePort
      .deleteContactWay(platform, caller.tenantId, way.configId)
      .catch((e: unknown) =>
        platform.log.warn({ err: e, configId: way.configId }, "could not delete an orphan contact way"),
      );
    throw err;
  }
}

/** Edits the code; member, verification and name changes go to WeCom (update_contact_way) first. */
export async function updateLiveCode(
  platform: Platform,
  caller: Caller,
  id: string,
  input: LiveCodeUpdateInput,
): Promise<LiveCodeDto> {
  const row = await platform.db.tenant(caller.tenantId, (s) => liveCodeRow(s, id));
  if (row.deleted_at) throw new AppError("conflict", "the live code is deleted");
  const staff = input.staffUserIds ?? row.staff_user_ids;
  const pool: Pool = {
    strategy: input.strategy ?? row.strategy,
    staff,
    backup: (input.backupUserIds ?? row.backup_user_ids).filter((u) => !staff.includes(u)),
    dailyCap: input.dailyCap !== undefined ? input.dailyCap : row.daily_cap,
    options: input.staffOptions ?? row.staff_options,
  };
  const validFrom = input.validFrom !== undefined ? dateOrNull(input.validFrom) : row.valid_from;
  const validUntil = input.validUntil !== undefined ? dateOrNull(input.validUntil) : row.valid_until;
  checkPool(pool, validFrom, validUntil);
  if (row.way_type === 1 && (pool.staff.length > 1 || pool.backup.length > 0)) {
    throw new AppError(
      "conflict",
      "a single-member live code cannot take more members (WeCom fixes a type-1 contact way's member); create a new code",
    );
  }
  const tags = input.tags ? [...new Set(input.tags)] : row.tags;
  if (input.tags?.length) await liveCodePort.ensureCorpTags(platform, caller.tenantId, tags);
  const active = await platform.db.tenant(caller.tenantId, (s) => activeMembers(s, id, pool));
  const skipVerify = input.skipVerify ?? row.skip_verify;
  const name = input.name ?? row.name;
  if (!sameMembers(active, row.active_user_ids) || skipVerify !== row.skip_verify || name !== row.name) {
    await liveCodePort.updateContactWay(platform, caller.tenantId, row.config_id, {
      users: active,
      skipVerify,
      remark: name,
    });
  }
  return platform.db.tenant(caller.tenantId, async (s) => {
    await s.query(
      `update live_codes set name = $2, strategy = $3, staff_user_ids = $4, backup_user_ids = $5, active_user_ids = $6,
         staff_options = $7, daily_cap = $8, tags = $9, remark_template = $10, skip_verify = $11, valid_from = $12,
         valid_until = $13, welcome = $14, updated_at = now()
       where id = $1`,
      [
        id,
        name,
        pool.strategy,
        pool.staff,
        pool.backup,
        active,
        JSON.stringify(pool.options),
        pool.dailyCap,
        tags,
        input.remarkTemplate !== undefined ? input.remarkTemplate : row.remark_template,
        skipVerify,
        validFrom,
        validUntil,
        input.welcome !== undefined
          ? input.welcome
            ? JSON.stringify(input.welcome)
            : null
          : row.welcome
            ? JSON.stringify(row.welcome)
            : null,
      ],
    );
    await caller.audit.record(s, caller.actor, {
      action: "live_code.updated",
      targetType: "live_code",
      targetId: id,
      data: { fields: Object.keys(input) },
    });
    return getLiveCode(s, platform, id);
  });
}

/** Deletes the contact way in WeCom; the row stays (soft delete) so its state and stats remain. */
export async function deleteLiveCode(platform: Platform, caller: Caller, id: string): Promise<LiveCodeDto> {
  const row = await platform.db.tenant(caller.tenantId, (s) => liveCodeRow(s, id));
  if (!row.deleted_at) {
    await liveCodePort.deleteContactWay(platform, caller.tenantId, row.config_id);
    const regional = await platform.db.tenant(caller.tenantId, (s) =>
      s.query<{ config_id: string }>("select config_id from live_code_ways where live_code_id = $1", [id]),
    );
    for (const w of regional) {
      await liveCodePort
        .deleteContactWay(platform, caller.tenantId, w.config_id)
        .catch((err: unknown) => platform.log.warn({ err, configId: w.config_id }, "region way not deleted"));
    }
  }
  return platform.db.tenant(caller.tenantId, async (s) => {
    await s.query(
      "update live_codes set deleted_at = coalesce(deleted_at, now()), updated_at = now() where id = $1",
      [id],
    );
    if (!row.deleted_at) {
      await caller.audit.record(s, caller.actor, {
        action: "live_code.deleted",
        targetType: "live_code",
        targetId: id,
        data: { name: row.name, configId: row.config_id },
      });
    }
    return getLiveCode(s, platform, id);
  });
}

/**
 * Re-allocates a code's members (caps, hours, strategy) and updates the contact way when the list
 * changed. Run after adds and on a schedule (a new day lifts yesterday's caps).
 */
export async function refreshMembers(platform: Platform, tenantId: string, id: string): Promise<boolean> {
  const { row, active } = await platform.db.tenant(tenantId, async (s) => {
    const r = await liveCodeRow(s, id);
    return {
      row: r,
      active: await activeMembers(s, id, {
        strategy: r.strategy,
        staff: r.staff_user_ids,
        backup: r.backup_user_ids,
        dailyCap: r.daily_cap,
        options: r.staff_options,
      }),
    };
  });
  if (row.deleted_at || row.way_type === 1 || sameMembers(active, row.active_user_ids)) return false;
  await liveCodePort.updateContactWay(platform, tenantId, row.config_id, { users: active });
  await platform.db.tenant(tenantId, (s) =>
    s.query("update live_codes set active_user_ids = $2, updated_at = now() where id = $1", [id, active]),
  );
  return true;
}

/** Whether adds can change a code's members (so each add asks for a refresh). */
export function allocationDependsOnAdds(row: LiveCodeRow): boolean {
  return (
    row.way_type === 2 &&
    (row.strategy === "least_loaded" ||
      row.strategy === "weighted" ||
      row.daily_cap !== null ||
      Object.values(row.staff_options).some((o) => o.dailyCap !== undefined))
  );
}

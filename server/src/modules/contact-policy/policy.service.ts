import {
  type ChannelPolicy,
  type ContactChannel,
  type ContactPolicyDto,
  type ContactPolicyUpdate,
  contactChannels,
} from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { toHhmm, toMinutes, validZone } from "./zone-time.ts";

const none = { perDay: null, perWeek: null, perMonth: null, perCalendarMonth: null, quietHours: null };

/**
 * What a tenant that never saved a policy gets: no caps and no quiet hours, except WeCom's own
 * mass-message limits (protocols/wecom.md §5): corp mass sends reach a customer at most 4 times per
 * natural month, member-initiated ones once a day per member. Enforcing one a day per customer keeps
 * both, whichever kind WeCom counts a task as; both are editable since WeCom has changed them before.
 */
export const defaultPolicies: Record<ContactChannel, ChannelPolicy> = {
  wecom_private: { channel: "wecom_private", ...none, transactionalExempt: true },
  wecom_mass: { channel: "wecom_mass", ...none, perDay: 1, perCalendarMonth: 4, transactionalExempt: true },
  wecom_moment: { channel: "wecom_moment", ...none, transactionalExempt: true },
  oa_template: { channel: "oa_template", ...none, transactionalExempt: true },
  sms: { channel: "sms", ...none, transactionalExempt: true },
};

export interface PolicyRow {
  channel: ContactChannel;
  per_day: number | null;
  per_week: number | null;
  per_month: number | null;
  per_calendar_month: number | null;
  quiet_start: number | null;
  quiet_end: number | null;
  transactional_exempt: boolean;
}

/** A channel's policy in the shape decide() uses: quiet hours as local minutes. */
export interface EffectivePolicy {
  channel: ContactChannel;
  perDay: number | null;
  perWeek: number | null;
  perMonth: number | null;
  perCalendarMonth: number | null;
  quiet: { start: number; end: number } | null;
  transactionalExempt: boolean;
}

export function effective(channel: ContactChannel, row: PolicyRow | null | undefined): EffectivePolicy {
  if (!row || row.transactional_exempt === null) {
    const d = defaultPolicies[channel];
    return {
      channel,
      perDay: d.perDay,
      perWeek: d.perWeek,
      perMonth: d.perMonth,
      perCalendarMonth: d.perCalendarMonth,
      quiet: d.quietHours ? { start: toMinutes(d.quietHours.start), end: toMinutes(d.quietHours.end) } : null,
      transactionalExempt: d.transactionalExempt,
    };
  }
  return {
    channel,
    perDay: row.per_day,
    perWeek: row.per_week,
    perMonth: row.per_month,
    perCalendarMonth: row.per_calendar_month,
    quiet:
      row.quiet_start === null || row.quiet_end === null
        ? null
        : { start: row.quiet_start, end: row.quiet_end },
    transactionalExempt: row.transactional_exempt,
  };
}

function toDto(p: EffectivePolicy): ChannelPolicy {
  return {
    channel: p.channel,
    perDay: p.perDay,
    perWeek: p.perWeek,
    perMonth: p.perMonth,
    perCalendarMonth: p.perCalendarMonth,
    quietHours: p.quiet ? { start: toHhmm(p.quiet.start), end: toHhmm(p.quiet.end) } : null,
    transactionalExempt: p.transactionalExempt,
  };
}

/** The tenant's zone and one channel's policy, in one query. */
export async function loadPolicy(
  scope: Scope,
  channel: ContactChannel,
): Promise<{ zone: string; policy: EffectivePolicy }> {
  const [row] = await scope.query<PolicyRow & { timezone: string | null }>(
    `select t.timezone, p.channel, p.per_day, p.per_week, p.per_month, p.per_calendar_month,
            p.quiet_start, p.quiet_end, p.transactional_exempt
       from tenants t left join contact_policy_channels p on p.tenant_id = t.id and p.channel = $2
      where t.id = $1`,
    [scope.tenantId, channel],
  );
  return { zone: validZone(row?.timezone), policy: effective(channel, row) };
}

export async function getContactPolicy(scope: Scope): Promise<ContactPolicyDto> {
  const [tenant] = await scope.query<{ timezone: string | null }>(
    "select timezone from tenants where id = $1",
    [scope.tenantId],
  );
  const rows = await scope.query<PolicyRow>(
    `select channel, per_day, per_week, per_month, per_calendar_month, quiet_start, quiet_end, transactional_exempt
       from contact_policy_channels`,
  );
  const byChannel = new Map(rows.map((r) => [r.channel, r]));
  return {
    timezone: validZone(tenant?.timezone),
    channels: contactChannels.map((c) => toDto(effective(c, byChannel.get(c)))),
  };
}

/** Saves the given channels (others keep what they had), audited in the same transaction. */
export async function saveContactPolicy(
  scope: Scope,
  audit: AuditLog,
  actor: Actor & { userId?: string | null },
  input: ContactPolicyUpdate,
): Promise<ContactPolicyDto> {
  const before = await getContactPolicy(scope);
  for (const c of input.channels) {
    await scope.query(
      `insert into contact_policy_channels (tenant_id, channel, per_day, per_week, per_month, per_calendar_month,
              quiet_start, quiet_end, transactional_exempt, updated_by, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
       on conflict (tenant_id, channel) do update set per_day = excluded.per_day, per_week = excluded.per_week,
              per_month = excluded.per_month, per_calendar_month = excluded.per_calendar_month,
              quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
              transactional_exempt = excluded.transactional_exempt, updated_by = excluded.updated_by,
              updated_at = now()`,
      [
        scope.tenantId,
        c.channel,
        c.perDay,
        c.perWeek,
        c.perMonth,
        c.perCalendarMonth,
        c.quietHours ? toMinutes(c.quietHours.start) : null,
        c.quietHours ? toMinutes(c.quietHours.end) : null,
        c.transactionalExempt,
        actor.userId ?? null,
      ],
    );
  }
  const after = await getContactPolicy(scope);
  await audit.record(scope, actor, {
    action: "contact_policy.updated",
    targetType: "contact_policy",
    targetId: scope.tenantId ?? "",
    data: {
      channels: input.channels.map((c) => c.channel),
      before: before.channels.filter((c) => input.channels.some((i) => i.channel === c.channel)),
    },
  });
  return after;
}

import type { LiveCodeAddDto, LiveCodeScanDto, LiveCodeSpendDto } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Caller } from "./live-codes.service.ts";

interface AddRow {
  id: string;
  live_code_id: string | null;
  state: string;
  userid: string;
  external_userid: string;
  customer_id: string | null;
  kind: "add" | "half";
  expired: boolean;
  welcome_status: LiveCodeAddDto["welcomeStatus"];
  welcome_error: string | null;
  welcome_errcode: number | null;
  welcome_variant: string | null;
  welcome_sent_at: Date | null;
  welcome_latency_ms: number | null;
  remark_status: string;
  added_at: Date;
}

/** The adds of a code, newest first, with what happened to each welcome message (visible failures). */
export async function listAdds(
  scope: Scope,
  liveCodeId: string,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: LiveCodeAddDto[]; nextCursor: string | null }> {
  const rows = await scope.query<AddRow>(
    `select id, live_code_id, state, userid, external_userid, customer_id, kind, expired, welcome_status,
            welcome_error, welcome_errcode, welcome_variant, welcome_sent_at, welcome_latency_ms, remark_status, added_at
       from channel_adds where live_code_id = $1 and ($2::text is null or id < $2)
      order by id desc limit $3`,
    [liveCodeId, q.cursor ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      liveCodeId: r.live_code_id,
      state: r.state,
      userid: r.userid,
      externalUserid: r.external_userid,
      customerId: r.customer_id,
      kind: r.kind,
      expired: r.expired,
      welcomeStatus: r.welcome_status,
      welcomeError: r.welcome_error,
      welcomeErrcode: r.welcome_errcode,
      welcomeVariant: r.welcome_variant,
      welcomeSentAt: r.welcome_sent_at?.toISOString() ?? null,
      welcomeLatencyMs: r.welcome_latency_ms,
      remarkStatus: r.remark_status,
      addedAt: r.added_at.toISOString(),
    })),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

export async function listScans(
  scope: Scope,
  liveCodeId: string,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: LiveCodeScanDto[]; nextCursor: string | null }> {
  const rows = await scope.query<{
    id: string;
    scanned_at: Date;
    user_agent: string | null;
    referer: string | null;
    params: Record<string, string>;
  }>(
    `select id, scanned_at, user_agent, referer, params from live_code_scans
      where live_code_id = $1 and ($2::text is null or id < $2) order by id desc limit $3`,
    [liveCodeId, q.cursor ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      scannedAt: r.scanned_at.toISOString(),
      userAgent: r.user_agent,
      referer: r.referer,
      params: r.params,
    })),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** Campaign parameters kept from a landing visit (bounded: the URL is anyone's to write). */
export const scanParamNames = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "source",
  "region",
] as const;

export async function recordScan(
  scope: Scope,
  liveCodeId: string,
  visit: { userAgent: string | null; referer: string | null; params: Record<string, string> },
): Promise<void> {
  await scope.query(
    `insert into live_code_scans (id, tenant_id, live_code_id, user_agent, referer, params)
     values ($1, $2, $3, $4, $5, $6)`,
    [
      newId("lcs"),
      scope.tenantId,
      liveCodeId,
      visit.userAgent?.slice(0, 500) ?? null,
      visit.referer?.slice(0, 1000) ?? null,
      JSON.stringify(visit.params),
    ],
  );
}

interface SpendRow {
  id: string;
  period_start: string;
  period_end: string;
  amount_fen: string | number;
  note: string | null;
  created_at: Date;
}

const spendDto = (r: SpendRow): LiveCodeSpendDto => ({
  id: r.id,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  amountFen: Number(r.amount_fen),
  note: r.note,
  createdAt: r.created_at.toISOString(),
});

const spendColumns =
  "id, to_char(period_start, 'YYYY-MM-DD') as period_start, to_char(period_end, 'YYYY-MM-DD') as period_end, amount_fen, note, created_at";

export async function addSpend(
  scope: Scope,
  caller: Caller,
  liveCodeId: string,
  input: { periodStart: string; periodEnd: string; amountFen: number; note?: string | undefined },
): Promise<LiveCodeSpendDto> {
  const id = newId("lsp");
  const [row] = await scope.query<SpendRow>(
    `insert into live_code_spend (id, tenant_id, live_code_id, period_start, period_end, amount_fen, note, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${spendColumns}`,
    [
      id,
      scope.tenantId,
      liveCodeId,
      input.periodStart,
      input.periodEnd,
      input.amountFen,
      input.note ?? null,
      caller.userId,
    ],
  );
  await caller.audit.record(scope, caller.actor, {
    action: "live_code.spend_added",
    targetType: "live_code",
    targetId: liveCodeId,
    data: {
      spendId: id,
      amountFen: input.amountFen,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
    },
  });
  return spendDto(row as SpendRow);
}

export async function listSpend(scope: Scope, liveCodeId: string): Promise<LiveCodeSpendDto[]> {
  const rows = await scope.query<SpendRow>(
    `select ${spendColumns} from live_code_spend where live_code_id = $1 order by period_start desc, id desc`,
    [liveCodeId],
  );
  return rows.map(spendDto);
}

import { type CouponGrantDto, couponIssueActionSchema, durationMs } from "@siyu/contracts";
import type { Actor, AuditLog } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { appendTimeline } from "../../customers/index.ts";
import { FlowActionError, registerAction, registerTriggerEvent } from "../../flows/index.ts";

/**
 * PLACEHOLDER coupon ledger until the commerce hub has real coupons (SPEC §5): a flow's `coupon.issue`
 * records a grant (one per flow step) and a `coupon.issued` fact on the customer's timeline; redeeming
 * it (`POST /api/coupon-grants/:id/redeem`, later the commerce hub) is a `coupon.redeemed` fact that a
 * flow's event wait listens for.
 */
export const couponIssued = "coupon.issued";
export const couponRedeemed = "coupon.redeemed";

interface GrantRow {
  id: string;
  customer_id: string;
  title: string;
  amount_fen: string | number;
  status: "issued" | "redeemed" | "expired";
  expires_at: Date | null;
  flow_id: string | null;
  flow_instance_id: string | null;
  created_at: Date;
  redeemed_at: Date | null;
}

const columns =
  "id, customer_id, title, amount_fen, status, expires_at, flow_id, flow_instance_id, created_at, redeemed_at";

function toDto(r: GrantRow): CouponGrantDto {
  // A grant past its expiry reads as expired even before anything marks it.
  const expired = r.status === "issued" && r.expires_at !== null && r.expires_at.getTime() <= Date.now();
  return {
    id: r.id,
    customerId: r.customer_id,
    title: r.title,
    amountFen: Number(r.amount_fen),
    status: expired ? "expired" : r.status,
    expiresAt: r.expires_at?.toISOString() ?? null,
    flowId: r.flow_id,
    flowInstanceId: r.flow_instance_id,
    createdAt: r.created_at.toISOString(),
    redeemedAt: r.redeemed_at?.toISOString() ?? null,
  };
}

export function registerCouponActions(platform: Platform) {
  registerTriggerEvent(platform, couponIssued);
  registerTriggerEvent(platform, couponRedeemed);
  registerAction(platform, {
    action: "coupon.issue",
    title: "Issue a coupon (placeholder ledger)",
    params: couponIssueActionSchema,
    kind: "transactional",
    describe: (p) => `issue coupon ${p.title} (${p.amountFen} fen)`,
    async run(ctx, p) {
      if (!ctx.customerId) throw new FlowActionError("this instance has no customer", { permanent: true });
      const scope = ctx.scope!;
      const expiresAt = p.validFor ? new Date(Date.now() + durationMs(p.validFor)) : null;
      const [row] = await scope.query<{ id: string }>(
        `insert into coupon_grants (id, tenant_id, customer_id, title, amount_fen, expires_at, ref, flow_id, flow_instance_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, ref) do nothing returning id`,
        [
          newId("cpg"),
          ctx.tenantId,
          ctx.customerId,
          p.title,
          p.amountFen,
          expiresAt,
          `flow:${ctx.stepKey}`,
          ctx.flowId,
          ctx.instanceId,
        ],
      );
      const id =
        row?.id ??
        (
          await scope.query<{ id: string }>("select id from coupon_grants where ref = $1", [
            `flow:${ctx.stepKey}`,
          ])
        )[0]!.id;
      if (row) {
        await appendTimeline(scope, ctx.platform.events, ctx.customerId, couponIssued, {
          couponId: id,
          title: p.title,
          amountFen: p.amountFen,
          expiresAt: expiresAt?.toISOString() ?? null,
          flowId: ctx.flowId,
          flowInstanceId: ctx.instanceId,
          placeholder: true,
        });
      }
      return { result: { couponId: id, title: p.title, amountFen: p.amountFen }, setVars: { couponId: id } };
    },
  });
}

export async function listCouponGrants(scope: Scope, customerId: string): Promise<CouponGrantDto[]> {
  const rows = await scope.query<GrantRow>(
    `select ${columns} from coupon_grants where customer_id = $1 order by created_at desc, id desc limit 500`,
    [customerId],
  );
  return rows.map(toDto);
}

/** Marks a grant used and writes `coupon.redeemed` on the timeline (flows waiting for it move on). */
export async function redeemCouponGrant(
  scope: Scope,
  platform: Platform,
  audit: AuditLog,
  actor: Actor,
  id: string,
): Promise<CouponGrantDto> {
  const [row] = await scope.query<GrantRow>(`select ${columns} from coupon_grants where id = $1 for update`, [
    id,
  ]);
  if (!row) throw notFound("coupon grant");
  const dto = toDto(row);
  if (dto.status !== "issued") throw new AppError("invalid_state", `the coupon is ${dto.status}`);
  const [updated] = await scope.query<GrantRow>(
    `update coupon_grants set status = 'redeemed', redeemed_at = now() where id = $1 returning ${columns}`,
    [id],
  );
  await appendTimeline(scope, platform.events, row.customer_id, couponRedeemed, {
    couponId: id,
    title: row.title,
    amountFen: Number(row.amount_fen),
  });
  await audit.record(scope, actor, {
    action: "coupon.redeemed",
    targetType: "coupon_grant",
    targetId: id,
    data: { customerId: row.customer_id },
  });
  return toDto(updated!);
}

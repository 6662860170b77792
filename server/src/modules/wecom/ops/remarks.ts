import type { WecomRemarkDto, WecomRemarkInput } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { forbidden, notFound } from "../../../platform/errors.ts";
import type { AuthContext } from "../../../platform/http/auth-context.ts";
import type { Platform } from "../../../platform/platform.ts";
import { appendTimeline } from "../../customers/index.ts";
import { isManager } from "./rbac.ts";

export interface RemarkTarget {
  customerId: string;
  remark: string;
  description: string;
  mobiles: string[];
}

/**
 * The follow relation a remark goes on. Agents may only remark their own relations (the WeCom member
 * linked to their login); another tenant's or an unknown contact answers 404.
 */
export async function remarkTarget(
  scope: Scope,
  platform: Platform,
  auth: AuthContext,
  externalUserid: string,
  userid: string,
): Promise<RemarkTarget> {
  const [row] = await scope.query<{
    customer_id: string;
    remark: string;
    description: string;
    remark_mobiles_enc: string | null;
    staff_user_id: string | null;
  }>(
    `select c.customer_id, f.remark, f.description, f.remark_mobiles_enc, s.user_id as staff_user_id
       from wecom_contacts c
       join wecom_follows f on f.external_userid = c.external_userid and f.userid = $2 and f.deleted_at is null
       left join wecom_staff s on s.userid = f.userid
      where c.external_userid = $1`,
    [externalUserid, userid],
  );
  if (!row) throw notFound("WeCom relation");
  if (!isManager(auth) && (!auth.userId || row.staff_user_id !== auth.userId))
    throw forbidden("agents may only remark their own WeCom customers");
  return {
    customerId: row.customer_id,
    remark: row.remark,
    description: row.description,
    mobiles: row.remark_mobiles_enc
      ? (JSON.parse(platform.crypto.decrypt(row.remark_mobiles_enc)) as string[])
      : [],
  };
}

/** Stores what WeCom accepted, with a timeline entry on the customer (mobiles are not copied there). */
export async function saveRemark(
  scope: Scope,
  platform: Platform,
  externalUserid: string,
  input: WecomRemarkInput,
  before: RemarkTarget,
): Promise<WecomRemarkDto> {
  const next = {
    remark: input.remark ?? before.remark,
    description: input.description ?? before.description,
    mobiles: input.mobiles ?? before.mobiles,
  };
  await scope.query(
    `update wecom_follows set remark = $3, description = $4, remark_mobiles_enc = $5, updated_at = now()
      where external_userid = $1 and userid = $2`,
    [
      externalUserid,
      input.userid,
      next.remark,
      next.description,
      next.mobiles.length ? platform.crypto.encrypt(JSON.stringify(next.mobiles)) : null,
    ],
  );
  await appendTimeline(scope, platform.events, before.customerId, "wecom.remark_updated", {
    externalUserid,
    userid: input.userid,
    remark: next.remark,
    description: next.description,
    mobilesChanged: input.mobiles !== undefined,
  });
  return { externalUserid, userid: input.userid, customerId: before.customerId, ...next };
}

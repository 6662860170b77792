import type { IdentityType } from "@siyu/contracts";

export type AttributeValue = string | number | boolean | string[] | null;

/** A customers row as selected by `customerColumns`. */
export interface CustomerRow {
  id: string;
  tenant_id: string;
  name: string;
  phone_enc: string | null;
  phone_bidx: string | null;
  email: string | null;
  attributes: Record<string, AttributeValue>;
  /** tags.num of each tag the customer holds (the public tag id is tags.id). */
  tag_nums: number[];
  owner_user_ids: string[];
  lifecycle_stage: string | null;
  source: string | null;
  merged_into: string | null;
  created_at: Date;
  updated_at: Date;
}

export const customerColumns =
  "id, tenant_id, name, phone_enc, phone_bidx, email, attributes, tag_nums, owner_user_ids, lifecycle_stage, source, merged_into, created_at, updated_at";

export interface IdentityInput {
  type: IdentityType;
  value: string;
  /** Platform scope (corp id, app id, shop id) where the value is unique only inside it. */
  scope?: string;
}

/** Identity types strong enough to say "same person" on their own (SPEC §1: merge automatically). */
export const strongIdentityTypes: ReadonlySet<string> = new Set([
  "phone",
  "email",
  "unionid",
  "wecom_external_userid",
  "oa_openid",
  "youzan",
  "taobao",
  "douyin",
  "jd",
  "custom",
]);

import type { CustomerDto, Permission } from "@siyu/contracts";
import type { Actor } from "../../platform/audit/audit.ts";
import { readTenantCipher } from "../../platform/crypto/index.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import type { AuthContext } from "../../platform/http/auth-context.ts";
import { newId } from "../../platform/ids/ids.ts";
import { maskPhone } from "../../platform/masking/index.ts";
import type { Platform } from "../../platform/platform.ts";
import { loadFieldDefs, validateAttributes } from "./fields.ts";
import { mergeCustomers, suggestMerges } from "./merge.service.ts";
import { type AttributeValue, type CustomerRow, customerColumns, type IdentityInput } from "./model.ts";
import { displayPhone } from "./phone.ts";
import {
  customersByIdentity,
  identityFactData,
  identityKeys,
  insertIdentities,
  lockIdentities,
} from "./resolve.ts";
import { ensureTags, tagsByIds, tagsByNums } from "./tags.service.ts";
import { recordCustomerEvent } from "./timeline.ts";

export type ChangeCause = "manual" | "import" | "rule" | "merge" | "sync" | "api";

export interface Writer {
  platform: Platform;
  actor: Actor;
  cause: ChangeCause;
  /** Who the new customer belongs to when it is created (an agent's own customers). */
  defaultOwners?: string[];
}

export interface CustomerInput {
  name?: string;
  phone?: string | null;
  email?: string | null;
  attributes?: Record<string, AttributeValue>;
  tags?: string[];
  identities?: IdentityInput[];
  ownerUserIds?: string[];
  lifecycleStage?: string | null;
  source?: string | null;
}

export interface UpsertResult {
  id: string;
  created: boolean;
  /** Profiles that the given identities proved to be this person, merged into it. */
  merged: string[];
}

/**
 * The one way into the customer table (API, import, and later WeCom, OA, stores, forms). Finds the
 * person by any strong identity; creates them if unknown; merges profiles that the identities prove
 * are one person; then applies the input.
 */
export async function upsertCustomer(scope: Scope, w: Writer, input: CustomerInput): Promise<UpsertResult> {
  const { crypto } = w.platform;
  if (input.attributes && Object.keys(input.attributes).length)
    validateAttributes(await loadFieldDefs(scope), input.attributes);
  const { keys, phone, email } = identityKeys(crypto, input);
  await lockIdentities(scope, keys);
  const matches = await customersByIdentity(scope, keys);

  let id: string;
  let created = false;
  const merged: string[] = [];
  if (matches.length === 0) {
    id = newId("cus");
    created = true;
    const cipher = await readTenantCipher(scope);
    await scope.query(
      `insert into customers (id, tenant_id, name, phone_enc, phone_bidx, email, attributes, owner_user_ids, lifecycle_stage, source)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        id,
        scope.tenantId,
        input.name?.trim() ?? "",
        phone ? crypto.encrypt(phone, { cipher }) : null,
        phone ? crypto.blindIndex("phone", phone) : null,
        email,
        JSON.stringify(input.attributes ?? {}),
        input.ownerUserIds ?? w.defaultOwners ?? [],
        input.lifecycleStage ?? null,
        input.source ?? null,
      ],
    );
    await recordCustomerEvent(scope, w.platform.events, id, "customer.created", {
      cause: w.cause,
      source: input.source ?? null,
    });
    await suggestMerges(scope, id);
  } else {
    id = matches[0]!;
    for (const other of matches.slice(1)) {
      await mergeCustomers(scope, w, { targetId: id, sourceId: other, reason: "same identity" });
      merged.push(other);
    }
    await applyChanges(scope, w, id, { ...input, phone: phone ?? undefined, email: email ?? undefined });
  }
  const added = await insertIdentities(scope, id, keys);
  for (const k of added) {
    if (!created || (k.type !== "phone" && k.type !== "email")) {
      await recordCustomerEvent(scope, w.platform.events, id, "customer.identity_added", {
        ...identityFactData(k),
        cause: w.cause,
      });
    }
  }
  if (input.tags?.length) await addTags(scope, w, id, input.tags);
  return { id, created, merged };
}

/** Field changes on an existing customer; records what changed. Phone/email are already normalised. */
async function applyChanges(scope: Scope, w: Writer, id: string, input: CustomerInput) {
  const [row] = await scope.query<CustomerRow>(
    `select ${customerColumns} from customers where id = $1 for update`,
    [id],
  );
  if (!row) throw notFound("customer");
  const changed: string[] = [];
  const set: string[] = [];
  const params: unknown[] = [id];
  const put = (column: string, value: unknown, field: string) => {
    params.push(value);
    set.push(`${column} = $${params.length}`);
    changed.push(field);
  };
  const name = input.name?.trim();
  if (name && name !== row.name) put("name", name, "name");
  if (input.phone) {
    const bidx = w.platform.crypto.blindIndex("phone", input.phone);
    if (bidx !== row.phone_bidx) {
      put(
        "phone_enc",
        w.platform.crypto.encrypt(input.phone, { cipher: await readTenantCipher(scope) }),
        "phone",
      );
      params.push(bidx);
      set.push(`phone_bidx = $${params.length}`);
    }
  } else if (input.phone === null && row.phone_enc) {
    put("phone_enc", null, "phone");
    set.push("phone_bidx = null");
  }
  if (input.email !== undefined && input.email !== row.email) put("email", input.email, "email");
  if (input.attributes) {
    const next = { ...row.attributes };
    for (const [k, v] of Object.entries(input.attributes)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    if (JSON.stringify(next) !== JSON.stringify(row.attributes))
      put("attributes", JSON.stringify(next), "attributes");
  }
  if (input.ownerUserIds && input.ownerUserIds.join() !== row.owner_user_ids.join()) {
    put("owner_user_ids", [...new Set(input.ownerUserIds)], "owners");
  }
  if (input.lifecycleStage !== undefined && input.lifecycleStage !== row.lifecycle_stage) {
    put("lifecycle_stage", input.lifecycleStage, "lifecycleStage");
  }
  if (input.source && !row.source) put("source", input.source, "source");
  if (set.length === 0) return;
  await scope.query(`update customers set ${set.join(", ")}, updated_at = now() where id = $1`, params);
  await recordCustomerEvent(scope, w.platform.events, id, "customer.updated", {
    fields: changed,
    cause: w.cause,
  });
}

export async function updateCustomer(scope: Scope, w: Writer, id: string, input: CustomerInput) {
  await getRow(scope, id);
  if (input.attributes && Object.keys(input.attributes).length)
    validateAttributes(await loadFieldDefs(scope), input.attributes);
  const { keys, phone, email } = identityKeys(w.platform.crypto, { phone: input.phone, email: input.email });
  if (keys.length) {
    await lockIdentities(scope, keys);
    const owners = (await customersByIdentity(scope, keys)).filter((c) => c !== id);
    if (owners.length) {
      throw new AppError("conflict", "this phone or e-mail belongs to another customer; merge them instead", {
        customerIds: owners,
      });
    }
  }
  await applyChanges(scope, w, id, {
    ...input,
    phone: input.phone === null ? null : (phone ?? undefined),
    email: input.email === null ? null : (email ?? undefined),
  });
  await insertIdentities(scope, id, keys);
}

export async function getRow(scope: Scope, id: string): Promise<CustomerRow> {
  const [row] = await scope.query<CustomerRow>(
    `select ${customerColumns} from customers where id = $1 and merged_into is null and deleted_at is null`,
    [id],
  );
  if (!row) throw notFound("customer");
  return row;
}

export async function addTags(scope: Scope, w: Writer, id: string, names: string[], ruleId?: string) {
  const tags = await ensureTags(scope, names);
  const rows = await scope.query<{ tag_nums: number[] }>(
    "select tag_nums from customers where id = $1 for update",
    [id],
  );
  const current = new Set(rows[0]?.tag_nums ?? []);
  const fresh = tags.filter((t) => !current.has(t.num));
  if (fresh.length === 0) return;
  await scope.query(
    "update customers set tag_nums = array(select distinct unnest(tag_nums || $2::int4[])), updated_at = now() where id = $1",
    [id, fresh.map((t) => t.num)],
  );
  for (const t of fresh) {
    await recordCustomerEvent(scope, w.platform.events, id, "customer.tag_added", {
      tagId: t.id,
      tag: t.name,
      cause: w.cause,
      ...(ruleId ? { ruleId } : {}),
    });
  }
}

export async function removeTagIds(scope: Scope, w: Writer, id: string, tagIds: string[], ruleId?: string) {
  const rows = await scope.query<{ tag_nums: number[] }>(
    "select tag_nums from customers where id = $1 for update",
    [id],
  );
  const names = await tagsByIds(scope, tagIds);
  const held = new Set(rows[0]?.tag_nums ?? []);
  const present = tagIds.filter((t) => {
    const num = names.get(t)?.num;
    return num !== undefined && held.has(num);
  });
  if (present.length === 0) return;
  await scope.query(
    "update customers set tag_nums = array(select unnest(tag_nums) except select unnest($2::int4[])), updated_at = now() where id = $1",
    [id, present.map((t) => names.get(t)!.num)],
  );
  for (const t of present) {
    await recordCustomerEvent(scope, w.platform.events, id, "customer.tag_removed", {
      tagId: t,
      tag: names.get(t)?.name ?? t,
      cause: w.cause,
      ...(ruleId ? { ruleId } : {}),
    });
  }
}

/** Builds the API shape for rows, with phones masked for callers who may not see them. */
export async function toDtos(
  scope: Scope,
  platform: Platform,
  rows: CustomerRow[],
  permissions: ReadonlySet<Permission>,
): Promise<CustomerDto[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const tags = await tagsByNums(
    scope,
    rows.flatMap((r) => r.tag_nums),
  );
  const identities = await scope.query<{ customer_id: string; type: string; scope: string; value: string }>(
    "select customer_id, type, scope, value from customer_identities where customer_id = any($1::text[]) order by created_at, type",
    [ids],
  );
  const full = permissions.has("customers.phone.full");
  return rows.map((r) => {
    let phone: string | null = null;
    if (r.phone_enc) {
      const shown = displayPhone(platform.crypto.decrypt(r.phone_enc));
      phone = full ? shown : maskPhone(shown);
    }
    return {
      id: r.id,
      name: r.name,
      phone,
      email: r.email,
      attributes: r.attributes,
      tags: r.tag_nums
        .map((t) => tags.get(t))
        .filter((t) => t !== undefined)
        .map((t) => ({ id: t.id, name: t.name, group: t.group_name, color: t.color })),
      identities: identities
        .filter((i) => i.customer_id === r.id)
        .map((i) => ({
          type: i.type,
          // A phone identity is stored as its blind index: show the profile's phone instead.
          value: i.type === "phone" ? (phone ?? "") : i.value,
          ...(i.scope ? { scope: i.scope } : {}),
        })),
      ownerUserIds: r.owner_user_ids,
      lifecycleStage: r.lifecycle_stage,
      source: r.source,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    };
  });
}

/**
 * Row visibility by data scope: unowned customers (the shared pool, 公海) are visible to everyone
 * with customers.read; owned ones to their owners (own), their owners' department (department), or
 * everyone (all).
 */
export async function visibilityFilter(
  scope: Scope,
  auth: AuthContext,
  params: unknown[],
  alias = "c",
): Promise<string> {
  if (auth.dataScope === "all") return "true";
  let owners: string[] = auth.userId ? [auth.userId] : [];
  if (auth.dataScope === "department" && auth.departmentId) {
    const rows = await scope.query<{ id: string }>("select id from users where department_id = $1", [
      auth.departmentId,
    ]);
    owners = [...new Set([...owners, ...rows.map((r) => r.id)])];
  }
  params.push(owners);
  return `(${alias}.owner_user_ids = '{}' or ${alias}.owner_user_ids && $${params.length}::text[])`;
}

export async function assertVisible(scope: Scope, auth: AuthContext, id: string): Promise<CustomerRow> {
  const row = await getRow(scope, id);
  const params: unknown[] = [id];
  const filter = await visibilityFilter(scope, auth, params);
  const ok = await scope.query(`select 1 from customers c where c.id = $1 and ${filter}`, params);
  if (!ok.length) throw notFound("customer");
  return row;
}

import { type Cipher, type CryptoService, readTenantCipher } from "../../../platform/crypto/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { type CustomerInput, type UpsertResult, upsertCustomer, type Writer } from "../customers.service.ts";
import { loadFieldDefs, validateAttributes } from "../fields.ts";
import { suggestMergesFor } from "../merge.service.ts";
import type { AttributeValue } from "../model.ts";
import { type IdentityKey, identityFactData, identityKeys, lockIdentities } from "../resolve.ts";
import { cleanTagName, ensureTags, type TagRow } from "../tags.service.ts";
import { type CustomerFact, recordCustomerEvents } from "../timeline.ts";

/**
 * Fresh planner statistics for the tables bulk writes grow. A bulk writer (import, sync) grows them
 * from nothing; without new statistics the planner keeps plans made for empty tables (hash joins
 * over every identity: the identity lookup went from 4 ms to 180 ms per 100 inputs over a 20,000
 * contact sync). Callers run it outside their write transactions after batches 1, 4, 16, 64… —
 * see `analyzeDue`.
 */
export async function analyzeCustomerTables(platform: Platform): Promise<void> {
  for (const table of ["customers", "customer_identities"]) await platform.db.query(`analyze ${table}`);
}

/** True after batches 1, 4, 16, 64…: statistics stay fresh at a logarithmic cost. */
export const analyzeDue = (batches: number) => batches > 0 && Math.log2(batches) % 2 === 0;

/** The one event of a `publish: "batch"` call (see BulkWriteOptions). */
export const customersUpserted = "customers.upserted";

/**
 * One input normalised for writing: its identity keys, the phone's blind index and ciphertext. Pure
 * computation, so a caller can prepare the next batch outside the write transaction (the import does).
 */
export interface PreparedCustomer {
  input: CustomerInput;
  keys: IdentityKey[];
  /** E.164 phone and lower-case e-mail, or null when the input has none. */
  phone: string | null;
  email: string | null;
  phoneBidx: string | null;
  phoneEnc: string | null;
  /** The tenant cipher `phoneEnc` was made with; the write re-encrypts if the tenant's changed since. */
  cipher: Cipher;
}

/** Normalises one input (throws `validation_failed` on a bad phone, e-mail or identity). */
export function prepareCustomer(
  crypto: CryptoService,
  cipher: Cipher,
  input: CustomerInput,
): PreparedCustomer {
  const { keys, phone, email } = identityKeys(crypto, input);
  // identityKeys puts the phone's key first.
  const phoneBidx = phone ? keys[0]!.value : null;
  return {
    input,
    keys,
    phone,
    email,
    phoneBidx,
    phoneEnc: phone ? crypto.encrypt(phone, { cipher }) : null,
    cipher,
  };
}

export interface BulkWriteOptions {
  /**
   * How the facts reach other modules. `"each"` (default): every timeline fact is also a domain
   * event, as `upsertCustomer` publishes them. `"batch"`: one `customers.upserted` event for the
   * call, naming the customers it changed (tag rules run over exactly those) — for bulk syncs, where
   * one delivery per fact would cost far more than the write itself. `"none"`: the caller publishes
   * its own (the import's `customers.imported`).
   */
  publish?: "each" | "batch" | "none";
  /** Added to the data of `customer.created` and `customer.updated` facts (the import's id). */
  factData?: Record<string, unknown>;
  /**
   * A new customer's tags: one `customer.tag_added` fact each, as `upsertCustomer` writes them
   * (`"events"`, default), or listed in its `customer.created` fact (`"created"`, the import).
   */
  newTags?: "events" | "created";
}

export interface BulkUpsertResult extends UpsertResult {
  /** Whether the call wrote anything about this customer (a created, updated, identity or tag fact). */
  changed: boolean;
  /** Tags this call gave the customer (on the first input of each person only). */
  tagsAdded?: TagRow[];
}

/** Who got which tag in a bulk write, one entry per tag: the `tagsAdded` of a batch event's payload. */
export interface TagsAdded {
  tagId: string;
  tag: string;
  customerIds: string[];
}

/**
 * The tags a bulk write added, grouped by tag, for the one event of a batch (`customers.upserted`,
 * `customers.imported`): reactions to `customer.tag_added` (flow triggers) then see every customer
 * a bulk write tagged without one event per fact.
 */
export function tagsAddedOf(results: readonly BulkUpsertResult[]): TagsAdded[] {
  const byTag = new Map<string, TagsAdded>();
  for (const r of results) {
    for (const t of r.tagsAdded ?? []) {
      const g = byTag.get(t.id) ?? { tagId: t.id, tag: t.name, customerIds: [] };
      byTag.set(t.id, g);
      g.customerIds.push(r.id);
    }
  }
  return [...byTag.values()];
}

/**
 * `upsertCustomer` for many inputs with a fixed number of statements, whatever their count. Each
 * input has the same effect as `upsertCustomer` would: found by any identity (or created), updated
 * with what it brings, tags and identities added, facts on the timeline and as domain events. Inputs
 * of one call that are one person (a shared identity, or identities leading to one existing
 * customer) become one customer: they are folded in order (later values win, tags and identities add
 * up) and written once, so the timeline gets one fact per change rather than one per input. When the
 * identities prove that two existing customers are one person, that person's inputs take the single
 * path (`upsertCustomer`, which merges them) — rare, and a merge is not a bulk operation.
 *
 * Results are in input order; inputs of one person share an id, and only the first of a new person
 * says `created`.
 */
export async function upsertCustomers(
  scope: Scope,
  w: Writer,
  inputs: CustomerInput[],
  options: BulkWriteOptions = {},
): Promise<BulkUpsertResult[]> {
  if (inputs.length === 0) return [];
  if (inputs.some((i) => i.attributes && Object.keys(i.attributes).length)) {
    const defs = await loadFieldDefs(scope);
    for (const i of inputs)
      if (i.attributes && Object.keys(i.attributes).length) validateAttributes(defs, i.attributes);
  }
  const cipher = await readTenantCipher(scope);
  const prepared = inputs.map((i) => prepareCustomer(w.platform.crypto, cipher, i));
  return writeCustomers(scope, w, prepared, options);
}

const keyOf = (k: IdentityKey) => `${k.type}\u0000${k.scope}\u0000${k.value}`;

/** What the inputs of one person add up to. */
interface Folded {
  name?: string;
  phone: string | null;
  phoneBidx: string | null;
  phoneEnc: string | null;
  email: string | null;
  /** null marks an attribute to remove. */
  attributes: Record<string, AttributeValue>;
  tags: string[];
  keys: IdentityKey[];
  ownerUserIds?: string[];
  lifecycleStage?: string | null;
  source: string | null;
}

function fold(rows: PreparedCustomer[]): Folded {
  const m: Folded = {
    phone: null,
    phoneBidx: null,
    phoneEnc: null,
    email: null,
    attributes: {},
    tags: [],
    keys: [],
    source: null,
  };
  const keys = new Map<string, IdentityKey>();
  const tags = new Map<string, string>();
  for (const r of rows) {
    const name = r.input.name?.trim();
    if (name) m.name = name;
    if (r.phone) {
      m.phone = r.phone;
      m.phoneBidx = r.phoneBidx;
      m.phoneEnc = r.phoneEnc;
    }
    if (r.email) m.email = r.email;
    Object.assign(m.attributes, r.input.attributes ?? {});
    for (const t of r.input.tags ?? []) if (!tags.has(t.toLowerCase())) tags.set(t.toLowerCase(), t);
    for (const k of r.keys) keys.set(keyOf(k), k);
    if (r.input.ownerUserIds) m.ownerUserIds = r.input.ownerUserIds;
    if (r.input.lifecycleStage !== undefined) m.lifecycleStage = r.input.lifecycleStage;
    // upsertCustomer sets the source only where there is none yet: the first one stays.
    if (r.input.source && !m.source) m.source = r.input.source;
  }
  m.tags = [...tags.values()];
  m.keys = [...keys.values()];
  return m;
}

/**
 * Writes prepared inputs (see `upsertCustomers`). Identity locks are the ones `upsertCustomer`
 * takes, by bucket and in ascending order, so this and single writes of the same person serialise
 * and never deadlock.
 */
export async function writeCustomers(
  s: Scope,
  w: Writer,
  prepared: PreparedCustomer[],
  options: BulkWriteOptions = {},
): Promise<BulkUpsertResult[]> {
  if (prepared.length === 0) return [];
  const { crypto, events } = w.platform;
  const cause = w.cause;
  const factData = options.factData ?? {};
  const cipher = await readTenantCipher(s);
  for (const r of prepared) {
    if (r.phone && r.cipher !== cipher) {
      r.phoneEnc = crypto.encrypt(r.phone, { cipher });
      r.cipher = cipher;
    }
  }

  // 1. Lock every identity (sorted, so the probes walk the primary key in order), then find their
  //    live owners with one query.
  const allKeys = [...new Map(prepared.flatMap((p) => p.keys).map((k) => [keyOf(k), k])).entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((e) => e[1]);
  await lockIdentities(s, allKeys);
  const owners = new Map<string, string>();
  if (allKeys.length) {
    const found = await s.query<{ type: string; scope: string; value: string; customer_id: string }>(
      // A join on the primary key (tenant_id leading), so each key is one index probe whatever the
      // table size (an IN over unnest planned a hash join over every identity of the tenant).
      `select k.t as type, k.s as scope, k.v as value, i.customer_id
         from unnest($1::text[], $2::text[], $3::text[]) as k(t, s, v)
         join customer_identities i on i.tenant_id = $4 and i.type = k.t and i.scope = k.s and i.value = k.v
         join customers c on c.id = i.customer_id and c.merged_into is null and c.deleted_at is null`,
      [allKeys.map((k) => k.type), allKeys.map((k) => k.scope), allKeys.map((k) => k.value), s.tenantId],
    );
    for (const f of found) owners.set(keyOf(f), f.customer_id);
  }

  // 2. Group inputs that are one person: sharing an identity, or leading to the same existing
  //    customer (union-find over inputs, keys and customers).
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    let cur = x;
    while (cur !== root) {
      const next = parent.get(cur)!;
      parent.set(cur, root);
      cur = next;
    }
    if (!parent.has(root)) parent.set(root, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  prepared.forEach((p, i) => {
    find(`r${i}`);
    for (const k of p.keys) {
      const kk = `k${keyOf(k)}`;
      union(`r${i}`, kk);
      const owner = owners.get(keyOf(k));
      if (owner) union(kk, `c${owner}`);
    }
  });
  const groups = new Map<string, { rows: number[]; customers: Set<string> }>();
  prepared.forEach((p, i) => {
    const root = find(`r${i}`);
    let g = groups.get(root);
    if (!g) {
      g = { rows: [], customers: new Set() };
      groups.set(root, g);
    }
    g.rows.push(i);
    for (const k of p.keys) {
      const owner = owners.get(keyOf(k));
      if (owner) g.customers.add(owner);
    }
  });

  // 3. Tags of every input at once.
  const tagNames = [...new Set(prepared.flatMap((p) => p.input.tags ?? []))];
  const tagRows = tagNames.length ? await ensureTags(s, tagNames) : [];
  const tagByName = new Map(tagRows.map((t) => [t.name.toLowerCase(), t]));
  const tagsOf = (names: string[]): TagRow[] => [
    ...new Map(
      names
        .map((n) => tagByName.get(cleanTagName(n).toLowerCase()))
        .filter((t): t is TagRow => t !== undefined)
        .map((t) => [t.num, t]),
    ).values(),
  ];

  const results: BulkUpsertResult[] = new Array(prepared.length);
  const fresh: Array<{ id: string; m: Folded; rows: number[] }> = [];
  const existing: Array<{ id: string; m: Folded; rows: number[] }> = [];
  for (const g of groups.values()) {
    if (g.customers.size >= 2) {
      // The identities prove two profiles are one person: the single path merges them.
      for (const i of g.rows) {
        const p = prepared[i]!;
        const r = await upsertCustomer(s, w, {
          ...p.input,
          phone: p.phone ?? undefined,
          email: p.email ?? undefined,
        });
        results[i] = { ...r, changed: true };
      }
      continue;
    }
    const m = fold(g.rows.map((i) => prepared[i]!));
    const [target] = g.customers;
    if (target) {
      existing.push({ id: target, m, rows: g.rows });
      for (const i of g.rows) results[i] = { id: target, created: false, merged: [], changed: false };
    } else {
      const id = newId("cus");
      fresh.push({ id, m, rows: g.rows });
      g.rows.forEach((i, n) => {
        results[i] = { id, created: n === 0, merged: [], changed: true };
      });
    }
  }

  const created: CustomerFact[] = [];
  const updated: CustomerFact[] = [];
  const identityFacts: CustomerFact[] = [];
  const tagFacts: CustomerFact[] = [];
  const tagFact = (customerId: string, t: TagRow): CustomerFact => ({
    customerId,
    type: "customer.tag_added",
    data: { tagId: t.id, tag: t.name, cause },
  });

  // 4. New customers, with one insert.
  if (fresh.length) {
    const withoutNulls = (a: Record<string, AttributeValue>) =>
      Object.fromEntries(Object.entries(a).filter(([, v]) => v !== null));
    await s.query(
      `insert into customers (id, tenant_id, name, phone_enc, phone_bidx, email, attributes, tag_nums, owner_user_ids,
         lifecycle_stage, source)
       select x.id, $1, x.name, x.phone_enc, x.phone_bidx, x.email, x.attributes::jsonb, x.tag_nums::int4[],
              x.owners::text[], x.stage, x.source
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::text[], $11::text[])
           as x(id, name, phone_enc, phone_bidx, email, attributes, tag_nums, owners, stage, source)`,
      [
        s.tenantId,
        fresh.map((f) => f.id),
        fresh.map((f) => f.m.name ?? ""),
        fresh.map((f) => f.m.phoneEnc),
        fresh.map((f) => f.m.phoneBidx),
        fresh.map((f) => f.m.email),
        fresh.map((f) => JSON.stringify(withoutNulls(f.m.attributes))),
        fresh.map(
          (f) =>
            `{${tagsOf(f.m.tags)
              .map((t) => t.num)
              .join(",")}}`,
        ),
        fresh.map((f) => pgTextArray([...new Set(f.m.ownerUserIds ?? w.defaultOwners ?? [])])),
        fresh.map((f) => f.m.lifecycleStage ?? null),
        fresh.map((f) => f.m.source),
      ],
    );
    for (const f of fresh) {
      const tags = tagsOf(f.m.tags);
      if (tags.length) results[f.rows[0]!]!.tagsAdded = tags;
      const listTags = options.newTags === "created" && f.m.tags.length;
      created.push({
        customerId: f.id,
        type: "customer.created",
        data: { cause, source: f.m.source, ...factData, ...(listTags ? { tags: f.m.tags } : {}) },
      });
      if (options.newTags !== "created") for (const t of tags) tagFacts.push(tagFact(f.id, t));
    }
  }

  // 5. Existing customers: read them locked (in id order: concurrent writers never deadlock on
  //    them), apply what their inputs bring as applyChanges does, write back with one update.
  if (existing.length) {
    const current = await s.query<{
      id: string;
      name: string;
      phone_bidx: string | null;
      email: string | null;
      attributes: Record<string, AttributeValue>;
      tag_nums: number[];
      owner_user_ids: string[];
      lifecycle_stage: string | null;
      source: string | null;
    }>(
      `select id, name, phone_bidx, email, attributes, tag_nums, owner_user_ids, lifecycle_stage, source
         from customers where id = any($1::text[]) order by id for update`,
      [existing.map((e) => e.id)],
    );
    const byId = new Map(current.map((c) => [c.id, c]));
    const upd: Array<{
      id: string;
      name: string;
      phoneEnc: string | null;
      phoneBidx: string | null;
      email: string | null;
      attributes: string;
      tags: number[];
      owners: string[];
      stage: string | null;
      source: string | null;
      keepPhone: boolean;
    }> = [];
    for (const e of existing) {
      const row = byId.get(e.id);
      if (!row) continue;
      const changed: string[] = [];
      let name = row.name;
      if (e.m.name && e.m.name !== row.name) {
        name = e.m.name;
        changed.push("name");
      }
      let phoneEnc: string | null = null;
      let phoneBidx = row.phone_bidx;
      if (e.m.phone && e.m.phoneBidx !== row.phone_bidx) {
        phoneBidx = e.m.phoneBidx;
        phoneEnc = e.m.phoneEnc;
        changed.push("phone");
      }
      let email = row.email;
      if (e.m.email && e.m.email !== row.email) {
        email = e.m.email;
        changed.push("email");
      }
      const attrs = { ...row.attributes };
      for (const [k, v] of Object.entries(e.m.attributes)) {
        if (v === null) delete attrs[k];
        else attrs[k] = v;
      }
      if (JSON.stringify(attrs) !== JSON.stringify(row.attributes)) changed.push("attributes");
      let owners = row.owner_user_ids;
      if (e.m.ownerUserIds && e.m.ownerUserIds.join() !== row.owner_user_ids.join()) {
        owners = [...new Set(e.m.ownerUserIds)];
        changed.push("owners");
      }
      let stage = row.lifecycle_stage;
      if (e.m.lifecycleStage !== undefined && e.m.lifecycleStage !== row.lifecycle_stage) {
        stage = e.m.lifecycleStage;
        changed.push("lifecycleStage");
      }
      let source = row.source;
      if (e.m.source && !row.source) {
        source = e.m.source;
        changed.push("source");
      }
      const have = new Set(row.tag_nums);
      const newTags = tagsOf(e.m.tags).filter((t) => !have.has(t.num));
      if (!changed.length && !newTags.length) continue;
      upd.push({
        id: e.id,
        name,
        phoneEnc,
        phoneBidx,
        email,
        attributes: JSON.stringify(attrs),
        tags: [...row.tag_nums, ...newTags.map((t) => t.num)],
        owners,
        stage,
        source,
        keepPhone: phoneEnc === null,
      });
      if (changed.length)
        updated.push({
          customerId: e.id,
          type: "customer.updated",
          data: { fields: changed, cause, ...factData },
        });
      for (const t of newTags) tagFacts.push(tagFact(e.id, t));
      if (newTags.length) results[e.rows[0]!]!.tagsAdded = newTags;
      for (const i of e.rows) results[i]!.changed = true;
    }
    if (upd.length) {
      await s.query(
        `update customers c set name = u.name,
                phone_enc = case when u.keep then c.phone_enc else u.phone_enc end,
                phone_bidx = case when u.keep then c.phone_bidx else u.phone_bidx end,
                email = u.email, attributes = u.attributes::jsonb, tag_nums = u.tag_nums::int4[],
                owner_user_ids = u.owners::text[], lifecycle_stage = u.stage, source = u.source, updated_at = now()
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::boolean[], $9::text[], $10::text[], $11::text[])
             as u(id, name, phone_enc, phone_bidx, email, attributes, tag_nums, keep, owners, stage, source)
          where c.id = u.id`,
        [
          upd.map((u) => u.id),
          upd.map((u) => u.name),
          upd.map((u) => u.phoneEnc),
          upd.map((u) => u.phoneBidx),
          upd.map((u) => u.email),
          upd.map((u) => u.attributes),
          upd.map((u) => `{${u.tags.join(",")}}`),
          upd.map((u) => u.keepPhone),
          upd.map((u) => pgTextArray(u.owners)),
          upd.map((u) => u.stage),
          upd.map((u) => u.source),
        ],
      );
    }
  }

  // 6. Identities of new and matched customers, with one insert (in key order, so the index
  //    insertions walk the primary key in order). A new customer's phone and e-mail are part of
  //    its creation, not facts of their own (as upsertCustomer).
  const idRows = [...fresh, ...existing]
    .flatMap((f) => f.m.keys.map((k) => ({ id: f.id, k, key: keyOf(k) })))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (idRows.length) {
    const added = await s.query<{ customer_id: string; type: string; scope: string; value: string }>(
      `insert into customer_identities (tenant_id, customer_id, type, scope, value)
       select $1, c, t, sc, v from unnest($2::text[], $3::text[], $4::text[], $5::text[]) as x(c, t, sc, v)
       on conflict do nothing returning customer_id, type, scope, value`,
      [
        s.tenantId,
        idRows.map((r) => r.id),
        idRows.map((r) => r.k.type),
        idRows.map((r) => r.k.scope),
        idRows.map((r) => r.k.value),
      ],
    );
    const addedKeys = new Set(added.map((a) => `${a.customer_id}\u0000${keyOf(a)}`));
    // Facts in each customer's key order, as upsertCustomer writes them.
    const isNew = new Set(fresh.map((f) => f.id));
    for (const f of [...fresh, ...existing]) {
      for (const k of f.m.keys) {
        if (!addedKeys.has(`${f.id}\u0000${keyOf(k)}`)) continue;
        if (isNew.has(f.id) && (k.type === "phone" || k.type === "email")) continue;
        identityFacts.push({
          customerId: f.id,
          type: "customer.identity_added",
          data: { ...identityFactData(k), cause },
        });
        for (const i of f.rows) results[i]!.changed = true;
      }
    }
  }

  // 7. Weak matches (same name and city, same name and company e-mail domain) of the new customers
  //    go to the review queue, as for one created alone: one query for all of them.
  if (fresh.length)
    await suggestMergesFor(
      s,
      fresh.map((f) => f.id),
    );

  // 8. The facts, in the order upsertCustomer writes them for one customer.
  const facts = [...created, ...updated, ...identityFacts, ...tagFacts];
  const mode = options.publish ?? "each";
  await recordCustomerEvents(s, events, facts, { publish: mode === "each" });
  if (mode === "batch") {
    const customerIds = [...new Set(results.filter((r) => r.changed).map((r) => r.id))];
    if (customerIds.length) {
      await events.publish(s, {
        type: customersUpserted,
        aggregateType: "customers",
        aggregateId: newId("cub"),
        payload: {
          customerIds,
          cause,
          created: created.length,
          facts: facts.length,
          // Not one event per fact, so who got which tag rides along (flow tag triggers).
          tagsAdded: tagsAddedOf(results),
        },
      });
    }
  }
  return results;
}

/** A PostgreSQL text[] literal (elements quoted, so commas and braces in values are safe). */
function pgTextArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\0/g, "").replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
}

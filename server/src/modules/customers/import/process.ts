import { type Cipher, readTenantCipher } from "../../../platform/crypto/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { type CustomerInput, upsertCustomer, type Writer } from "../customers.service.ts";
import { loadFieldDefs } from "../fields.ts";
import { suggestMergesFor } from "../merge.service.ts";
import type { AttributeValue } from "../model.ts";
import { type IdentityKey, identityKeys, lockIdentities } from "../resolve.ts";
import { ensureTags } from "../tags.service.ts";
import { compileMapping, type Mapping, type RowInput } from "./mapping.ts";

/**
 * Tuning and test hooks. 1,000 rows per batch keeps the identity locks of one transaction (~2 per
 * row) well inside PostgreSQL's shared lock table (64 × max_connections by default).
 */
export const importTuning: {
  batchSize: number;
  /** Test hook: runs after each committed batch (throw to simulate a crash). */
  afterBatch?: (importId: string, batch: number) => void | Promise<void>;
} = { batchSize: 5000 };

interface ImportRow {
  status: string;
  columns: string[];
  mapping: Mapping | null;
  last_line: number;
}

/**
 * Processes a started import batch by batch from its checkpoint until done. Each batch, its
 * checkpoint and its counters commit in one transaction, so a crash loses at most the batch in
 * flight and a restart redoes exactly that batch. Returns true when the import is finished.
 *
 * Pipelined: while batch N's write transaction runs, batch N+1 is read (a separate short
 * transaction) and prepared in JS (mapping, normalisation, blind indexes, ciphertexts). The write
 * transaction locks the import row and checks that the checkpoint is still the one the batch was
 * prepared after; if another worker moved it, the prepared batch is discarded and prepared again.
 */
export async function processImport(
  platform: Platform,
  tenantId: string,
  importId: string,
  options: { maxBatches?: number } = {},
): Promise<boolean> {
  const cleanup = { upTo: 0 };
  const prepare = (from: number | null) => {
    const p = prepareBatch(platform, tenantId, importId, from, cleanup);
    // Handled where it is awaited; this only keeps a failure while a write runs from being "unhandled".
    p.catch(() => undefined);
    return p;
  };
  let next: Promise<Prepared> | null = prepare(null);
  try {
    for (let n = 0; ; ) {
      if (options.maxBatches !== undefined && n >= options.maxBatches) return false;
      const p: Prepared = await next!;
      next = null;
      if (p.status !== "running") break;
      const last = p.lastLine;
      if (last !== null && (options.maxBatches === undefined || n + 1 < options.maxBatches))
        next = prepare(last);
      const outcome = await platform.db.tenant(tenantId, (s) => writeBatch(s, platform, importId, p));
      if (outcome === "finished") break;
      if (outcome === "stale") {
        // Another worker moved the checkpoint: what was prepared after ours is stale too.
        if (next) await next.catch(() => undefined);
        next = prepare(null);
        continue;
      }
      n++;
      // A bulk import grows the tables from nothing; without fresh statistics the planner keeps
      // plans made for empty tables (hash joins over every identity). Re-analyse at 1, 4, 16, 64… batches.
      if (Math.log2(n) % 2 === 0) {
        for (const table of ["customers", "customer_identities"]) await platform.db.query(`analyze ${table}`);
      }
      await importTuning.afterBatch?.(importId, n);
      next ??= prepare(null);
    }
  } finally {
    // Never leave a read transaction running behind the caller's back.
    if (next) await next.catch(() => undefined);
  }
  // Staged rows are no longer needed (failed rows keep their cells in import_errors).
  for (;;) {
    const gone = await platform.db.tenant(tenantId, (s) =>
      s.query(
        `delete from import_rows where import_id = $1 and line_no in
           (select line_no from import_rows where import_id = $1 order by line_no limit 20000) returning 1`,
        [importId],
      ),
    );
    if (gone.length < 20000) break;
  }
  return true;
}

export async function markFailed(platform: Platform, tenantId: string, importId: string, message: string) {
  await platform.db.tenant(tenantId, (s) =>
    s.query(
      `update imports set status = 'failed', error = $2, finished_at = now(), updated_at = now()
        where id = $1 and status = 'running'`,
      [importId, message.slice(0, 500)],
    ),
  );
}

interface Parsed {
  line: number;
  input: RowInput;
  keys: IdentityKey[];
  phone: string | null;
  email: string | null;
  /** The phone's blind index and ciphertext (computed while the previous batch is written). */
  phoneBidx: string | null;
  phoneEnc: string | null;
}

/** A batch read and normalised ahead of its write transaction. */
interface Prepared {
  status: string;
  /** The checkpoint this batch follows; the write applies it only if the checkpoint is still this. */
  from: number;
  /** Last staged line of the batch; null when no rows are left. */
  lastLine: number | null;
  firstLine: number;
  rowCount: number;
  parsed: Parsed[];
  errors: Array<{ line: number; message: string; cells: string[] }>;
  cipher: Cipher;
}

const keyOf = (k: IdentityKey) => `${k.type}\u0000${k.scope}\u0000${k.value}`;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads the batch after `from` (or after the committed checkpoint) in a short transaction, then
 * maps and normalises it outside any transaction. Also drops staged rows the committed checkpoint
 * has passed, off the write path.
 */
async function prepareBatch(
  platform: Platform,
  tenantId: string,
  importId: string,
  from: number | null,
  cleanup: { upTo: number },
): Promise<Prepared> {
  const read = await platform.db.tenant(tenantId, async (s) => {
    const [imp] = await s.query<ImportRow>(
      "select status, columns, mapping, last_line from imports where id = $1",
      [importId],
    );
    if (imp?.status !== "running") return { imp: imp ?? null, start: 0, rows: [] };
    if (imp.last_line > cleanup.upTo) {
      await s.query("delete from import_rows where import_id = $1 and line_no > $2 and line_no <= $3", [
        importId,
        cleanup.upTo,
        imp.last_line,
      ]);
      cleanup.upTo = imp.last_line;
    }
    const start = from ?? imp.last_line;
    const rows = await s.query<{ line_no: number; cells: string[] }>(
      "select line_no, cells from import_rows where import_id = $1 and line_no > $2 order by line_no limit $3",
      [importId, start, importTuning.batchSize],
    );
    if (rows.length === 0) return { imp, start, rows };
    return { imp, start, rows, defs: await loadFieldDefs(s), cipher: await readTenantCipher(s) };
  });
  const { imp, start, rows } = read;
  const prepared: Prepared = {
    status: imp?.status ?? "missing",
    from: start,
    lastLine: rows.at(-1)?.line_no ?? null,
    firstLine: rows[0]?.line_no ?? 0,
    rowCount: rows.length,
    parsed: [],
    errors: [],
    cipher: read.cipher ?? "aes-256-gcm",
  };
  if (!imp || !read.defs || rows.length === 0) return prepared;
  const { crypto } = platform;
  const toInput = compileMapping(imp.columns, imp.mapping ?? {}, read.defs);
  // Normalise in JS; bad rows become error lines. Yield now and then so the write transaction of
  // the previous batch is not kept waiting on this loop.
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (i % 500 === 499) await yieldToLoop();
    try {
      const input = toInput(r.cells);
      const { keys, phone, email } = identityKeys(crypto, input);
      if (!keys.length && !input.name)
        throw new Error("nothing to import: the row has no name, phone, e-mail or identity");
      // identityKeys puts the phone's key first.
      const phoneBidx = phone ? keys[0]!.value : null;
      const phoneEnc = phone ? crypto.encrypt(phone, { cipher: prepared.cipher }) : null;
      prepared.parsed.push({ line: r.line_no, input, keys, phone, email, phoneBidx, phoneEnc });
    } catch (err) {
      prepared.errors.push({ line: r.line_no, message: (err as Error).message, cells: r.cells });
    }
  }
  return prepared;
}

async function writeBatch(
  s: Scope,
  platform: Platform,
  importId: string,
  batch: Prepared,
): Promise<"written" | "finished" | "stale"> {
  const [imp] = await s.query<{
    status: string;
    last_line: number;
    default_owners: string[];
    created_by: string | null;
  }>("select status, last_line, default_owners, created_by from imports where id = $1 for update", [
    importId,
  ]);
  if (imp?.status !== "running") return "finished";
  if (imp.last_line !== batch.from) return "stale";
  if (batch.lastLine === null) {
    await s.query(
      "update imports set status = 'completed', finished_at = now(), updated_at = now() where id = $1",
      [importId],
    );
    return "finished";
  }
  const { crypto } = platform;
  const cipher = await readTenantCipher(s);
  const { parsed, errors } = batch;
  if (cipher !== batch.cipher) {
    for (const r of parsed) if (r.phone) r.phoneEnc = crypto.encrypt(r.phone, { cipher });
  }

  // 2. Lock every identity of the batch (same lock names as upsertCustomer, sorted: no deadlock),
  //    then find their owners with one query.
  //    Sorted, so the probes walk the primary key in order.
  const allKeys = [...new Map(parsed.flatMap((p) => p.keys).map((k) => [keyOf(k), k])).entries()]
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

  // 3. Group rows that are one person: rows sharing an identity, and rows whose identities lead to
  //    the same existing customer (union-find over rows, keys and customers).
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
  parsed.forEach((p, i) => {
    find(`r${i}`);
    for (const k of p.keys) {
      const kk = `k${keyOf(k)}`;
      union(`r${i}`, kk);
      const owner = owners.get(keyOf(k));
      if (owner) union(kk, `c${owner}`);
    }
  });
  const groups = new Map<string, { rows: Parsed[]; customers: Set<string> }>();
  parsed.forEach((p, i) => {
    const root = find(`r${i}`);
    let g = groups.get(root);
    if (!g) {
      g = { rows: [], customers: new Set() };
      groups.set(root, g);
    }
    g.rows.push(p);
    for (const k of p.keys) {
      const owner = owners.get(keyOf(k));
      if (owner) g.customers.add(owner);
    }
  });

  // 4. Tags of the whole batch at once.
  const tagNames = [...new Set(parsed.flatMap((p) => p.input.tags))];
  const tagRows = tagNames.length ? await ensureTags(s, tagNames) : [];
  const tagByName = new Map(tagRows.map((t) => [t.name.toLowerCase(), t]));
  const tagNumsOf = (names: string[]) => [
    ...new Set(
      names.map((n) => tagByName.get(n.toLowerCase())?.num).filter((t): t is number => t !== undefined),
    ),
  ];

  const writer: Writer = {
    platform,
    actor: { userId: imp.created_by },
    cause: "import",
    defaultOwners: imp.default_owners,
  };
  let created = 0;
  let updated = 0;
  const fresh: Array<{ id: string; m: Merged }> = [];
  const existing: Array<{ id: string; m: Merged }> = [];
  const timeline: Array<[string, string, Record<string, unknown>]> = [];

  for (const g of groups.values()) {
    if (g.customers.size >= 2) {
      // The identities prove two profiles are one person: the full path merges them.
      for (const p of g.rows) {
        const input: CustomerInput = {
          ...(p.input.name ? { name: p.input.name } : {}),
          phone: p.phone,
          email: p.email,
          attributes: p.input.attributes,
          tags: p.input.tags,
          identities: p.input.identities,
          source: "import",
        };
        const r = await upsertCustomer(s, writer, input);
        if (r.created) created++;
        else updated++;
      }
      continue;
    }
    const m = mergeRows(g.rows);
    const [target] = g.customers;
    if (target) {
      existing.push({ id: target, m });
      updated += g.rows.length;
    } else {
      fresh.push({ id: newId("cus"), m });
      created++;
      updated += g.rows.length - 1;
    }
  }

  // 5. New customers, with one insert.
  if (fresh.length) {
    await s.query(
      `insert into customers (id, tenant_id, name, phone_enc, phone_bidx, email, attributes, tag_nums, owner_user_ids, source)
       select x.id, $1, x.name, x.phone_enc, x.phone_bidx, x.email, x.attributes::jsonb, x.tag_nums::int4[], $9::text[], 'import'
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           as x(id, name, phone_enc, phone_bidx, email, attributes, tag_nums)`,
      [
        s.tenantId,
        fresh.map((f) => f.id),
        fresh.map((f) => f.m.name ?? ""),
        fresh.map((f) => f.m.phoneEnc),
        fresh.map((f) => f.m.phoneBidx),
        fresh.map((f) => f.m.email),
        fresh.map((f) => JSON.stringify(f.m.attributes)),
        fresh.map((f) => `{${tagNumsOf(f.m.tags).join(",")}}`),
        imp.default_owners,
      ],
    );
    for (const f of fresh) {
      timeline.push([
        f.id,
        "customer.created",
        { cause: "import", source: "import", importId, ...(f.m.tags.length ? { tags: f.m.tags } : {}) },
      ]);
    }
  }

  // 6. Existing customers: read them locked, apply the rows, write back with one update.
  if (existing.length) {
    const current = await s.query<{
      id: string;
      name: string;
      phone_bidx: string | null;
      email: string | null;
      attributes: Record<string, AttributeValue>;
      tag_nums: number[];
    }>(
      "select id, name, phone_bidx, email, attributes, tag_nums from customers where id = any($1::text[]) for update",
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
      if (e.m.phone) {
        const bidx = e.m.phoneBidx;
        if (bidx !== row.phone_bidx) {
          phoneBidx = bidx;
          phoneEnc = e.m.phoneEnc;
          changed.push("phone");
        }
      }
      let email = row.email;
      if (e.m.email && e.m.email !== row.email) {
        email = e.m.email;
        changed.push("email");
      }
      const attrs = { ...row.attributes, ...e.m.attributes };
      if (JSON.stringify(attrs) !== JSON.stringify(row.attributes)) changed.push("attributes");
      const have = new Set(row.tag_nums);
      const newTags = tagNumsOf(e.m.tags).filter((t) => !have.has(t));
      if (!changed.length && !newTags.length) continue;
      upd.push({
        id: e.id,
        name,
        phoneEnc,
        phoneBidx,
        email,
        attributes: JSON.stringify(attrs),
        tags: [...row.tag_nums, ...newTags],
        keepPhone: phoneEnc === null,
      });
      if (changed.length)
        timeline.push([e.id, "customer.updated", { fields: changed, cause: "import", importId }]);
      for (const t of newTags) {
        const tag = tagRows.find((r) => r.num === t);
        if (tag)
          timeline.push([e.id, "customer.tag_added", { tagId: tag.id, tag: tag.name, cause: "import" }]);
      }
    }
    if (upd.length) {
      await s.query(
        `update customers c set name = u.name,
                phone_enc = case when u.keep then c.phone_enc else u.phone_enc end,
                phone_bidx = case when u.keep then c.phone_bidx else u.phone_bidx end,
                email = u.email, attributes = u.attributes::jsonb, tag_nums = u.tag_nums::int4[], updated_at = now()
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[])
             as u(id, name, phone_enc, phone_bidx, email, attributes, tag_nums, keep)
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
        ],
      );
    }
  }

  // 7. Identities of new and matched customers, with one insert.
  //    In key order, so the index insertions walk the primary key in order.
  const idRows = [...fresh, ...existing]
    .flatMap((f) => f.m.keys.map((k) => ({ id: f.id, k, key: keyOf(k) })))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (idRows.length) {
    const added = await s.query<{ customer_id: string; type: string }>(
      `insert into customer_identities (tenant_id, customer_id, type, scope, value)
       select $1, c, t, sc, v from unnest($2::text[], $3::text[], $4::text[], $5::text[]) as x(c, t, sc, v)
       on conflict do nothing returning customer_id, type`,
      [
        s.tenantId,
        idRows.map((r) => r.id),
        idRows.map((r) => r.k.type),
        idRows.map((r) => r.k.scope),
        idRows.map((r) => r.k.value),
      ],
    );
    const isNew = new Set(fresh.map((f) => f.id));
    for (const a of added) {
      if (!isNew.has(a.customer_id) || (a.type !== "phone" && a.type !== "email"))
        timeline.push([a.customer_id, "customer.identity_added", { type: a.type, cause: "import" }]);
    }
  }

  // 8. Weak matches (same name and city, same name and company e-mail domain) of the customers this
  //    batch created go to the review queue, as they do for one created through the API: one query
  //    for the batch, against everyone already there (this batch included).
  if (fresh.length)
    await suggestMergesFor(
      s,
      fresh.map((f) => f.id),
    );

  // 9. Timeline rows in bulk; one domain event for the batch instead of one per row.
  if (timeline.length) {
    await s.query(
      `insert into customer_events (tenant_id, customer_id, type, data)
       select $1, c, t, d::jsonb from unnest($2::text[], $3::text[], $4::text[]) as x(c, t, d)`,
      [
        s.tenantId,
        timeline.map((e) => e[0]),
        timeline.map((e) => e[1]),
        timeline.map((e) => JSON.stringify(e[2])),
      ],
    );
  }
  if (errors.length) {
    await s.query(
      `insert into import_errors (tenant_id, import_id, line_no, message, cells)
       select $1, $2, l, m, c::text[] from unnest($3::int[], $4::text[], $5::text[]) as x(l, m, c)
       on conflict do nothing`,
      [
        s.tenantId,
        importId,
        errors.map((e) => e.line),
        errors.map((e) => e.message.slice(0, 500)),
        errors.map(
          (e) => `{${e.cells.map((c) => `"${c.replace(/\0/g, "").replace(/[\\"]/g, "\\$&")}"`).join(",")}}`,
        ),
      ],
    );
  }
  const lastLine = batch.lastLine;
  await platform.events.publish(s, {
    type: "customers.imported",
    aggregateType: "import",
    aggregateId: importId,
    payload: {
      importId,
      // Who the batch created or changed, so reactions (tag rules) can run on exactly them.
      customerIds: [...new Set(timeline.map((t) => t[0]))],
      created,
      updated,
      failed: errors.length,
      fromLine: batch.firstLine,
      toLine: lastLine,
    },
  });
  await s.query(
    `update imports set last_line = $2, rows_done = rows_done + $3, created = created + $4,
            updated = updated + $5, failed = failed + $6, updated_at = now() where id = $1`,
    [importId, lastLine, batch.rowCount, created, updated, errors.length],
  );
  return "written";
}

interface Merged {
  name?: string;
  phone: string | null;
  phoneBidx: string | null;
  phoneEnc: string | null;
  email: string | null;
  attributes: Record<string, AttributeValue>;
  tags: string[];
  keys: IdentityKey[];
}

/** Rows of one person in file order: later values win, tags and identities add up. */
function mergeRows(rows: Parsed[]): Merged {
  const m: Merged = {
    phone: null,
    phoneBidx: null,
    phoneEnc: null,
    email: null,
    attributes: {},
    tags: [],
    keys: [],
  };
  const keys = new Map<string, IdentityKey>();
  const tags = new Map<string, string>();
  for (const r of rows) {
    if (r.input.name) m.name = r.input.name;
    if (r.phone) {
      m.phone = r.phone;
      m.phoneBidx = r.phoneBidx;
      m.phoneEnc = r.phoneEnc;
    }
    if (r.email) m.email = r.email;
    Object.assign(m.attributes, r.input.attributes);
    for (const t of r.input.tags) if (!tags.has(t.toLowerCase())) tags.set(t.toLowerCase(), t);
    for (const k of r.keys) keys.set(keyOf(k), k);
  }
  m.tags = [...tags.values()];
  m.keys = [...keys.values()];
  return m;
}

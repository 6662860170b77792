import { type Cipher, readTenantCipher } from "../../../platform/crypto/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import type { CustomerInput, Writer } from "../customers.service.ts";
import { loadFieldDefs } from "../fields.ts";
import {
  analyzeCustomerTables,
  analyzeDue,
  type PreparedCustomer,
  prepareCustomer,
  tagsAddedOf,
  writeCustomers,
} from "../ops/upsert-customers.ts";
import { compileMapping, type Mapping } from "./mapping.ts";

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
      if (analyzeDue(n)) await analyzeCustomerTables(platform);
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

/** A batch read and normalised ahead of its write transaction. */
interface Prepared {
  status: string;
  /** The checkpoint this batch follows; the write applies it only if the checkpoint is still this. */
  from: number;
  /** Last staged line of the batch; null when no rows are left. */
  lastLine: number | null;
  firstLine: number;
  rowCount: number;
  parsed: PreparedCustomer[];
  errors: Array<{ line: number; message: string; cells: string[] }>;
  cipher: Cipher;
}

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
      const row = toInput(r.cells);
      const input: CustomerInput = {
        ...(row.name ? { name: row.name } : {}),
        ...(row.phone ? { phone: row.phone } : {}),
        ...(row.email ? { email: row.email } : {}),
        attributes: row.attributes,
        tags: row.tags,
        identities: row.identities,
        source: "import",
      };
      const p = prepareCustomer(crypto, prepared.cipher, input);
      if (!p.keys.length && !row.name)
        throw new Error("nothing to import: the row has no name, phone, e-mail or identity");
      prepared.parsed.push(p);
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
  const { parsed, errors } = batch;
  const writer: Writer = {
    platform,
    actor: { userId: imp.created_by },
    cause: "import",
    defaultOwners: imp.default_owners,
  };
  // The set-based writer of the customers module; the import publishes one event per batch (below)
  // instead of one per fact, and lists a new customer's tags in its `customer.created` fact.
  const results = await writeCustomers(s, writer, parsed, {
    publish: "none",
    factData: { importId },
    newTags: "created",
  });
  const created = results.filter((r) => r.created).length;
  const updated = results.length - created;
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
      customerIds: [...new Set(results.filter((r) => r.changed).map((r) => r.id))],
      // No fact is published one by one: who got which tag, for reactions to tags (flow triggers).
      tagsAdded: tagsAddedOf(results),
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

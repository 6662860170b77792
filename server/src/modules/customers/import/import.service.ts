import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError, notFound } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { type Mapping, validateMapping } from "./mapping.ts";
import { markFailed, processImport } from "./process.ts";

export const importJobName = "customers.import";
const attempts = 10;

export interface ImportJobData {
  tenantId: string;
  importId: string;
}

export type ImportStatus = "uploaded" | "running" | "completed" | "failed";

interface Row {
  id: string;
  status: ImportStatus;
  encoding: string;
  columns: string[];
  sample: string[][];
  mapping: Mapping | null;
  rows_total: number;
  rows_done: number;
  created: number;
  updated: number;
  failed: number;
  error: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const columns =
  "id, status, encoding, columns, sample, mapping, rows_total, rows_done, created, updated, failed, error, created_by, created_at, updated_at, started_at, finished_at";

export function toImportDto(r: Row) {
  return {
    id: r.id,
    status: r.status,
    encoding: r.encoding,
    columns: r.columns,
    sample: r.sample,
    mapping: r.mapping,
    rowsTotal: r.rows_total,
    rowsDone: r.rows_done,
    created: r.created,
    updated: r.updated,
    failed: r.failed,
    error: r.error,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}
export type ImportDto = ReturnType<typeof toImportDto>;

export async function getImport(scope: Scope, id: string): Promise<ImportDto> {
  const [row] = await scope.query<Row>(
    `select ${columns} from imports where id = $1 and status <> 'uploading'`,
    [id],
  );
  if (!row) throw notFound("import");
  return toImportDto(row);
}

export async function listImports(scope: Scope, q: { limit: number; cursor?: string }) {
  const params: unknown[] = [q.limit + 1];
  let where = "status <> 'uploading'";
  if (q.cursor) {
    params.push(q.cursor);
    where += ` and id < $${params.length}`;
  }
  const rows = await scope.query<Row>(
    `select ${columns} from imports where ${where} order by id desc limit $1`,
    params,
  );
  const page = rows.slice(0, q.limit).map(toImportDto);
  return { items: page, nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
}

export async function setMapping(scope: Scope, id: string, mapping: Mapping): Promise<ImportDto> {
  const imp = await getImport(scope, id);
  if (imp.status !== "uploaded") throw new AppError("conflict", `the import is already ${imp.status}`);
  await validateMapping(scope, imp.columns, mapping);
  // Columns left out are skipped.
  const full = Object.fromEntries(imp.columns.map((c) => [c, mapping[c] ?? "skip"]));
  await scope.query("update imports set mapping = $2, updated_at = now() where id = $1", [
    id,
    JSON.stringify(full),
  ]);
  return getImport(scope, id);
}

/** Marks the import running (idempotent while it runs) and audits it; the caller sends the job. */
export async function markStarted(scope: Scope, platform: Platform, actor: Actor, id: string) {
  const imp = await getImport(scope, id);
  if (imp.status !== "uploaded" && imp.status !== "running")
    throw new AppError("conflict", `the import is already ${imp.status}`);
  if (!imp.mapping) throw new AppError("conflict", "set the column mapping first (PUT /api/imports/:id)");
  if (imp.status === "uploaded") {
    await scope.query(
      "update imports set status = 'running', started_at = now(), updated_at = now() where id = $1",
      [id],
    );
    await platform.audit.record(scope, actor, {
      action: "customers.import_started",
      targetType: "import",
      targetId: id,
      data: { rows: imp.rowsTotal, mapping: imp.mapping },
    });
  }
  return getImport(scope, id);
}

/**
 * An import that ran but made no progress for this long is taken as interrupted (its job is dead
 * or lost: a process killed on the last attempt never marks it failed) and may be retried. A batch
 * takes about a second; the job's own retries back off for at most ~4 minutes between attempts.
 */
export const importStallMs = { value: 10 * 60_000 };

/**
 * Restarts a failed or interrupted import from its checkpoint. The state change is one conditional
 * UPDATE, so two clicks (or two nodes) make one retry. Rows before the checkpoint were committed
 * with it and are never read again; the batch in flight when it failed was rolled back and is
 * redone. Returns the job key to send after commit.
 */
export async function markRetried(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  id: string,
): Promise<{ dto: ImportDto; jobKey: string }> {
  const imp = await getImport(scope, id);
  if (imp.status === "uploaded")
    throw new AppError("conflict", "the import has not been started; start it instead of retrying");
  if (imp.status === "completed") throw new AppError("conflict", "the import has already completed");
  const [row] = await scope.query<{ updated_at: Date }>(
    `update imports set status = 'running', error = null, finished_at = null, updated_at = now()
      where id = $1 and (status = 'failed'
        or (status = 'running' and updated_at < now() - make_interval(secs => $2::double precision)))
      returning updated_at`,
    [id, importStallMs.value / 1000],
  );
  if (!row) {
    throw new AppError(
      "conflict",
      imp.status === "running"
        ? `the import is running (last progress at ${imp.updatedAt}); it can be retried once it has failed or made no progress for ${Math.round(importStallMs.value / 60_000)} minutes`
        : `the import is ${imp.status}`,
      { status: imp.status },
    );
  }
  await platform.audit.record(scope, actor, {
    action: "customers.import_retried",
    targetType: "import",
    targetId: id,
    data: { from: imp.status, rowsDone: imp.rowsDone, rowsTotal: imp.rowsTotal, error: imp.error },
  });
  // A fresh key: the first job's key still names its dead (or lost) job, which would swallow a send.
  return { dto: await getImport(scope, id), jobKey: `${id}:retry:${row.updated_at.getTime()}` };
}

export async function sendImportJob(platform: Platform, tenantId: string, importId: string, key = importId) {
  await platform.jobs.send<ImportJobData>(importJobName, { tenantId, importId }, { key });
}

export function defineImportJobs(platform: Platform): void {
  platform.jobs.define<ImportJobData>({
    name: importJobName,
    queue: "sync",
    attempts,
    backoffMs: 1000,
    handler: async (data, ctx) => {
      try {
        await processImport(platform, data.tenantId, data.importId);
      } catch (err) {
        if (ctx.attempt >= attempts)
          await markFailed(platform, data.tenantId, data.importId, (err as Error).message);
        throw err;
      }
    },
  });
}

/** The failed rows as CSV lines: line, message, then the original cells. */
export async function* errorLines(
  platform: Platform,
  tenantId: string,
  id: string,
): AsyncGenerator<{ line: number; message: string; cells: string[] }> {
  let after = 0;
  for (;;) {
    const rows = await platform.db.tenant(tenantId, (s) =>
      s.query<{ line_no: number; message: string; cells: string[] }>(
        "select line_no, message, cells from import_errors where import_id = $1 and line_no > $2 order by line_no limit 1000",
        [id, after],
      ),
    );
    for (const r of rows) yield { line: r.line_no, message: r.message, cells: r.cells };
    if (rows.length < 1000) return;
    after = rows.at(-1)!.line_no;
  }
}

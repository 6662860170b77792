import type { Database, Scope } from "../db/index.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids/ids.ts";
import { type EncryptedColumn, encryptedColumns } from "./columns.ts";
import type { CryptoRuntime } from "./crypto.service.ts";

export type RotationStatus = "running" | "completed" | "failed";

export interface RotationInfo {
  id: string;
  status: RotationStatus;
  fromVersion: number;
  toVersion: number;
  rowsDone: number;
  rowsTotal: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

interface RotationRow {
  id: string;
  status: RotationStatus;
  from_version: number;
  to_version: number;
  rows_done: number | string;
  rows_total: number | string;
  started_at: Date | string;
  finished_at: Date | string | null;
  error: string | null;
}

interface RotationDeps {
  db: Database;
  crypto: CryptoRuntime;
  /** Defaults to every column given to `registerEncryptedColumn`. */
  columns?: EncryptedColumn[];
}

// Serialises rotation starts across processes.
const ROTATION_LOCK = 7261003;

/** Rows of `col` whose ciphertext is not yet under data-key `version` (the 4th `:` field). */
function staleWhere(col: EncryptedColumn): string {
  return `${col.column} like 'enc:v1:%' and split_part(${col.column}, ':', 4) <> $1`;
}

async function countStale(s: Scope, columns: EncryptedColumn[], version: number): Promise<number> {
  let total = 0;
  for (const col of columns) {
    const [row] = await s.query<{ n: number | string }>(
      `select count(*) as n from ${col.table} where ${staleWhere(col)}`,
      [String(version)],
    );
    total += Number(row?.n ?? 0);
  }
  return total;
}

/**
 * Creates a new data-key version and a `key_rotations` row, and returns the rotation id at once;
 * the re-encryption itself is done by `runRotationBatch` (a job calls it until it reports done).
 * Refuses with `key_rotation_running` while another rotation is running.
 */
export async function startKeyRotation({
  db,
  crypto,
  columns = encryptedColumns(),
}: RotationDeps): Promise<string> {
  const id = await db.system(async (s) => {
    await s.query("select pg_advisory_xact_lock($1)", [ROTATION_LOCK]);
    const running = await s.query("select id from key_rotations where status = 'running' limit 1");
    if (running.length > 0) throw new AppError("key_rotation_running", "a key rotation is already running");
    const from = crypto.keyVersion;
    const to = await crypto.addDataKey(s);
    const total = await countStale(s, columns, to);
    const rotationId = newId("krt");
    await s.query(
      "insert into key_rotations (id, from_version, to_version, rows_total) values ($1, $2, $3, $4)",
      [rotationId, from, to, total],
    );
    return rotationId;
  });
  // From now on this process encrypts new values under the new version.
  await crypto.reload();
  return id;
}

/**
 * Re-encrypts up to `batchSize` stale values of the registered columns in one system transaction,
 * locking them with `FOR UPDATE SKIP LOCKED` so concurrent batches never collide. Progress lives in
 * `key_rotations`, and "stale" is read from each value's own header, so a restart simply resumes.
 * When nothing stale is left the rotation completes and older data keys are retired (they stay
 * loadable, so a value written meanwhile by a node that had not reloaded still decrypts).
 */
export async function runRotationBatch({
  db,
  crypto,
  rotationId,
  columns = encryptedColumns(),
  batchSize = 500,
}: RotationDeps & { rotationId: string; batchSize?: number }): Promise<{ done: boolean; rowsDone: number }> {
  const [rotation] = await db.system((s) =>
    s.query<RotationRow>("select * from key_rotations where id = $1", [rotationId]),
  );
  if (!rotation) throw new AppError("not_found", "key rotation not found");
  if (rotation.status !== "running") return { done: true, rowsDone: Number(rotation.rows_done) };
  const to = rotation.to_version;
  if (!crypto.versions.includes(to)) await crypto.reload();

  try {
    return await db.system(async (s) => {
      let left = batchSize;
      let moved = 0;
      for (const col of columns) {
        if (left === 0) break;
        moved += await reencryptColumn(s, crypto, col, to, left);
        left = batchSize - moved;
      }
      if (moved > 0) {
        const [row] = await s.query<{ rows_done: number | string }>(
          "update key_rotations set rows_done = rows_done + $2 where id = $1 returning rows_done",
          [rotationId, moved],
        );
        return { done: false, rowsDone: Number(row?.rows_done ?? 0) };
      }
      // Nothing was picked: finished, unless rows are locked by another batch right now.
      if ((await countStale(s, columns, to)) > 0)
        return { done: false, rowsDone: Number(rotation.rows_done) };
      await s.query(
        `update key_rotations set status = 'completed', finished_at = now(),
           rows_total = greatest(rows_total, rows_done) where id = $1`,
        [rotationId],
      );
      await s.query(
        "update encryption_keys set status = 'retired' where purpose = 'data' and version < $1 and status = 'active'",
        [to],
      );
      return { done: true, rowsDone: Number(rotation.rows_done) };
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await db.system((s) =>
      s.query("update key_rotations set status = 'failed', finished_at = now(), error = $2 where id = $1", [
        rotationId,
        message.slice(0, 1000),
      ]),
    );
    throw err;
  }
}

async function reencryptColumn(
  s: Scope,
  crypto: CryptoRuntime,
  col: EncryptedColumn,
  version: number,
  limit: number,
): Promise<number> {
  const rows = await s.query<{ id: string; value: string }>(
    `select ${col.idColumn}::text as id, ${col.column} as value from ${col.table}
     where ${staleWhere(col)} order by ${col.idColumn} limit ${Math.floor(limit)} for update skip locked`,
    [String(version)],
  );
  if (rows.length === 0) return 0;
  const ids: string[] = [];
  const values: string[] = [];
  for (const r of rows) {
    try {
      values.push(crypto.reencrypt(r.value, version));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot re-encrypt ${col.table}.${col.column} of ${col.idColumn} ${r.id}: ${why}`);
    }
    ids.push(r.id);
  }
  await s.query(
    `update ${col.table} t set ${col.column} = v.value
     from unnest($1::text[], $2::text[]) as v(id, value) where t.${col.idColumn}::text = v.id`,
    [ids, values],
  );
  return rows.length;
}

/** Runs batches until the rotation is done (tests, CLI, or a job that prefers one long run). */
export async function rotateKeys(deps: RotationDeps & { batchSize?: number }): Promise<string> {
  const rotationId = await startKeyRotation(deps);
  for (;;) {
    const r = await runRotationBatch({ ...deps, rotationId });
    if (r.done) return rotationId;
  }
}

function iso(v: Date | string | null): string | null {
  if (v === null) return null;
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

function toInfo(r: RotationRow): RotationInfo {
  return {
    id: r.id,
    status: r.status,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    rowsDone: Number(r.rows_done),
    rowsTotal: Number(r.rows_total),
    startedAt: iso(r.started_at) ?? "",
    finishedAt: iso(r.finished_at),
    error: r.error,
  };
}

/** Newest first, for the admin UI's progress bar. */
export async function listRotations(db: Database, limit = 20): Promise<RotationInfo[]> {
  const rows = await db.system((s) =>
    s.query<RotationRow>("select * from key_rotations order by started_at desc, id desc limit $1", [limit]),
  );
  return rows.map(toInfo);
}

/** Ids of rotations still running: resume them after a restart by calling `runRotationBatch`. */
export async function runningRotations(db: Database): Promise<string[]> {
  const rows = await db.system((s) =>
    s.query<{ id: string }>("select id from key_rotations where status = 'running' order by started_at"),
  );
  return rows.map((r) => r.id);
}

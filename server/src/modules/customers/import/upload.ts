import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import { from as copyFrom } from "pg-copy-streams";
import type { Database } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { tryNormalizePhone } from "../phone.ts";
import { suggestMapping } from "./mapping.ts";

export type Encoding = "utf-8" | "utf-8-bom" | "gb18030";

export const maxUploadBytes = 200 * 1024 * 1024;
const maxColumns = 500;
/** Bytes looked at before choosing an encoding. */
const sniffBytes = 64 * 1024;
/** Rows per COPY on PGlite (PostgreSQL streams one COPY for the whole file). */
const stageBatch = 5000;

const bad = (message: string, details?: unknown) => new AppError("bad_request", message, details);

/**
 * Streaming decoder: UTF-8 (BOM or not), else GB18030 (a superset of GBK, what Excel writes on
 * Chinese Windows). A file that is pure ASCII so far and then turns out not to be UTF-8 switches to
 * GB18030 (ASCII reads the same in both).
 */
export class CsvDecoder {
  encoding: Encoding | null = null;
  private decoder: InstanceType<typeof TextDecoder> | null = null;
  private head: Buffer[] = [];
  private headBytes = 0;
  private asciiSoFar = true;
  private offset = 0;
  bytes = 0;

  constructor(private readonly limit = maxUploadBytes) {}

  push(chunk: Buffer): string {
    this.bytes += chunk.length;
    if (this.bytes > this.limit)
      throw new AppError("payload_too_large", `the file is larger than ${this.limit / 1024 / 1024} MB`);
    if (!this.decoder) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes < sniffBytes) return "";
      return this.sniff();
    }
    return this.decode(chunk);
  }

  end(): string {
    let text = "";
    if (!this.decoder) text = this.sniff();
    try {
      return text + (this.decoder?.decode() ?? "");
    } catch {
      throw bad(`the file ends in the middle of a character (${this.encoding})`);
    }
  }

  private sniff(): string {
    let buf = Buffer.concat(this.head);
    this.head = [];
    if (buf.length === 0) return "";
    if (
      (buf[0] === 0xff && buf[1] === 0xfe) ||
      (buf[0] === 0xfe && buf[1] === 0xff) ||
      (buf.length > 1 && buf.subarray(0, 4096).includes(0))
    ) {
      throw bad(
        buf[0] === 0xff || buf[0] === 0xfe
          ? "the file is UTF-16 text: save it as “CSV UTF-8” or as CSV (GBK)"
          : "the file is not a CSV text file (it contains binary data)",
      );
    }
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      this.encoding = "utf-8-bom";
      buf = buf.subarray(3);
      this.offset = 3;
    }
    const candidates: Encoding[] = this.encoding ? ["utf-8-bom"] : ["utf-8", "gb18030"];
    for (const enc of candidates) {
      const decoder = new TextDecoder(enc === "gb18030" ? "gb18030" : "utf-8", {
        fatal: true,
        ignoreBOM: true,
      });
      try {
        const text = decoder.decode(buf, { stream: true });
        if (!looksLikeText(text)) throw bad("the file is not a CSV text file (it contains binary data)");
        this.encoding = enc;
        this.decoder = decoder;
        this.asciiSoFar = enc !== "gb18030" && isAscii(buf);
        this.offset += buf.length;
        return text;
      } catch (err) {
        if (err instanceof AppError) throw err;
      }
    }
    throw bad(
      this.encoding === "utf-8-bom"
        ? "the file starts with a UTF-8 mark but is not valid UTF-8"
        : "the file is neither UTF-8 nor GBK/GB18030 text: save it from Excel as “CSV UTF-8”",
    );
  }

  private decode(chunk: Buffer): string {
    try {
      const text = this.decoder!.decode(chunk, { stream: true });
      if (this.asciiSoFar && !isAscii(chunk)) this.asciiSoFar = false;
      this.offset += chunk.length;
      return text;
    } catch {
      if (this.encoding === "utf-8" && this.asciiSoFar) {
        // Everything before was ASCII: this is a GBK file whose first non-ASCII byte came late.
        this.encoding = "gb18030";
        this.decoder = new TextDecoder("gb18030", { fatal: true });
        this.asciiSoFar = false;
        return this.decode(chunk);
      }
      throw bad(`the file is not valid ${this.encoding} text (near byte ${this.offset})`);
    }
  }
}

function isAscii(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i]! > 0x7f) return false;
  return true;
}

/** Rejects decoded text full of control characters (a binary file that happened to decode). */
function looksLikeText(text: string): boolean {
  let control = 0;
  const n = Math.min(text.length, 8192);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffd) control++;
  }
  return control <= n / 100;
}

/** One `text[]` cell list in COPY text format. */
function copyLine(tenantId: string, importId: string, line: number, cells: string[]): string {
  const arr = `{${cells.map((c) => `"${c.replace(/\0/g, "").replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
  const escaped = arr.replace(/[\\\n\r\t]/g, (ch) =>
    ch === "\\" ? "\\\\" : ch === "\n" ? "\\n" : ch === "\r" ? "\\r" : "\\t",
  );
  return `${tenantId}\t${importId}\t${line}\t${escaped}\n`;
}

interface Stager {
  write(lines: string): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

const copySql = "COPY import_rows (tenant_id, import_id, line_no, cells) FROM STDIN";

/**
 * Staging by COPY, as the connection owner (COPY FROM refuses tables under row-level security for
 * the app role; every row carries its tenant explicitly). PostgreSQL: one COPY stream for the whole
 * file, so a failed upload leaves nothing. PGlite: a COPY per batch from a blob.
 */
async function openStager(db: Database, importId: string): Promise<Stager> {
  const raw = db.raw;
  if (raw.kind === "postgres") {
    const client = await raw.pool.connect();
    const stream = client.query(copyFrom(copySql));
    const done = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", reject);
    });
    done.catch(() => undefined);
    let released = false;
    const release = (err?: Error) => {
      if (!released) client.release(err);
      released = true;
    };
    return {
      async write(lines) {
        if (!stream.write(lines)) {
          await Promise.race([new Promise((r) => stream.once("drain", r)), done]);
        }
      },
      async finish() {
        stream.end();
        try {
          await done;
        } finally {
          release();
        }
      },
      async abort() {
        stream.destroy(new Error("upload aborted"));
        await done.catch(() => undefined);
        // The connection is mid-COPY: drop it rather than return it to the pool.
        release(new Error("upload aborted"));
      },
    };
  }
  const pglite = raw.pglite;
  return {
    async write(lines) {
      await pglite.query(`${copySql.replace("STDIN", "'/dev/blob'")}`, [], {
        blob: new Blob([lines]),
      });
    },
    async finish() {},
    async abort() {
      await pglite.query("delete from import_rows where import_id = $1", [importId]);
    },
  };
}

export interface UploadResult {
  id: string;
  columns: string[];
  sample: string[][];
  encoding: Encoding;
  rowsTotal: number;
  suggestedMapping: Record<string, string>;
}

/**
 * Streams a CSV body into `import_rows`: detects the encoding, decodes, parses (quotes, embedded
 * newlines and commas), and stages the rows. Whole-file problems throw 400 and leave nothing behind.
 */
export async function stageUpload(
  platform: Platform,
  tenantId: string,
  createdBy: string | null,
  defaultOwners: string[],
  body: AsyncIterable<Buffer | string>,
  limit = maxUploadBytes,
): Promise<UploadResult> {
  const { db } = platform;
  const id = newId("imp");
  await db.tenant(tenantId, (s) =>
    s.query(
      "insert into imports (id, tenant_id, status, created_by, default_owners) values ($1, $2, 'uploading', $3, $4)",
      [id, tenantId, createdBy, defaultOwners],
    ),
  );
  const decoder = new CsvDecoder(limit);
  async function* text() {
    for await (const chunk of body) {
      const s = decoder.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      if (s) yield s;
    }
    const s = decoder.end();
    if (s) yield s;
  }
  const parser = parse({
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    max_record_size: 1_000_000,
  });
  const piping = pipeline(Readable.from(text()), parser);
  piping.catch(() => undefined);

  let stager: Stager | null = null;
  let columns: string[] | null = null;
  const sample: string[][] = [];
  let line = 1;
  let pending: string[] = [];
  try {
    stager = await openStager(db, id);
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!columns) {
        columns = checkHeader(record);
        continue;
      }
      line++;
      if (sample.length < 5) sample.push(record);
      pending.push(copyLine(tenantId, id, line, record));
      if (pending.length >= stageBatch) {
        await stager.write(pending.join(""));
        pending = [];
      }
    }
    await piping;
    if (pending.length) await stager.write(pending.join(""));
    pending = [];
    if (!columns) throw bad(decoder.bytes === 0 ? "the file is empty" : "the file has no header row");
    if (line === 1) throw bad("the file has a header row but no data rows");
    await stager.finish();
    stager = null;
  } catch (err) {
    await stager?.abort().catch(() => undefined);
    await db
      .tenant(tenantId, async (s) => {
        await s.query("delete from import_rows where import_id = $1", [id]);
        await s.query("delete from imports where id = $1", [id]);
      })
      .catch(() => undefined);
    throw asUploadError(err);
  }
  const encoding = decoder.encoding ?? "utf-8";
  const rowsTotal = line - 1;
  await db.tenant(tenantId, (s) =>
    s.query(
      `update imports set status = 'uploaded', encoding = $2, columns = $3, sample = $4, rows_total = $5,
              updated_at = now() where id = $1`,
      [id, encoding, columns, JSON.stringify(sample), rowsTotal],
    ),
  );
  const suggestedMapping = await db.tenant(tenantId, (s) => suggestMapping(s, columns ?? []));
  return { id, columns, sample, encoding, rowsTotal, suggestedMapping };
}

function asUploadError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string; lines?: number };
  if (typeof e?.code === "string" && e.code.startsWith("CSV_")) {
    const where = e.lines ? ` (around line ${e.lines})` : "";
    if (e.code === "CSV_QUOTE_NOT_CLOSED")
      return bad(`a quoted field is never closed${where}: check the quotes in the file`);
    if (e.code === "CSV_MAX_RECORD_SIZE")
      return bad(`a row is larger than 1 MB${where}: is a quote left open?`);
    return bad(`the file is not valid CSV${where}: ${e.message}`);
  }
  return err;
}

function checkHeader(record: string[]): string[] {
  if (record.length > maxColumns) throw bad(`the file has ${record.length} columns; at most ${maxColumns}`);
  const columns = record.map((c, i) => c.replace(/^\uFEFF/, "").trim() || `column ${i + 1}`);
  const dataLike = columns.find((c) => tryNormalizePhone(c) !== null || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c));
  if (dataLike) {
    throw bad(`the first row must be a header row (column names), but “${dataLike}” looks like data`);
  }
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) dups.add(c);
    seen.add(c);
  }
  if (dups.size) {
    throw bad(`the header repeats column names: ${[...dups].join(", ")}; rename them so each is unique`, {
      duplicates: [...dups],
    });
  }
  return columns;
}

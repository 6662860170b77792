import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.ts";

/** The few logger methods used here (pino's Logger fits). */
export interface KeyLog {
  info(msg: string): void;
  warn(msg: string): void;
}

const hint = "generate one with `openssl rand -base64 32`";

/** Decodes a base64 master key; refuses anything that is not exactly 32 bytes of canonical base64. */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, "base64");
  // Buffer.from skips invalid characters silently, so re-encode to prove the text was clean base64.
  if (key.length !== 32 || key.toString("base64") !== trimmed) {
    throw new Error(`${source} must be the base64 encoding of exactly 32 bytes; ${hint}`);
  }
  return key;
}

/**
 * The master key: SIYU_MASTER_KEY when set, else `<dataDir>/master.key`, created once (mode 0600).
 * A key file readable by others is refused (group-readable only warns: some volume mounts force it).
 * In cluster mode a generated key is only right for a single node, so it says so loudly.
 */
export function loadMasterKey({
  config,
  log,
}: {
  config: Pick<Config, "masterKey" | "dataDir" | "mode">;
  log: KeyLog;
}): Buffer {
  if (config.masterKey !== undefined) return parseMasterKey(config.masterKey, "SIYU_MASTER_KEY");
  const path = join(config.dataDir, "master.key");
  try {
    return readKeyFile(path, log);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const text = `${randomBytes(32).toString("base64")}\n`;
  try {
    // `wx`: when two processes start at once, one creates the file and the other reads it.
    writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return readKeyFile(path, log);
    throw err;
  }
  if (config.mode === "cluster") {
    log.warn(
      `GENERATED A NEW MASTER KEY at ${path} on this node. Every node of a cluster must use the SAME master key: ` +
        "set SIYU_MASTER_KEY to this file's content on all nodes, or data encrypted here cannot be read elsewhere.",
    );
  } else {
    log.info(`generated the master key at ${path}; back it up: without it encrypted data is lost`);
  }
  return parseMasterKey(text, path);
}

function readKeyFile(path: string, log: KeyLog): Buffer {
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== "win32") {
    if (mode & 0o007) {
      throw new Error(
        `${path} is readable or writable by every user (mode ${mode.toString(8)}); run \`chmod 600 ${path}\``,
      );
    }
    if (mode & 0o070)
      log.warn(`${path} is accessible to its group (mode ${mode.toString(8)}); prefer chmod 600`);
  }
  return parseMasterKey(readFileSync(path, "utf8"), path);
}

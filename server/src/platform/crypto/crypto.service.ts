import { createHmac, randomBytes } from "node:crypto";
import type { Config } from "../config/config.ts";
import type { Database, Scope } from "../db/index.ts";
import { newId } from "../ids/ids.ts";
import {
  type AlgCode,
  aesGcmOpen,
  aesGcmSeal,
  algOf,
  DecryptError,
  deriveSm4Keys,
  formatEnvelope,
  header,
  isEnvelope,
  parseEnvelope,
  type Sm4Keys,
  sm4Open,
  sm4Seal,
} from "./ciphers.ts";
import type { Cipher, CryptoService } from "./crypto.ts";
import { keyLabel, unwrapKey, wrapKey } from "./key-wrap.ts";
import { type KeyLog, loadMasterKey } from "./master-key.ts";

/** The service plus what key rotation and boot need; modules only see `CryptoService`. */
export interface CryptoRuntime extends CryptoService {
  /** Re-reads `encryption_keys`, e.g. after another node started a rotation. */
  reload(): Promise<void>;
  /** Decrypts and encrypts again under data-key `version`, keeping the ciphertext's alg. */
  reencrypt(ciphertext: string, version: number): string;
  /** Adds data-key version max+1 in the caller's system transaction; returns it. */
  addDataKey(scope: Scope): Promise<number>;
  /** Data-key versions loaded (active and retired); all of them can decrypt. */
  readonly versions: number[];
}

interface KeyRow {
  purpose: "data" | "index";
  version: number;
  wrapped_key: string;
  status: "active" | "retired";
}

interface DataKey {
  key: Buffer;
  sm4: Sm4Keys;
  status: "active" | "retired";
}

/**
 * Loads (or, on an empty database, creates) the data and blind-index keys, unwrapping them with
 * the master key. Safe when several processes boot at once: inserts are ON CONFLICT DO NOTHING and
 * every process then reads back the winning rows.
 */
export async function createCrypto({
  db,
  masterKey,
}: {
  db: Database;
  masterKey: Buffer;
}): Promise<CryptoRuntime> {
  if (masterKey.length !== 32) throw new Error("master key must be 32 bytes");
  let dataKeys = new Map<number, DataKey>();
  let indexKey: Buffer = Buffer.alloc(0);
  let current = 0;

  async function load(): Promise<void> {
    const rows = await db.system(async (s) => {
      await ensureKey(s, masterKey, "data");
      await ensureKey(s, masterKey, "index");
      return s.query<KeyRow>("select purpose, version, wrapped_key, status from encryption_keys");
    });
    const next = new Map<number, DataKey>();
    let nextIndex: Buffer | undefined;
    let nextCurrent = 0;
    for (const r of rows) {
      const key = unwrapKey(masterKey, r.wrapped_key, keyLabel(r.purpose, r.version));
      if (r.purpose === "index") {
        if (r.version === 1) nextIndex = key;
        continue;
      }
      next.set(r.version, { key, sm4: deriveSm4Keys(key), status: r.status });
      if (r.status === "active" && r.version > nextCurrent) nextCurrent = r.version;
    }
    if (!nextIndex || nextCurrent === 0) throw new Error("encryption keys are missing from encryption_keys");
    dataKeys = next;
    indexKey = nextIndex;
    current = nextCurrent;
  }

  function keyFor(version: number): DataKey {
    const k = dataKeys.get(version);
    if (!k) throw new DecryptError(`unknown data-key version ${version}`);
    return k;
  }

  function seal(plaintext: string, alg: AlgCode, version: number): string {
    const k = keyFor(version);
    const aad = Buffer.from(header(alg, version));
    const data = Buffer.from(plaintext, "utf8");
    const payload = alg === "a" ? aesGcmSeal(k.key, data, aad) : sm4Seal(k.sm4, data, aad);
    return formatEnvelope(alg, version, payload);
  }

  function open(ciphertext: string): { alg: AlgCode; plaintext: string } {
    const env = parseEnvelope(ciphertext);
    const k = keyFor(env.version);
    const aad = Buffer.from(header(env.alg, env.version));
    const data = env.alg === "a" ? aesGcmOpen(k.key, env.payload, aad) : sm4Open(k.sm4, env.payload, aad);
    return { alg: env.alg, plaintext: data.toString("utf8") };
  }

  await load();

  return {
    get keyVersion() {
      return current;
    },
    get versions() {
      return [...dataKeys.keys()].sort((a, b) => a - b);
    },
    encrypt(plaintext, options) {
      const cipher: Cipher = options?.cipher ?? "aes-256-gcm";
      const alg = algOf[cipher];
      if (!alg) throw new Error(`unknown cipher "${cipher}"`);
      return seal(plaintext, alg, current);
    },
    decrypt: (ciphertext) => open(ciphertext).plaintext,
    isEncrypted: isEnvelope,
    blindIndex(kind, normalisedValue) {
      return createHmac("sha256", indexKey).update(`${kind}:${normalisedValue}`).digest("hex");
    },
    reload: load,
    reencrypt(ciphertext, version) {
      const { alg, plaintext } = open(ciphertext);
      return seal(plaintext, alg, version);
    },
    async addDataKey(scope) {
      const [row] = await scope.query<{ v: number }>(
        "select coalesce(max(version), 0)::int + 1 as v from encryption_keys where purpose = 'data'",
      );
      const version = row?.v ?? 1;
      await insertKey(scope, masterKey, "data", version);
      return version;
    },
  };
}

async function ensureKey(s: Scope, masterKey: Buffer, purpose: "data" | "index"): Promise<void> {
  const rows = await s.query("select 1 from encryption_keys where purpose = $1 limit 1", [purpose]);
  if (rows.length === 0) await insertKey(s, masterKey, purpose, 1);
}

async function insertKey(
  s: Scope,
  masterKey: Buffer,
  purpose: "data" | "index",
  version: number,
): Promise<void> {
  const wrapped = wrapKey(masterKey, randomBytes(32), keyLabel(purpose, version));
  await s.query(
    `insert into encryption_keys (id, purpose, version, wrapped_key) values ($1, $2, $3, $4)
     on conflict (purpose, version) do nothing`,
    [newId("key"), purpose, version, wrapped],
  );
}

/**
 * Master-key rotation: unwraps every data and index key with `from` and wraps it with `to`, in one
 * transaction. Afterwards start the processes with the new master key (SIYU_MASTER_KEY or master.key).
 */
export async function rewrapDataKeys({
  db,
  from,
  to,
}: {
  db: Database;
  from: Buffer;
  to: Buffer;
}): Promise<number> {
  return db.system(async (s) => {
    const rows = await s.query<KeyRow & { id: string }>(
      "select id, purpose, version, wrapped_key, status from encryption_keys for update",
    );
    for (const r of rows) {
      const label = keyLabel(r.purpose, r.version);
      const key = unwrapKey(from, r.wrapped_key, label);
      await s.query("update encryption_keys set wrapped_key = $2 where id = $1", [
        r.id,
        wrapKey(to, key, label),
      ]);
    }
    return rows.length;
  });
}

/** The tenant's configured cipher (`tenants.cipher`), read inside the tenant's transaction. */
export async function readTenantCipher(scope: Scope): Promise<Cipher> {
  const [row] = await scope.query<{ cipher: Cipher }>("select cipher from tenants where id = $1", [
    scope.tenantId,
  ]);
  return row?.cipher ?? "aes-256-gcm";
}

/** Boot helper: master key from config (or the data dir), then the keyring from the database. */
export async function openCrypto({
  config,
  log,
  db,
}: {
  config: Pick<Config, "masterKey" | "dataDir" | "mode">;
  log: KeyLog;
  db: Database;
}): Promise<CryptoRuntime> {
  return createCrypto({ db, masterKey: loadMasterKey({ config, log }) });
}

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CallbackSender, type EventFields } from "./callback-sender.ts";
import { SimClock } from "./clock.ts";
import { Corp } from "./corp.ts";
import { WecomError } from "./errcodes.ts";
import * as ids from "./ids.ts";
import type { CallbackConfig, CorpData, CorpSettings, Department, Member } from "./model.ts";
import { defaultSettings } from "./model.ts";

export interface WecomSandboxOptions {
  /** Persist each corp to `<dataDir>/<corpId>.json` (debounced) and reload it on start. */
  dataDir?: string;
  /** Debounce of persistence writes, in milliseconds (default 500). */
  persistDelayMs?: number;
  /** Callback answer timeout, ms (WeCom: 5000). */
  callbackTimeoutMs?: number;
  /** Pause between callback retries, ms (default 1000). */
  callbackRetryDelayMs?: number;
  /** Called when persistence fails; the simulator keeps running in memory. */
  onError?: (err: unknown, what: string) => void;
}

export interface MemberInput {
  userid: string;
  name?: string;
  department?: number[];
  position?: string;
  mobile?: string;
  gender?: "0" | "1" | "2";
  email?: string;
  customerContact?: boolean;
  /** userids of the member's direct leaders (直属上级). */
  directLeader?: readonly string[];
}

export interface CreateCorpInput {
  corpId?: string;
  corpName?: string;
  agentId?: number;
  appSecret?: string;
  contactSecret?: string;
  callback?: CallbackConfig;
  departments?: Department[];
  /** Default: three members with customer-contact permission and one without. */
  members?: MemberInput[];
  settings?: Partial<CorpSettings>;
}

interface TokenRecord {
  token: string;
  corpId: string;
  secret: string;
  expiresAt: number;
}

/** WeCom's token lifetime, seconds. */
export const tokenTtlSeconds = 7200;
export const welcomeCodeTtlMs = 20_000;
export const transferWindowMs = 24 * 3600 * 1000;

export const defaultMembers: MemberInput[] = [
  { userid: "zhangsan", name: "张三", position: "客户经理", directLeader: ["wangwu"] },
  { userid: "lisi", name: "李四", position: "销售顾问", directLeader: ["wangwu"] },
  { userid: "wangwu", name: "王五", position: "店长" },
  { userid: "zhaoliu", name: "赵六", position: "财务", customerContact: false },
];

export function memberFrom(input: MemberInput): Member {
  return {
    userid: input.userid,
    name: input.name ?? ids.chineseName(),
    department: input.department ?? [1],
    position: input.position ?? "",
    mobile: input.mobile ?? `138${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`,
    gender: input.gender ?? "1",
    email: input.email ?? `${input.userid}@example.com`,
    status: 1,
    customerContact: input.customerContact ?? true,
    ...(input.directLeader?.length ? { directLeader: [...input.directLeader] } : {}),
  };
}

/**
 * The WeCom simulator's engine: corps, tokens, the simulator clock, persistence and the callback
 * sender. The HTTP surfaces (WeCom paths and the `_sim` API) are thin layers over it.
 */
export class WecomSandbox {
  readonly clock: SimClock;
  readonly callbacks: CallbackSender;
  readonly corps = new Map<string, Corp>();
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #tokenBySecret = new Map<string, TokenRecord>();
  readonly #dataDir: string | undefined;
  readonly #persistDelayMs: number;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #onError: (err: unknown, what: string) => void;

  constructor(options: WecomSandboxOptions = {}) {
    this.#dataDir = options.dataDir;
    this.#persistDelayMs = options.persistDelayMs ?? 500;
    this.#onError = options.onError ?? (() => {});
    this.clock = new SimClock(this.#loadClock());
    this.callbacks = new CallbackSender({
      clock: this.clock,
      ...(options.callbackTimeoutMs !== undefined ? { timeoutMs: options.callbackTimeoutMs } : {}),
      ...(options.callbackRetryDelayMs !== undefined ? { retryDelayMs: options.callbackRetryDelayMs } : {}),
    });
    this.#load();
  }

  // ---- corps ----

  createCorp(input: CreateCorpInput = {}): Corp {
    const corpId = input.corpId ?? ids.corpId();
    if (this.corps.has(corpId)) throw new Error(`corp ${corpId} already exists`);
    const corpName = input.corpName ?? "思域演示企业";
    const data: CorpData = {
      corpId,
      corpName,
      agentId: input.agentId ?? 1000002,
      appSecret: input.appSecret ?? ids.secret(),
      contactSecret: input.contactSecret ?? ids.secret(),
      ...(input.callback ? { callback: input.callback } : {}),
      settings: { ...defaultSettings, ...input.settings },
      departments: input.departments ?? [
        { id: 1, name: corpName, name_en: "", parentid: 0, order: 100000000 },
      ],
      members: (input.members ?? defaultMembers).map(memberFrom),
      contacts: [],
      follows: [],
      tagGroups: [],
      contactWays: [],
      groups: [],
      massMessages: [],
      transfers: [],
      moments: [],
      welcomeDeliveries: [],
      tagMarks: [],
      seq: 0,
      monthlySends: [],
    };
    const corp = new Corp(data);
    this.corps.set(corpId, corp);
    this.changed(corp);
    return corp;
  }

  corp(corpId: string): Corp | undefined {
    return this.corps.get(corpId);
  }

  deleteCorp(corpId: string): boolean {
    const corp = this.corps.get(corpId);
    if (!corp) return false;
    this.corps.delete(corpId);
    for (const [token, rec] of this.#tokens) {
      if (rec.corpId === corpId) {
        this.#tokens.delete(token);
        this.#tokenBySecret.delete(`${rec.corpId}|${rec.secret}`);
      }
    }
    if (this.#dataDir) {
      const file = join(this.#dataDir, `${corpId}.json`);
      try {
        if (existsSync(file)) renameSync(file, `${file}.deleted`);
      } catch (err) {
        this.#onError(err, "delete corp file");
      }
    }
    return true;
  }

  // ---- tokens ----

  /** gettoken: one token per (corpid, secret), the same one while valid (protocols/wecom.md §2.1). */
  issueToken(
    corpid: string | undefined,
    secret: string | undefined,
  ): { access_token: string; expires_in: number } {
    if (!corpid) throw new WecomError(41002);
    const corp = this.corps.get(corpid);
    if (!corp) throw new WecomError(40013);
    if (!secret) throw new WecomError(41004);
    if (secret !== corp.appSecret && secret !== corp.contactSecret) throw new WecomError(40001);
    const now = this.clock.now();
    const key = `${corpid}|${secret}`;
    const existing = this.#tokenBySecret.get(key);
    if (existing && existing.expiresAt > now) {
      return { access_token: existing.token, expires_in: Math.ceil((existing.expiresAt - now) / 1000) };
    }
    const rec: TokenRecord = {
      token: ids.accessToken(),
      corpId: corpid,
      secret,
      expiresAt: now + tokenTtlSeconds * 1000,
    };
    this.#tokens.set(rec.token, rec);
    this.#tokenBySecret.set(key, rec);
    return { access_token: rec.token, expires_in: tokenTtlSeconds };
  }

  /** The corp an access_token belongs to, or the errcode WeCom answers. */
  authenticate(token: string | undefined): Corp {
    if (!token) throw new WecomError(41001);
    const rec = this.#tokens.get(token);
    if (!rec) throw new WecomError(40014);
    const corp = this.corps.get(rec.corpId);
    if (!corp) throw new WecomError(40014);
    // A secret rotated away invalidates its tokens.
    if (rec.secret !== corp.appSecret && rec.secret !== corp.contactSecret) throw new WecomError(40014);
    if (rec.expiresAt <= this.clock.now()) throw new WecomError(42001);
    return corp;
  }

  /** The corp a token names, valid or not (faults apply before the token is checked). */
  corpOfToken(token: string | undefined): Corp | undefined {
    const rec = token ? this.#tokens.get(token) : undefined;
    return rec ? this.corps.get(rec.corpId) : undefined;
  }

  /** Fault: every token of the corp expires now (next calls answer 42001). */
  expireTokens(corpId: string): number {
    let n = 0;
    const now = this.clock.now();
    for (const rec of this.#tokens.values()) {
      if (rec.corpId === corpId && rec.expiresAt > now) {
        rec.expiresAt = now;
        n++;
      }
    }
    return n;
  }

  // ---- time ----

  advance(ms: number): void {
    this.clock.advance(ms);
    for (const corp of this.corps.values()) this.settle(corp);
    this.#persistClock();
  }

  /** Applies what the passage of time decides: transfers complete 24 h after they start. */
  settle(corp: Corp): void {
    const now = this.clock.now();
    let changed = false;
    for (const t of corp.transfers) {
      if (t.status !== 2 || now < t.started_at + transferWindowMs) continue;
      changed = true;
      const takeover = corp.activeMember(t.takeover_userid);
      const owned = corp.followsByUser.get(t.takeover_userid)?.length ?? 0;
      const old = corp.follow(t.external_userid, t.handover_userid);
      if (!old) {
        t.status = 5;
        continue;
      }
      if (!takeover || owned >= corp.settings.customersPerMember) {
        t.status = 4;
        this.emit(corp, "change_external_contact", "transfer_fail", {
          UserID: t.takeover_userid,
          ExternalUserID: t.external_userid,
          FailReason: "customer_limit_exceed",
        });
        continue;
      }
      t.status = 1;
      t.takeover_time = Math.floor((t.started_at + transferWindowMs) / 1000);
      corp.removeFollow(t.external_userid, t.handover_userid);
      if (!corp.follow(t.external_userid, t.takeover_userid)) {
        corp.addFollow({
          ...old,
          userid: t.takeover_userid,
          createtime: t.takeover_time,
          add_way: 202,
          oper_userid: t.takeover_userid,
        });
      }
      if (t.kind === "onjob") {
        this.emit(corp, "change_external_contact", "del_external_contact", {
          UserID: t.handover_userid,
          ExternalUserID: t.external_userid,
          Source: "DELETE_BY_TRANSFER",
        });
      }
    }
    if (changed) this.changed(corp);
  }

  // ---- callbacks ----

  emit(corp: Corp, event: string, changeType: string, fields: EventFields) {
    return this.callbacks.emit(corp, event, changeType, fields);
  }

  // ---- persistence ----

  /** Marks the corp dirty; it is written after the debounce delay. */
  changed(corp: Corp): void {
    if (!this.#dataDir || this.#timers.has(corp.corpId)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(corp.corpId);
      this.#write(corp);
    }, this.#persistDelayMs);
    timer.unref();
    this.#timers.set(corp.corpId, timer);
  }

  #write(corp: Corp): void {
    if (!this.#dataDir || !this.corps.has(corp.corpId)) return;
    try {
      mkdirSync(this.#dataDir, { recursive: true });
      const file = join(this.#dataDir, `${corp.corpId}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(corp.toJSON()));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.#onError(err, `persist corp ${corp.corpId}`);
    }
  }

  #clockFile(): string | undefined {
    return this.#dataDir ? join(this.#dataDir, "_clock.json") : undefined;
  }

  #loadClock(): number {
    const file = this.#clockFile();
    if (!file || !existsSync(file)) return 0;
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as { offsetMs?: unknown };
      return typeof parsed.offsetMs === "number" && parsed.offsetMs >= 0 ? parsed.offsetMs : 0;
    } catch {
      return 0;
    }
  }

  #persistClock(): void {
    const file = this.#clockFile();
    if (!file || !this.#dataDir) return;
    try {
      mkdirSync(this.#dataDir, { recursive: true });
      writeFileSync(file, JSON.stringify({ offsetMs: this.clock.offsetMs }));
    } catch (err) {
      this.#onError(err, "persist clock");
    }
  }

  #load(): void {
    if (!this.#dataDir || !existsSync(this.#dataDir)) return;
    for (const name of readdirSync(this.#dataDir)) {
      if (!name.endsWith(".json") || name.startsWith("_")) continue;
      try {
        const data = JSON.parse(readFileSync(join(this.#dataDir, name), "utf8")) as CorpData;
        this.corps.set(data.corpId, new Corp(data));
      } catch (err) {
        this.#onError(err, `load ${name}`);
      }
    }
  }

  /** Writes every dirty corp now. */
  flushPersistence(): void {
    for (const [corpId, timer] of this.#timers) {
      clearTimeout(timer);
      this.#timers.delete(corpId);
      const corp = this.corps.get(corpId);
      if (corp) this.#write(corp);
    }
  }

  async close(): Promise<void> {
    this.flushPersistence();
    await this.callbacks.close();
  }
}

export function createWecomSandbox(options: WecomSandboxOptions = {}): WecomSandbox {
  return new WecomSandbox(options);
}

import { createHash } from "node:crypto";
import { Faults } from "../shared/faults.ts";
import type {
  CallbackConfig,
  ContactWay,
  CorpData,
  CorpSettings,
  Department,
  ExternalContact,
  Follow,
  GroupChat,
  MassMessage,
  Member,
  MomentTask,
  Tag,
  TagGroup,
  TagMark,
  Transfer,
  WelcomeCodeRecord,
  WelcomeDelivery,
} from "./model.ts";
import { defaultSettings } from "./model.ts";

/** Records kept for inspection are capped so a long bench cannot grow memory without bound. */
const inspectionCap = 10_000;

function pushCapped<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > inspectionCap) list.splice(0, list.length - inspectionCap);
}

/** One corp in memory, with the indexes the APIs page over. */
export class Corp {
  corpId: string;
  corpName: string;
  agentId: number;
  appSecret: string;
  contactSecret: string;
  callback: CallbackConfig | undefined;
  settings: CorpSettings;
  departments: Department[];
  readonly members = new Map<string, Member>();
  readonly contacts = new Map<string, ExternalContact>();
  readonly followsByExternal = new Map<string, Follow[]>();
  /** Per member, ordered by `seq` (so a cursor is "after seq N"). */
  readonly followsByUser = new Map<string, Follow[]>();
  tagGroups: TagGroup[];
  readonly contactWays = new Map<string, ContactWay>();
  readonly groups = new Map<string, GroupChat>();
  readonly massMessages = new Map<string, MassMessage>();
  transfers: Transfer[];
  readonly moments = new Map<string, MomentTask>();
  readonly welcomeCodes = new Map<string, WelcomeCodeRecord>();
  welcomeDeliveries: WelcomeDelivery[];
  tagMarks: TagMark[];
  readonly monthlySends: Map<string, number>;
  seq: number;
  /** Not persisted: faults are set by a test for its own run. */
  readonly faults = new Faults();

  constructor(data: CorpData) {
    this.corpId = data.corpId;
    this.corpName = data.corpName;
    this.agentId = data.agentId;
    this.appSecret = data.appSecret;
    this.contactSecret = data.contactSecret;
    this.callback = data.callback;
    this.settings = { ...defaultSettings, ...data.settings };
    this.departments = data.departments;
    for (const m of data.members) this.members.set(m.userid, m);
    for (const c of data.contacts) this.contacts.set(c.external_userid, c);
    this.seq = data.seq;
    for (const f of [...data.follows].sort((a, b) => a.seq - b.seq)) this.#index(f);
    this.tagGroups = data.tagGroups;
    for (const w of data.contactWays) this.contactWays.set(w.config_id, w);
    for (const g of data.groups) this.groups.set(g.chat_id, g);
    for (const m of data.massMessages) this.massMessages.set(m.msgid, m);
    this.transfers = data.transfers;
    for (const m of data.moments) this.moments.set(m.jobid, m);
    this.welcomeDeliveries = data.welcomeDeliveries;
    this.tagMarks = data.tagMarks;
    this.monthlySends = new Map(data.monthlySends);
  }

  toJSON(): CorpData {
    const follows: Follow[] = [];
    for (const list of this.followsByExternal.values()) follows.push(...list);
    return {
      corpId: this.corpId,
      corpName: this.corpName,
      agentId: this.agentId,
      appSecret: this.appSecret,
      contactSecret: this.contactSecret,
      ...(this.callback ? { callback: this.callback } : {}),
      settings: this.settings,
      departments: this.departments,
      members: [...this.members.values()],
      contacts: [...this.contacts.values()],
      follows,
      tagGroups: this.tagGroups,
      contactWays: [...this.contactWays.values()],
      groups: [...this.groups.values()],
      massMessages: [...this.massMessages.values()],
      transfers: this.transfers,
      moments: [...this.moments.values()],
      welcomeDeliveries: this.welcomeDeliveries,
      tagMarks: this.tagMarks,
      seq: this.seq,
      monthlySends: [...this.monthlySends],
    };
  }

  #index(f: Follow): void {
    const byExt = this.followsByExternal.get(f.external_userid);
    if (byExt) byExt.push(f);
    else this.followsByExternal.set(f.external_userid, [f]);
    const byUser = this.followsByUser.get(f.userid);
    if (byUser) byUser.push(f);
    else this.followsByUser.set(f.userid, [f]);
  }

  follow(externalUserId: string, userid: string): Follow | undefined {
    return this.followsByExternal.get(externalUserId)?.find((f) => f.userid === userid);
  }

  addFollow(input: Omit<Follow, "seq">): Follow {
    // Spelled out rather than spread: every follow gets the same object shape (bulk seeding is hot).
    const f: Follow = {
      seq: ++this.seq,
      userid: input.userid,
      external_userid: input.external_userid,
      remark: input.remark,
      description: input.description,
      createtime: input.createtime,
      tags: input.tags,
      state: input.state,
      add_way: input.add_way,
      oper_userid: input.oper_userid,
      remark_corp_name: input.remark_corp_name,
      remark_mobiles: input.remark_mobiles,
    };
    this.#index(f);
    return f;
  }

  removeFollow(externalUserId: string, userid: string): Follow | undefined {
    const byExt = this.followsByExternal.get(externalUserId);
    const f = byExt?.find((x) => x.userid === userid);
    if (!f || !byExt) return undefined;
    byExt.splice(byExt.indexOf(f), 1);
    if (byExt.length === 0) this.followsByExternal.delete(externalUserId);
    const byUser = this.followsByUser.get(userid);
    if (byUser) {
      const at = firstAfter(byUser, f.seq - 1);
      if (byUser[at] === f) byUser.splice(at, 1);
    }
    return f;
  }

  activeMember(userid: string): Member | undefined {
    const m = this.members.get(userid);
    return m && m.status === 1 ? m : undefined;
  }

  tag(tagId: string): { group: TagGroup; tag: Tag } | undefined {
    for (const group of this.tagGroups) {
      const tag = group.tag.find((t) => t.id === tagId);
      if (tag) return { group, tag };
    }
    return undefined;
  }

  tagCount(): number {
    return this.tagGroups.reduce((n, g) => n + g.tag.length, 0);
  }

  recordTagMark(mark: TagMark): void {
    pushCapped(this.tagMarks, mark);
  }

  recordWelcome(delivery: WelcomeDelivery): void {
    pushCapped(this.welcomeDeliveries, delivery);
  }
}

/** Index of the first follow whose seq is greater than `seq` (binary search; lists are seq-ordered). */
export function firstAfter(list: Follow[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** member_version: WeCom answers an opaque 32-hex digest that changes with every membership change. */
export function memberVersion(group: GroupChat): string {
  const h = createHash("md5");
  for (const m of group.member_list) h.update(`${m.userid}:${m.join_time};`);
  h.update(String(group.create_time));
  return h.digest("hex");
}

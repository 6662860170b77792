import type { CallbackDelivery } from "./callback-sender.ts";
import { type Corp, memberVersion } from "./corp.ts";
import * as ids from "./ids.ts";
import type { ExternalContact, Follow, GroupChat, GroupMember, Tag, TagGroup } from "./model.ts";
import { type MemberInput, memberFrom, type WecomSandbox, welcomeCodeTtlMs } from "./sandbox.ts";

/**
 * What people do in the WeCom and WeChat clients (and admins in the console). Unlike API calls these
 * emit callbacks, because WeCom reports client-side changes and never API-originated ones.
 */

/** Why a simulated action cannot happen; the sim API answers it as a 4xx. */
export class SimError extends Error {
  readonly status: 400 | 404 | 409;
  readonly code: string;
  constructor(status: 400 | 404 | 409, code: string, message: string) {
    super(message);
    this.name = "SimError";
    this.status = status;
    this.code = code;
  }
}

export interface CustomerInput {
  external_userid?: string;
  name?: string;
  type?: 1 | 2;
  gender?: 0 | 1 | 2;
  unionid?: string;
  corp_name?: string;
}

function customer(corp: Corp, input: CustomerInput = {}): ExternalContact {
  if (input.external_userid) {
    const existing = corp.contacts.get(input.external_userid);
    if (existing) return existing;
  }
  const type = input.type ?? 1;
  const c: ExternalContact = {
    external_userid: input.external_userid ?? ids.externalUserId(type),
    name: input.name ?? ids.chineseName(),
    type,
    gender: input.gender ?? (Math.random() < 0.5 ? 1 : 2),
    avatar: ids.avatarUrl(),
    ...(input.unionid ? { unionid: input.unionid } : type === 1 ? { unionid: ids.unionId() } : {}),
    ...(input.corp_name ? { corp_name: input.corp_name } : {}),
  };
  corp.contacts.set(c.external_userid, c);
  return c;
}

function contactMember(corp: Corp, userid: string) {
  const m = corp.activeMember(userid);
  if (!m) throw new SimError(404, "member_not_found", `no active member ${userid}`);
  if (!m.customerContact)
    throw new SimError(409, "no_customer_contact", `${userid} has no customer-contact permission`);
  return m;
}

function relationOf(corp: Corp, userid: string, externalUserId: string): Follow {
  const f = corp.follow(externalUserId, userid);
  if (!f) throw new SimError(404, "relation_not_found", `${userid} does not follow ${externalUserId}`);
  return f;
}

export interface AddResult {
  external_userid: string;
  userid: string;
  welcome_code: string;
  callback: CallbackDelivery;
}

/** Adds a follow, issues a 20-second welcome code and reports add_external_contact (or add_half). */
function add(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { userid: string; customer?: CustomerInput; state: string; add_way: number; half?: boolean },
): AddResult {
  contactMember(corp, args.userid);
  const c = customer(corp, args.customer);
  if (corp.follow(c.external_userid, args.userid)) {
    throw new SimError(409, "already_added", `${c.external_userid} already follows ${args.userid}`);
  }
  corp.addFollow({
    userid: args.userid,
    external_userid: c.external_userid,
    remark: "",
    description: "",
    createtime: sandbox.clock.seconds(),
    tags: [],
    state: args.state,
    add_way: args.add_way,
    oper_userid: c.external_userid,
    remark_corp_name: "",
    remark_mobiles: [],
  });
  const code = ids.welcomeCode();
  corp.welcomeCodes.set(code, {
    code,
    userid: args.userid,
    external_userid: c.external_userid,
    expires_at: sandbox.clock.now() + welcomeCodeTtlMs,
    used: false,
  });
  sandbox.changed(corp);
  const callback = sandbox.emit(
    corp,
    "change_external_contact",
    args.half ? "add_half_external_contact" : "add_external_contact",
    {
      UserID: args.userid,
      ExternalUserID: c.external_userid,
      ...(args.state ? { State: args.state } : {}),
      WelcomeCode: code,
    },
  );
  return { external_userid: c.external_userid, userid: args.userid, welcome_code: code, callback };
}

/** A customer scans a 「联系我」 code (found by config_id or by state). */
export function scanContactWay(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { config_id?: string; state?: string; userid?: string; customer?: CustomerInput; half?: boolean },
): AddResult {
  const way = args.config_id
    ? corp.contactWays.get(args.config_id)
    : [...corp.contactWays.values()].find((w) => w.state === args.state);
  if (!way) throw new SimError(404, "contact_way_not_found", "no contact way with that config_id or state");
  const candidates = new Set(way.user);
  for (const m of corp.members.values()) {
    if (m.department.some((d) => way.party.includes(d))) candidates.add(m.userid);
  }
  const usable = [...candidates].filter((u) => corp.activeMember(u)?.customerContact);
  let userid = args.userid;
  if (userid !== undefined && !usable.includes(userid)) {
    throw new SimError(400, "member_not_in_contact_way", `${userid} is not a member of this contact way`);
  }
  // A multi-member way hands each customer to one of its members; pick the least loaded.
  userid ??= usable.sort(
    (a, b) => (corp.followsByUser.get(a)?.length ?? 0) - (corp.followsByUser.get(b)?.length ?? 0),
  )[0];
  if (!userid) throw new SimError(409, "no_usable_member", "the contact way has no usable member");
  return add(sandbox, corp, {
    userid,
    state: way.state,
    add_way: 1,
    ...(args.customer ? { customer: args.customer } : {}),
    half: args.half ?? false,
  });
}

/** A member adds a customer directly (search by phone, business card…). */
export function addContact(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { userid: string; customer?: CustomerInput; add_way?: number; state?: string; half?: boolean },
): AddResult {
  return add(sandbox, corp, {
    userid: args.userid,
    state: args.state ?? "",
    add_way: args.add_way ?? 2,
    ...(args.customer ? { customer: args.customer } : {}),
    half: args.half ?? false,
  });
}

/** The customer deletes the member: del_follow_user (churn). */
export function customerDeletesMember(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { userid: string; external_userid: string },
) {
  relationOf(corp, args.userid, args.external_userid);
  corp.removeFollow(args.external_userid, args.userid);
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_contact", "del_follow_user", {
    UserID: args.userid,
    ExternalUserID: args.external_userid,
  });
}

/** The member deletes the customer: del_external_contact. */
export function memberDeletesCustomer(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { userid: string; external_userid: string },
) {
  relationOf(corp, args.userid, args.external_userid);
  corp.removeFollow(args.external_userid, args.userid);
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_contact", "del_external_contact", {
    UserID: args.userid,
    ExternalUserID: args.external_userid,
  });
}

/** The member edits remark, description or corp tags in the client: edit_external_contact. */
export function editContact(
  sandbox: WecomSandbox,
  corp: Corp,
  args: {
    userid: string;
    external_userid: string;
    remark?: string;
    description?: string;
    add_tags?: string[];
    remove_tags?: string[];
  },
) {
  const f = relationOf(corp, args.userid, args.external_userid);
  for (const t of [...(args.add_tags ?? []), ...(args.remove_tags ?? [])]) {
    if (!corp.tag(t)) throw new SimError(404, "tag_not_found", `no corp tag ${t}`);
  }
  if (args.remark !== undefined) f.remark = args.remark;
  if (args.description !== undefined) f.description = args.description;
  if (args.add_tags?.length || args.remove_tags?.length) {
    const remove = args.remove_tags ?? [];
    f.tags = [...new Set([...f.tags.filter((t) => !remove.includes(t)), ...(args.add_tags ?? [])])];
    corp.recordTagMark({
      at: sandbox.clock.seconds(),
      userid: f.userid,
      external_userid: f.external_userid,
      add: args.add_tags ?? [],
      remove,
      via: "client",
    });
  }
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_contact", "edit_external_contact", {
    UserID: args.userid,
    ExternalUserID: args.external_userid,
  });
}

export function addMember(sandbox: WecomSandbox, corp: Corp, input: MemberInput) {
  if (corp.members.has(input.userid))
    throw new SimError(409, "member_exists", `member ${input.userid} exists`);
  const m = memberFrom(input);
  corp.members.set(m.userid, m);
  sandbox.changed(corp);
  return m;
}

/** A member leaves: their customers become "unassigned", their groups await succession. */
export function resignMember(sandbox: WecomSandbox, corp: Corp, userid: string) {
  const m = corp.activeMember(userid);
  if (!m) throw new SimError(404, "member_not_found", `no active member ${userid}`);
  m.status = 5;
  m.resignedAt = sandbox.clock.seconds();
  for (const g of corp.groups.values()) if (g.owner === userid && !g.dismissed) g.status = 1;
  sandbox.changed(corp);
  return m;
}

// ---- customer groups ----

function groupOf(corp: Corp, chatId: string): GroupChat {
  const g = corp.groups.get(chatId);
  if (!g || g.dismissed) throw new SimError(404, "group_not_found", `no group ${chatId}`);
  return g;
}

function groupMember(
  sandbox: WecomSandbox,
  corp: Corp,
  id: string,
  scene: 1 | 2 | 3,
  invitor?: string,
  state?: string,
): GroupMember {
  const member = corp.members.get(id);
  if (member) {
    return {
      userid: id,
      type: 1,
      join_time: sandbox.clock.seconds(),
      join_scene: scene,
      group_nickname: "",
      name: member.name,
    };
  }
  const c = corp.contacts.get(id);
  if (!c) throw new SimError(404, "person_not_found", `${id} is neither a member nor an external contact`);
  return {
    userid: id,
    type: 2,
    ...(c.unionid ? { unionid: c.unionid } : {}),
    join_time: sandbox.clock.seconds(),
    join_scene: scene,
    ...(invitor ? { invitor: { userid: invitor } } : {}),
    group_nickname: "",
    name: c.name,
    ...(state ? { state } : {}),
  };
}

export function createGroup(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { owner: string; name?: string; notice?: string; members?: string[] },
) {
  contactMember(corp, args.owner);
  const g: GroupChat = {
    chat_id: ids.chatId(),
    name: args.name ?? `${corp.members.get(args.owner)?.name ?? ""}的客户群`,
    owner: args.owner,
    create_time: sandbox.clock.seconds(),
    notice: args.notice ?? "",
    member_list: [],
    admin_list: [],
    member_version: "",
    dismissed: false,
    status: 0,
  };
  for (const id of new Set([args.owner, ...(args.members ?? [])])) {
    g.member_list.push(groupMember(sandbox, corp, id, 1, id === args.owner ? undefined : args.owner));
  }
  g.member_version = memberVersion(g);
  corp.groups.set(g.chat_id, g);
  sandbox.changed(corp);
  const callback = sandbox.emit(corp, "change_external_chat", "create", { ChatId: g.chat_id });
  return { chat_id: g.chat_id, callback };
}

/** groupchat/get join_scene (1 invite, 2 link, 3 QR) → event JoinScene (0, 1, 3). */
const eventJoinScene = { 1: 0, 2: 1, 3: 3 } as const;

export function joinGroup(
  sandbox: WecomSandbox,
  corp: Corp,
  chatId: string,
  args: { ids: string[]; join_scene?: 1 | 2 | 3; invitor?: string; state?: string },
) {
  const g = groupOf(corp, chatId);
  const scene = args.join_scene ?? 1;
  const added = args.ids.filter((id) => !g.member_list.some((m) => m.userid === id));
  if (added.length === 0) throw new SimError(409, "already_in_group", "everyone is already in the group");
  const members = added.map((id) =>
    groupMember(sandbox, corp, id, scene, args.invitor ?? g.owner, args.state),
  );
  const last = g.member_version;
  g.member_list.push(...members);
  g.member_version = memberVersion(g);
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_chat", "update", {
    ChatId: g.chat_id,
    UpdateDetail: "add_member",
    JoinScene: eventJoinScene[scene],
    MemChangeCnt: added.length,
    MemChangeList: added,
    LastMemVer: last,
    CurMemVer: g.member_version,
  });
}

export function leaveGroup(
  sandbox: WecomSandbox,
  corp: Corp,
  chatId: string,
  args: { ids: string[]; quit_scene?: 0 | 1 },
) {
  const g = groupOf(corp, chatId);
  const gone = args.ids.filter((id) => g.member_list.some((m) => m.userid === id));
  if (gone.length === 0) throw new SimError(404, "not_in_group", "nobody of those is in the group");
  if (gone.includes(g.owner))
    throw new SimError(400, "owner_cannot_leave", "the owner dismisses the group instead");
  const last = g.member_version;
  g.member_list = g.member_list.filter((m) => !gone.includes(m.userid));
  g.member_version = memberVersion(g);
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_chat", "update", {
    ChatId: g.chat_id,
    UpdateDetail: "del_member",
    QuitScene: args.quit_scene ?? 0,
    MemChangeCnt: gone.length,
    MemChangeList: gone,
    LastMemVer: last,
    CurMemVer: g.member_version,
  });
}

export function updateGroup(
  sandbox: WecomSandbox,
  corp: Corp,
  chatId: string,
  args: { name?: string; notice?: string },
) {
  const g = groupOf(corp, chatId);
  const out: CallbackDelivery[] = [];
  if (args.name !== undefined) {
    g.name = args.name;
    out.push(
      sandbox.emit(corp, "change_external_chat", "update", {
        ChatId: g.chat_id,
        UpdateDetail: "change_name",
      }),
    );
  }
  if (args.notice !== undefined) {
    g.notice = args.notice;
    out.push(
      sandbox.emit(corp, "change_external_chat", "update", {
        ChatId: g.chat_id,
        UpdateDetail: "change_notice",
      }),
    );
  }
  sandbox.changed(corp);
  return out;
}

export function dismissGroup(sandbox: WecomSandbox, corp: Corp, chatId: string) {
  const g = groupOf(corp, chatId);
  g.dismissed = true;
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_chat", "dismiss", { ChatId: g.chat_id });
}

// ---- corp tags edited in the admin console ----

export function consoleCreateTags(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { group_id?: string; group_name?: string; tags: string[] },
) {
  let group: TagGroup | undefined = args.group_id
    ? corp.tagGroups.find((g) => g.group_id === args.group_id)
    : corp.tagGroups.find((g) => g.group_name === args.group_name);
  if (args.group_id && !group)
    throw new SimError(404, "tag_group_not_found", `no tag group ${args.group_id}`);
  if (corp.tagCount() + args.tags.length > corp.settings.tagCap)
    throw new SimError(409, "tag_cap", "corp tag cap reached");
  if (group?.tag.some((t) => args.tags.includes(t.name)))
    throw new SimError(409, "tag_exists", "tag name exists");
  const now = sandbox.clock.seconds();
  const created: Tag[] = args.tags.map((name) => ({
    id: ids.tagId(),
    name,
    create_time: now,
    order: 0,
    deleted: false,
  }));
  const callbacks: CallbackDelivery[] = [];
  if (!group) {
    if (!args.group_name)
      throw new SimError(400, "group_name_required", "group_id or group_name is required");
    group = {
      group_id: ids.tagId(),
      group_name: args.group_name,
      create_time: now,
      order: 0,
      deleted: false,
      tag: created,
    };
    corp.tagGroups.push(group);
    callbacks.push(
      sandbox.emit(corp, "change_external_tag", "create", { Id: group.group_id, TagType: "tag_group" }),
    );
  } else {
    group.tag.push(...created);
    for (const t of created)
      callbacks.push(sandbox.emit(corp, "change_external_tag", "create", { Id: t.id, TagType: "tag" }));
  }
  sandbox.changed(corp);
  return { group_id: group.group_id, tags: created, callbacks };
}

export function consoleRenameTag(sandbox: WecomSandbox, corp: Corp, args: { id: string; name: string }) {
  const group = corp.tagGroups.find((g) => g.group_id === args.id);
  const found = group ? undefined : corp.tag(args.id);
  if (!group && !found) throw new SimError(404, "tag_not_found", `no tag or group ${args.id}`);
  if (group) group.group_name = args.name;
  else if (found) found.tag.name = args.name;
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_tag", "update", {
    Id: args.id,
    TagType: group ? "tag_group" : "tag",
  });
}

export function consoleDeleteTag(sandbox: WecomSandbox, corp: Corp, id: string) {
  const group = corp.tagGroups.find((g) => g.group_id === id);
  const found = group ? undefined : corp.tag(id);
  if (!group && !found) throw new SimError(404, "tag_not_found", `no tag or group ${id}`);
  const removed = new Set(group ? group.tag.map((t) => t.id) : [id]);
  for (const g of corp.tagGroups) g.tag = g.tag.filter((t) => !removed.has(t.id));
  corp.tagGroups = corp.tagGroups.filter((g) => g !== group && g.tag.length > 0);
  for (const list of corp.followsByExternal.values())
    for (const f of list) f.tags = f.tags.filter((t) => !removed.has(t));
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_tag", "delete", {
    Id: id,
    TagType: group ? "tag_group" : "tag",
  });
}

/** Reorders the tags of one group (or all groups when no id): shuffle. */
export function consoleShuffleTags(sandbox: WecomSandbox, corp: Corp, groupId?: string) {
  const groups = groupId ? corp.tagGroups.filter((g) => g.group_id === groupId) : corp.tagGroups;
  if (groupId && groups.length === 0)
    throw new SimError(404, "tag_group_not_found", `no tag group ${groupId}`);
  for (const g of groups) {
    g.tag.reverse();
    for (const [i, t] of g.tag.entries()) t.order = i;
  }
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_tag", "shuffle", groupId ? { Id: groupId } : {});
}

// ---- mass messages and transfers ----

/** A member confirms a mass-message task in the client: each target gets sent, or fails. */
export function confirmMassMessage(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { msgid: string; userid: string },
) {
  const m = corp.massMessages.get(args.msgid);
  if (!m) throw new SimError(404, "msg_not_found", `no mass message ${args.msgid}`);
  const task = m.tasks.find((t) => t.userid === args.userid);
  if (!task) throw new SimError(404, "task_not_found", `${args.userid} has no task in ${args.msgid}`);
  if (task.status === 2) throw new SimError(409, "already_sent", "the task was already confirmed");
  const now = sandbox.clock.seconds();
  const month = new Date(sandbox.clock.now()).toISOString().slice(0, 7);
  task.status = 2;
  task.send_time = now;
  const counts = { sent: 0, not_friend: 0, over_cap: 0 };
  for (const s of m.sends) {
    if (s.userid !== args.userid || s.status !== 0) continue;
    s.send_time = now;
    if (s.chat_id) {
      const g = corp.groups.get(s.chat_id);
      s.status = g && !g.dismissed ? 1 : 2;
    } else if (s.external_userid) {
      if (!corp.follow(s.external_userid, args.userid)) {
        s.status = 2;
      } else {
        const key = `${s.external_userid}|${month}`;
        const n = corp.monthlySends.get(key) ?? 0;
        if (m.create_type === 0 && n >= corp.settings.monthlyMassMessageCap) s.status = 3;
        else {
          s.status = 1;
          corp.monthlySends.set(key, n + 1);
        }
      }
    }
    if (s.status === 1) counts.sent++;
    else if (s.status === 2) counts.not_friend++;
    else counts.over_cap++;
  }
  sandbox.changed(corp);
  return counts;
}

/** The customer refuses an on-job transfer inside the 24 h window: transfer_fail. */
export function refuseTransfer(
  sandbox: WecomSandbox,
  corp: Corp,
  args: { external_userid: string; handover_userid?: string },
) {
  const t = corp.transfers.find(
    (x) =>
      x.status === 2 &&
      x.external_userid === args.external_userid &&
      (!args.handover_userid || x.handover_userid === args.handover_userid),
  );
  if (!t) throw new SimError(404, "transfer_not_found", "no waiting transfer for that customer");
  t.status = 3;
  sandbox.changed(corp);
  return sandbox.emit(corp, "change_external_contact", "transfer_fail", {
    UserID: t.takeover_userid,
    ExternalUserID: t.external_userid,
    FailReason: "customer_refused",
  });
}

// ---- bulk seeding ----

export interface SeedInput {
  count: number;
  /** Members to spread the customers over (default: every member with customer contact). */
  userids?: string[];
  /** Give each customer this many corp tags (a tag group is created if the corp has none). */
  tagsPerContact?: number;
  state?: string;
}

/** Creates many customers at once, without callbacks (a corp that already had them). */
export function seedContacts(sandbox: WecomSandbox, corp: Corp, input: SeedInput) {
  const started = performance.now();
  const users =
    input.userids ??
    [...corp.members.values()].filter((m) => m.status === 1 && m.customerContact).map((m) => m.userid);
  if (users.length === 0)
    throw new SimError(409, "no_usable_member", "no member with customer contact to seed onto");
  for (const u of users) contactMember(corp, u);
  const perContact = input.tagsPerContact ?? 0;
  if (perContact > 0 && corp.tagCount() === 0) {
    const now = sandbox.clock.seconds();
    corp.tagGroups.push({
      group_id: ids.tagId(),
      group_name: "客户等级",
      create_time: now,
      order: 0,
      deleted: false,
      tag: ["潜在客户", "意向客户", "成交客户", "VIP", "流失预警", "老客户"].map((name) => ({
        id: ids.tagId(),
        name,
        create_time: now,
        order: 0,
        deleted: false,
      })),
    });
  }
  const tagIds = corp.tagGroups.flatMap((g) => g.tag.map((t) => t.id));
  const now = sandbox.clock.seconds();
  for (let i = 0; i < input.count; i++) {
    const c = customer(corp);
    const tags: string[] = [];
    for (let k = 0; k < Math.min(perContact, tagIds.length); k++)
      tags.push(tagIds[(i + k * 7) % tagIds.length]!);
    corp.addFollow({
      userid: users[i % users.length]!,
      external_userid: c.external_userid,
      remark: "",
      description: "",
      createtime: now - (i % 86400),
      tags: [...new Set(tags)],
      state: input.state ?? "",
      add_way: 1,
      oper_userid: c.external_userid,
      remark_corp_name: "",
      remark_mobiles: [],
    });
  }
  sandbox.changed(corp);
  return { created: input.count, ms: Math.round(performance.now() - started) };
}

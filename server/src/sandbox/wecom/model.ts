/** The simulator's record of one corp. Field names follow WeCom's JSON so answers are copies. */

export interface Department {
  id: number;
  name: string;
  name_en: string;
  parentid: number;
  order: number;
}

export interface Member {
  userid: string;
  name: string;
  department: number[];
  position: string;
  mobile: string;
  gender: "0" | "1" | "2";
  email: string;
  /** 1 active, 5 resigned (WeCom's `status`). */
  status: 1 | 5;
  /** Member is in the customer-contact scope (客户联系使用范围). */
  customerContact: boolean;
  /** userids of the member's direct leaders (WeCom's `direct_leader`, 直属上级). */
  directLeader?: string[];
  /** Seconds; set when the member left. */
  resignedAt?: number;
}

export interface ExternalContact {
  external_userid: string;
  name: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: 1 | 2;
  gender: 0 | 1 | 2;
  avatar: string;
  unionid?: string;
  corp_name?: string;
  corp_full_name?: string;
  position?: string;
}

export interface Follow {
  /** Insertion order, the basis of paging cursors. */
  seq: number;
  userid: string;
  external_userid: string;
  remark: string;
  description: string;
  createtime: number;
  /** Corp tag ids. */
  tags: string[];
  state: string;
  add_way: number;
  oper_userid: string;
  remark_corp_name: string;
  remark_mobiles: string[];
}

export interface Tag {
  id: string;
  name: string;
  create_time: number;
  order: number;
  deleted: boolean;
}

export interface TagGroup {
  group_id: string;
  group_name: string;
  create_time: number;
  order: number;
  deleted: boolean;
  tag: Tag[];
}

export interface ContactWay {
  config_id: string;
  type: 1 | 2;
  scene: 1 | 2;
  style: number;
  remark: string;
  skip_verify: boolean;
  state: string;
  qr_code?: string;
  user: string[];
  party: number[];
  is_temp: boolean;
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  conclusions?: unknown;
  /** Seconds. */
  create_time: number;
}

export interface GroupMember {
  userid: string;
  /** 1 corp member, 2 external contact. */
  type: 1 | 2;
  unionid?: string;
  join_time: number;
  /** 1 direct invite, 2 invite link, 3 scanned the group QR code (groupchat/get codes). */
  join_scene: 1 | 2 | 3;
  invitor?: { userid: string };
  group_nickname: string;
  name: string;
  state?: string;
}

export interface GroupChat {
  chat_id: string;
  name: string;
  owner: string;
  create_time: number;
  notice: string;
  member_list: GroupMember[];
  admin_list: Array<{ userid: string }>;
  member_version: string;
  dismissed: boolean;
  /** groupchat/list `status`: 0 normal, 1 resigned owner pending, 2 in progress, 3 done. */
  status: 0 | 1 | 2 | 3;
}

export interface MassMessageTask {
  userid: string;
  /** 0 not sent, 2 sent. */
  status: 0 | 2;
  send_time?: number;
}

export interface MassMessageSend {
  external_userid?: string;
  chat_id?: string;
  userid: string;
  /** 0 not sent, 1 sent, 2 not a friend, 3 customer already received a mass message (cap). */
  status: 0 | 1 | 2 | 3;
  send_time?: number;
}

export interface MassMessage {
  msgid: string;
  chat_type: "single" | "group";
  creator: string;
  /** 0 created by the corp (API), 1 by a member. */
  create_type: 0 | 1;
  create_time: number;
  text?: { content: string };
  attachments: unknown[];
  tasks: MassMessageTask[];
  sends: MassMessageSend[];
}

export interface Transfer {
  kind: "onjob" | "resigned";
  handover_userid: string;
  takeover_userid: string;
  external_userid: string;
  /** 1 done, 2 waiting, 3 refused, 4 takeover over quota, 5 no record. */
  status: 1 | 2 | 3 | 4 | 5;
  /** Milliseconds of the simulator clock. */
  started_at: number;
  takeover_time?: number;
  transfer_success_msg?: string;
}

export interface MomentTask {
  jobid: string;
  /** Milliseconds of the simulator clock. */
  created_at: number;
  moment_id: string;
  text?: { content: string };
  attachments: unknown[];
  invalid_sender_list: { user_list: string[]; department_list: number[] };
  invalid_external_contact_list: { tag_list: string[] };
}

export interface WelcomeCodeRecord {
  code: string;
  userid: string;
  external_userid: string;
  /** Milliseconds of the simulator clock. */
  expires_at: number;
  used: boolean;
}

/** A welcome message WeCom would have shown the customer: recorded for inspection. */
export interface WelcomeDelivery {
  welcome_code: string;
  userid: string;
  external_userid: string;
  text?: { content: string };
  attachments: unknown[];
  sent_at: number;
}

export interface TagMark {
  at: number;
  userid: string;
  external_userid: string;
  add: string[];
  remove: string[];
  via: "api" | "client";
}

export interface CallbackConfig {
  url: string;
  token: string;
  encodingAesKey: string;
}

/** What is persisted per corp. */
export interface CorpData {
  corpId: string;
  corpName: string;
  agentId: number;
  appSecret: string;
  contactSecret: string;
  callback?: CallbackConfig;
  departments: Department[];
  members: Member[];
  contacts: ExternalContact[];
  follows: Follow[];
  tagGroups: TagGroup[];
  contactWays: ContactWay[];
  groups: GroupChat[];
  massMessages: MassMessage[];
  transfers: Transfer[];
  moments: MomentTask[];
  welcomeDeliveries: WelcomeDelivery[];
  tagMarks: TagMark[];
  seq: number;
  /** Mass messages a customer received per natural month, `external_userid|yyyy-mm` → count. */
  monthlySends: Array<[string, number]>;
  settings: CorpSettings;
}

export interface CorpSettings {
  /** Corp mass messages one customer may receive per natural month (WeCom: 4). */
  monthlyMassMessageCap: number;
  /** Corp tag cap (WeCom: 10,000). */
  tagCap: number;
  /** Customers per member before transfers answer status 4. */
  customersPerMember: number;
}

export const defaultSettings: CorpSettings = {
  monthlyMassMessageCap: 4,
  tagCap: 10_000,
  customersPerMember: 50_000,
};

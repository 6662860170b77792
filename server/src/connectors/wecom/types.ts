/**
 * WeCom wire types: request and answer bodies exactly as on the wire (snake_case), so the module
 * that maps them to our events can be checked against the docs field by field
 * (protocols/wecom.md §3). Optional marks what WeCom omits in some answers or accepts omitted.
 */

import type { Logger } from "../../platform/logger.ts";
import type { RateLimiter } from "../../platform/ratelimit/index.ts";
import type { LimitOptions, RetryOptions } from "../shared/api-client.ts";
import type { BreakerOptions } from "../shared/circuit-breaker.ts";

// ── client options ────────────────────────────────────────────────────────────────────────────

export interface WecomClientOptions {
  /** Origin the `/cgi-bin/...` paths go under: `https://qyapi.weixin.qq.com` or a sandbox origin. */
  apiBase: string;
  corpId: string;
  /** App secret or 客户联系 secret; one client per (corp, secret) because each secret has its own token. */
  secret: string;
  /** Shared limiter (Platform.limits) so a cluster keeps one budget; default: in-process memory. */
  limiter?: RateLimiter;
  /** Per-corp / per-API limits; replaces `wecomDefaultLimits` (5,000/min per API, 20,000/min per corp). */
  limits?: LimitOptions;
  /** Per HTTP exchange, ms. Default 10,000. */
  timeoutMs?: number;
  log?: Logger;
  retry?: Partial<RetryOptions>;
  breaker?: Partial<BreakerOptions>;
}

/** Every answer carries these; the client throws WecomApiError when errcode ≠ 0. */
export interface WecomResponse {
  errcode: number;
  errmsg: string;
}

/** Paged answers: empty or absent `next_cursor` means the last page. */
export interface WecomPage {
  next_cursor?: string;
}

// ── org (通讯录) ───────────────────────────────────────────────────────────────────────────────

export interface WecomDepartment {
  id: number;
  name?: string;
  name_en?: string;
  department_leader?: string[];
  parentid: number;
  order?: number;
}
export interface DepartmentListResponse extends WecomResponse {
  department: WecomDepartment[];
}

export interface WecomUser {
  userid: string;
  name?: string;
  department?: number[];
  order?: number[];
  position?: string;
  mobile?: string;
  gender?: string;
  email?: string;
  biz_mail?: string;
  is_leader_in_dept?: number[];
  direct_leader?: string[];
  avatar?: string;
  thumb_avatar?: string;
  telephone?: string;
  alias?: string;
  /** 1 active, 2 disabled, 4 not activated, 5 left the corp. */
  status?: number;
  main_department?: number;
  open_userid?: string;
  qr_code?: string;
  external_position?: string;
}
export interface UserListResponse extends WecomResponse {
  userlist: WecomUser[];
}
export type UserGetResponse = WecomResponse & WecomUser;

// ── external contacts (客户) ───────────────────────────────────────────────────────────────────

export interface ExternalAttr {
  /** 0 text, 1 web, 2 mini program. */
  type: number;
  name: string;
  text?: { value: string };
  web?: { url: string; title: string };
  miniprogram?: { appid: string; pagepath: string; title: string };
}

export interface ExternalContact {
  /** `wo…`/`wm…`; `wb…` is a robot. */
  external_userid: string;
  name: string;
  position?: string;
  avatar?: string;
  corp_name?: string;
  corp_full_name?: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: number;
  /** 0 unknown, 1 male, 2 female. */
  gender?: number;
  unionid?: string;
  external_profile?: { external_attr?: ExternalAttr[] };
}

export interface FollowUserTag {
  group_name?: string;
  tag_name?: string;
  tag_id?: string;
  /** 1 corp tag, 2 personal tag, 3 rule-group tag. */
  type: number;
}

/** `follow_user[]` of externalcontact/get. */
export interface FollowUser {
  userid: string;
  remark?: string;
  description?: string;
  /** Seconds since epoch. */
  createtime: number;
  tags?: FollowUserTag[];
  remark_corp_name?: string;
  remark_mobiles?: string[];
  oper_userid?: string;
  /** See protocols/wecom.md §3.1 for the codes. */
  add_way?: number;
  /** Contact-way `state` the customer came through (our channel key). */
  state?: string;
  wechat_channels?: { nickname?: string; source?: number };
}

/** `follow_info` of batch/get_by_user: like FollowUser but tags are bare ids. */
export interface FollowInfo extends Omit<FollowUser, "tags"> {
  tag_id?: string[];
}

export interface FollowUserListResponse extends WecomResponse {
  follow_user: string[];
}
export interface ExternalContactListResponse extends WecomResponse {
  external_userid: string[];
}
export interface ExternalContactGetResponse extends WecomResponse, WecomPage {
  external_contact: ExternalContact;
  /** At most 500 per page; continue with `next_cursor`. */
  follow_user: FollowUser[];
}
/** externalcontact/get with every follow_user page merged. */
export interface ExternalContactDetail {
  external_contact: ExternalContact;
  follow_user: FollowUser[];
}

export interface BatchGetByUserRequest {
  /** ≤ 100 userids. */
  userid_list: string[];
  cursor?: string;
  /** 1..100, default 50. */
  limit?: number;
}
export interface BatchExternalContact {
  external_contact: ExternalContact;
  follow_info: FollowInfo;
}
export interface BatchGetByUserResponse extends WecomResponse, WecomPage {
  external_contact_list: BatchExternalContact[];
  fail_info?: { unlicensed_userid_list?: string[] };
}

export interface RemarkRequest {
  userid: string;
  external_userid: string;
  /** ≤ 20 chars. */
  remark?: string;
  /** ≤ 150 chars. */
  description?: string;
  /** ≤ 20 chars, WeChat customers only. */
  remark_company?: string;
  /** `[""]` clears. */
  remark_mobiles?: string[];
  remark_pic_mediaid?: string;
}

// ── message content shared by welcome, mass message, contact-way conclusions ─────────────────────

export interface TextContent {
  /** ≤ 4000 bytes. */
  content: string;
}
export interface ImageContent {
  media_id?: string;
  pic_url?: string;
}
export interface LinkContent {
  /** ≤ 128 chars. */
  title: string;
  picurl?: string;
  /** ≤ 512 chars. */
  desc?: string;
  url: string;
}
export interface MiniprogramContent {
  /** ≤ 64 chars. */
  title: string;
  pic_media_id: string;
  appid: string;
  page: string;
}
export type Attachment =
  | { msgtype: "image"; image: ImageContent }
  | { msgtype: "link"; link: LinkContent }
  | { msgtype: "miniprogram"; miniprogram: MiniprogramContent }
  | { msgtype: "video"; video: { media_id: string } }
  | { msgtype: "file"; file: { media_id: string } };

export interface SendWelcomeMsgRequest {
  /** From the add_external_contact event; valid 20 s, single use. */
  welcome_code: string;
  text?: TextContent;
  /** ≤ 9. */
  attachments?: Attachment[];
}

// ── contact ways (联系我) ─────────────────────────────────────────────────────────────────────

export interface Conclusions {
  text?: TextContent;
  image?: ImageContent;
  link?: LinkContent;
  miniprogram?: MiniprogramContent;
}

export interface ContactWayFields {
  style?: number;
  /** ≤ 30 chars. */
  remark?: string;
  /** Default true. */
  skip_verify?: boolean;
  /** ≤ 30 chars: our channel key, echoed in add_external_contact `State`. */
  state?: string;
  user?: string[];
  party?: number[];
  /** Temp QR lifetime s (default 604800, max 1209600). */
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  conclusions?: Conclusions;
}
export interface AddContactWayRequest extends ContactWayFields {
  /** 1 single member (exactly one `user`), 2 multiple. */
  type: 1 | 2;
  /** 1 mini program, 2 QR code. */
  scene: 1 | 2;
  is_temp?: boolean;
  is_exclusive?: boolean;
  mark_source?: boolean;
}
export interface AddContactWayResponse extends WecomResponse {
  config_id: string;
  /** Scene 2 only. */
  qr_code?: string;
}
export interface ContactWay extends ContactWayFields {
  config_id: string;
  type: number;
  scene: number;
  qr_code?: string;
  is_temp?: boolean;
  is_exclusive?: boolean;
  mark_source?: boolean;
}
export interface GetContactWayResponse extends WecomResponse {
  contact_way: ContactWay;
}
/** Lists given here replace the stored ones. */
export interface UpdateContactWayRequest extends ContactWayFields {
  config_id: string;
}

// ── corp tags (企业标签) ──────────────────────────────────────────────────────────────────────

export interface CorpTag {
  id: string;
  name: string;
  create_time?: number;
  order?: number;
  deleted?: boolean;
}
export interface CorpTagGroup {
  group_id: string;
  group_name: string;
  create_time?: number;
  order?: number;
  deleted?: boolean;
  tag: CorpTag[];
}
export interface GetCorpTagListRequest {
  /** Both empty = all. */
  tag_id?: string[];
  group_id?: string[];
}
export interface GetCorpTagListResponse extends WecomResponse {
  tag_group: CorpTagGroup[];
}
export interface AddCorpTagRequest {
  /** Either an existing group_id, or group_name (≤ 30) to create one. */
  group_id?: string;
  group_name?: string;
  order?: number;
  tag: { name: string; order?: number }[];
  agentid?: number;
}
export interface AddCorpTagResponse extends WecomResponse {
  tag_group: CorpTagGroup;
}
export interface EditCorpTagRequest {
  /** Tag id or group id. */
  id: string;
  name?: string;
  order?: number;
  agentid?: number;
}
export interface DelCorpTagRequest {
  tag_id?: string[];
  group_id?: string[];
  agentid?: number;
}
export interface MarkTagRequest {
  userid: string;
  external_userid: string;
  add_tag?: string[];
  remove_tag?: string[];
}

// ── mass messages (群发) ──────────────────────────────────────────────────────────────────────

export interface AddMsgTemplateRequest {
  /** Default `single`. */
  chat_type?: "single" | "group";
  external_userid?: string[];
  chat_id_list?: string[];
  tag_filter?: { group_list: { tag_list: string[] }[] };
  /** Required for `group`. */
  sender?: string;
  allow_select?: boolean;
  text?: TextContent;
  /** ≤ 9. */
  attachments?: Attachment[];
}
export interface AddMsgTemplateResponse extends WecomResponse {
  fail_list?: string[];
  msgid: string;
}
export interface GetGroupMsgListV2Request {
  chat_type: "single" | "group";
  start_time: number;
  end_time: number;
  creator?: string;
  /** 0 corp, 1 personal, 2 all. */
  filter_type?: number;
  /** ≤ 100, default 50. */
  limit?: number;
  cursor?: string;
}
export interface GroupMsg {
  msgid: string;
  creator?: string;
  create_time: string | number;
  /** 0 corp, 1 personal. */
  create_type: number;
  text?: TextContent;
  attachments?: Attachment[];
}
export interface GetGroupMsgListV2Response extends WecomResponse, WecomPage {
  group_msg_list: GroupMsg[];
}
export interface GetGroupMsgTaskRequest {
  msgid: string;
  /** ≤ 1000. */
  limit?: number;
  cursor?: string;
}
export interface GroupMsgTask {
  userid: string;
  /** 0 not sent, 2 sent. */
  status: number;
  send_time?: number;
}
export interface GetGroupMsgTaskResponse extends WecomResponse, WecomPage {
  task_list: GroupMsgTask[];
}
export interface GetGroupMsgSendResultRequest {
  msgid: string;
  userid: string;
  /** ≤ 1000. */
  limit?: number;
  cursor?: string;
}
export interface GroupMsgSendResult {
  external_userid?: string;
  chat_id?: string;
  userid: string;
  /** 0 not sent, 1 sent, 2 not a friend, 3 already received another mass message. */
  status: number;
  send_time?: number;
}
export interface GetGroupMsgSendResultResponse extends WecomResponse, WecomPage {
  send_list: GroupMsgSendResult[];
}

// ── customer groups (客户群) ──────────────────────────────────────────────────────────────────

export interface GroupChatListRequest {
  /** 0 all, 1 resigned pending, 2 resigned in progress, 3 resigned done. */
  status_filter?: number;
  owner_filter?: { userid_list: string[] };
  cursor?: string;
  /** 1..1000, required. */
  limit: number;
}
export interface GroupChatListResponse extends WecomResponse, WecomPage {
  group_chat_list: { chat_id: string; status: number }[];
}
export interface GroupChatMember {
  userid: string;
  /** 1 member, 2 external contact. */
  type: number;
  unionid?: string;
  join_time: number;
  /** 1 direct invite, 2 invite link, 3 scanned group QR (differs from the event's 0/1/3). */
  join_scene: number;
  invitor?: { userid: string };
  group_nickname?: string;
  name?: string;
  state?: string;
}
export interface GroupChat {
  chat_id: string;
  name?: string;
  owner: string;
  create_time: number;
  notice?: string;
  member_list: GroupChatMember[];
  admin_list?: { userid: string }[];
  member_version?: string;
}
export interface GroupChatGetResponse extends WecomResponse {
  group_chat: GroupChat;
}

// ── succession (继承) ─────────────────────────────────────────────────────────────────────────

export interface TransferCustomerRequest {
  handover_userid: string;
  takeover_userid: string;
  /** ≤ 100. */
  external_userid: string[];
  /** ≤ 200 chars; on-job transfer only. */
  transfer_success_msg?: string;
}
export interface TransferCustomerResponse extends WecomResponse {
  /** errcode 0 only means the transfer started. */
  customer: { external_userid: string; errcode: number }[];
}
export interface TransferResultRequest {
  handover_userid: string;
  takeover_userid: string;
  cursor?: string;
}
export interface TransferResultResponse extends WecomResponse, WecomPage {
  /** status 1 done, 2 waiting, 3 refused, 4 takeover over quota, 5 no record. */
  customer: { external_userid: string; status: number; takeover_time?: number }[];
}
export interface GetUnassignedListRequest {
  cursor?: string;
  /** ≤ 1000, default 1000. */
  page_size?: number;
}
export interface GetUnassignedListResponse extends WecomResponse, WecomPage {
  info: { handover_userid: string; external_userid: string; dimission_time: number }[];
  is_last?: boolean;
}
export interface GroupChatTransferRequest {
  chat_id_list: string[];
  new_owner: string;
}
export interface GroupChatTransferResponse extends WecomResponse {
  failed_chat_list?: { chat_id: string; errcode: number; errmsg: string }[];
}

// ── moments (客户朋友圈) ──────────────────────────────────────────────────────────────────────

export type MomentAttachment =
  | { msgtype: "image"; image: { media_id: string } }
  | { msgtype: "video"; video: { media_id: string } }
  | { msgtype: "link"; link: { title?: string; url: string; media_id: string } };

export interface AddMomentTaskRequest {
  text?: TextContent;
  /** Up to 9 images, or 1 video, or 1 link. */
  attachments?: MomentAttachment[];
  visible_range?: {
    sender_list?: { user_list?: string[]; department_list?: number[] };
    external_contact_list?: { tag_list?: string[] };
  };
}
export interface AddMomentTaskResponse extends WecomResponse {
  /** Valid 24 h; poll get_moment_task_result. */
  jobid: string;
}
export interface GetMomentTaskResultResponse extends WecomResponse {
  /** 1 started, 2 running, 3 done. */
  status: number;
  type: string;
  result?: {
    errcode: number;
    errmsg: string;
    moment_id?: string;
    invalid_sender_list?: { user_list?: string[]; department_list?: number[] };
    invalid_external_contact_list?: { tag_list?: string[] };
  };
}

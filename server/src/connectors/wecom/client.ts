import {
  type ApiClient,
  type CallOptions,
  createApiClient,
  type HttpMethod,
  type LimitOptions,
} from "../shared/api-client.ts";
import type { BreakerState } from "../shared/circuit-breaker.ts";
import { paginate } from "../shared/paginate.ts";
import { WecomApiError, wecomErrcodes } from "./errors.ts";
import type * as W from "./types.ts";

const c = wecomErrcodes;

/**
 * Stays under WeCom's documented 10,000 calls/min per corp per API, leaving room for other tools.
 * `options.limits` replaces these as a whole; spread them to change one.
 */
export const wecomDefaultLimits: LimitOptions = {
  perApi: { limit: 5_000, windowMs: 60_000 },
  perAccount: { limit: 20_000, windowMs: 60_000 },
};

/** Per-call options of the typed methods (an iterator applies them to every page). */
export interface RequestOptions {
  /** Stops waiting and retrying (e.g. a welcome_code's 20 s life). */
  signal?: AbortSignal;
}

export interface WecomClient {
  readonly corpId: string;
  /** Any WeCom API: `path` is under apiBase, e.g. `/cgi-bin/externalcontact/get`. */
  call<T extends object = W.WecomResponse>(
    method: HttpMethod,
    path: string,
    options?: CallOptions,
  ): Promise<T>;
  accessToken(signal?: AbortSignal): Promise<string>;
  invalidateToken(): void;
  breakerState(): BreakerState;

  org: {
    /** All departments, or `id` and its sub-departments. */
    departments(id?: number, opts?: RequestOptions): Promise<W.DepartmentListResponse>;
    /** Members directly in a department (detail). */
    users(departmentId: number, opts?: RequestOptions): Promise<W.UserListResponse>;
    user(userid: string, opts?: RequestOptions): Promise<W.UserGetResponse>;
  };
  externalContact: {
    /** get_follow_user_list: members with 客户联系 enabled. */
    followUsers(opts?: RequestOptions): Promise<W.FollowUserListResponse>;
    list(userid: string, opts?: RequestOptions): Promise<W.ExternalContactListResponse>;
    /** One page of follow_user (≤ 500); pass `next_cursor` for the next. */
    get(
      externalUserId: string,
      cursor?: string,
      opts?: RequestOptions,
    ): Promise<W.ExternalContactGetResponse>;
    /** externalcontact/get with all follow_user pages merged. */
    getAll(externalUserId: string, opts?: RequestOptions): Promise<W.ExternalContactDetail>;
    batchGetByUser(req: W.BatchGetByUserRequest, opts?: RequestOptions): Promise<W.BatchGetByUserResponse>;
    /** Every (customer, follow_info) of the given members; chunks userids by 100 and follows cursors. */
    iterateByUsers(
      userids: readonly string[],
      limit?: number,
      opts?: RequestOptions,
    ): AsyncGenerator<W.BatchExternalContact>;
    remark(req: W.RemarkRequest, opts?: RequestOptions): Promise<W.WecomResponse>;
    sendWelcomeMsg(req: W.SendWelcomeMsgRequest, opts?: RequestOptions): Promise<W.WecomResponse>;
  };
  contactWay: {
    add(req: W.AddContactWayRequest, opts?: RequestOptions): Promise<W.AddContactWayResponse>;
    get(configId: string, opts?: RequestOptions): Promise<W.GetContactWayResponse>;
    update(req: W.UpdateContactWayRequest, opts?: RequestOptions): Promise<W.WecomResponse>;
    delete(configId: string, opts?: RequestOptions): Promise<W.WecomResponse>;
  };
  tags: {
    list(req?: W.GetCorpTagListRequest, opts?: RequestOptions): Promise<W.GetCorpTagListResponse>;
    add(req: W.AddCorpTagRequest, opts?: RequestOptions): Promise<W.AddCorpTagResponse>;
    edit(req: W.EditCorpTagRequest, opts?: RequestOptions): Promise<W.WecomResponse>;
    delete(req: W.DelCorpTagRequest, opts?: RequestOptions): Promise<W.WecomResponse>;
    /** mark_tag on one (member, customer) relation. */
    mark(req: W.MarkTagRequest, opts?: RequestOptions): Promise<W.WecomResponse>;
  };
  massMessage: {
    add(req: W.AddMsgTemplateRequest, opts?: RequestOptions): Promise<W.AddMsgTemplateResponse>;
    list(req: W.GetGroupMsgListV2Request, opts?: RequestOptions): Promise<W.GetGroupMsgListV2Response>;
    iterateList(
      req: Omit<W.GetGroupMsgListV2Request, "cursor">,
      opts?: RequestOptions,
    ): AsyncGenerator<W.GroupMsg>;
    tasks(req: W.GetGroupMsgTaskRequest, opts?: RequestOptions): Promise<W.GetGroupMsgTaskResponse>;
    iterateTasks(
      req: Omit<W.GetGroupMsgTaskRequest, "cursor">,
      opts?: RequestOptions,
    ): AsyncGenerator<W.GroupMsgTask>;
    sendResult(
      req: W.GetGroupMsgSendResultRequest,
      opts?: RequestOptions,
    ): Promise<W.GetGroupMsgSendResultResponse>;
    iterateSendResult(
      req: Omit<W.GetGroupMsgSendResultRequest, "cursor">,
      opts?: RequestOptions,
    ): AsyncGenerator<W.GroupMsgSendResult>;
  };
  groupChat: {
    list(req: W.GroupChatListRequest, opts?: RequestOptions): Promise<W.GroupChatListResponse>;
    iterate(
      req: Omit<W.GroupChatListRequest, "cursor">,
      opts?: RequestOptions,
    ): AsyncGenerator<{ chat_id: string; status: number }>;
    get(chatId: string, needName?: boolean, opts?: RequestOptions): Promise<W.GroupChatGetResponse>;
  };
  transfer: {
    /** On-job transfer (transfer_customer). */
    customer(req: W.TransferCustomerRequest, opts?: RequestOptions): Promise<W.TransferCustomerResponse>;
    result(req: W.TransferResultRequest, opts?: RequestOptions): Promise<W.TransferResultResponse>;
    unassigned(req?: W.GetUnassignedListRequest, opts?: RequestOptions): Promise<W.GetUnassignedListResponse>;
    iterateUnassigned(
      pageSize?: number,
      opts?: RequestOptions,
    ): AsyncGenerator<W.GetUnassignedListResponse["info"][number]>;
    resignedCustomer(
      req: Omit<W.TransferCustomerRequest, "transfer_success_msg">,
      opts?: RequestOptions,
    ): Promise<W.TransferCustomerResponse>;
    resignedResult(req: W.TransferResultRequest, opts?: RequestOptions): Promise<W.TransferResultResponse>;
    /** groupchat/transfer: groups of a resigned owner. */
    groupChats(req: W.GroupChatTransferRequest, opts?: RequestOptions): Promise<W.GroupChatTransferResponse>;
  };
  moments: {
    addTask(req: W.AddMomentTaskRequest, opts?: RequestOptions): Promise<W.AddMomentTaskResponse>;
    taskResult(jobid: string, opts?: RequestOptions): Promise<W.GetMomentTaskResultResponse>;
  };
}

const api = (name: string) => `/cgi-bin/${name}`;
const ec = (name: string) => api(`externalcontact/${name}`);

export function createWecomClient(options: W.WecomClientOptions): WecomClient {
  const core: ApiClient = createApiClient({
    platform: "wecom",
    apiBase: options.apiBase,
    // Keyed by corp: the app secret and the 客户联系 secret of one corp share its breaker and budget.
    account: options.corpId,
    secret: options.secret,
    token: {
      method: "GET",
      path: api("gettoken"),
      query: { corpid: options.corpId, corpsecret: options.secret },
    },
    errcodes: {
      tokenInvalid: [c.invalidAccessToken, c.accessTokenExpired, c.invalidCredential],
      retry: [c.systemBusy, c.tooManyConcurrent],
      throttled: [c.frequencyExceeded],
    },
    limiter: options.limiter,
    limits: options.limits ?? wecomDefaultLimits,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    breaker: options.breaker,
    log: options.log,
    createError: (init) => new WecomApiError(init),
  });

  const get = <T extends object>(path: string, query: CallOptions["query"], opts?: RequestOptions) =>
    core.call<T>("GET", path, { query, signal: opts?.signal });
  const post = <T extends object>(path: string, body: unknown, opts?: RequestOptions) =>
    core.call<T>("POST", path, { body, signal: opts?.signal });

  const externalContact: WecomClient["externalContact"] = {
    followUsers: (opts) => get(ec("get_follow_user_list"), {}, opts),
    list: (userid, opts) => get(ec("list"), { userid }, opts),
    get: (externalUserId, cursor, opts) => get(ec("get"), { external_userid: externalUserId, cursor }, opts),
    async getAll(externalUserId, opts) {
      const first = await externalContact.get(externalUserId, undefined, opts);
      const follow = [...first.follow_user];
      let cursor = first.next_cursor;
      while (cursor) {
        const page = await externalContact.get(externalUserId, cursor, opts);
        follow.push(...page.follow_user);
        cursor = page.next_cursor && page.next_cursor !== cursor ? page.next_cursor : undefined;
      }
      return { external_contact: first.external_contact, follow_user: follow };
    },
    batchGetByUser: (req, opts) => post(ec("batch/get_by_user"), req, opts),
    async *iterateByUsers(userids, limit = 100, opts) {
      // The API takes at most 100 userids per call; cursors are per userid_list, so chunk first.
      for (let i = 0; i < userids.length; i += 100) {
        const userid_list = userids.slice(i, i + 100);
        yield* paginate(
          (cursor) => externalContact.batchGetByUser({ userid_list, cursor, limit }, opts),
          (page) => page.external_contact_list,
        );
      }
    },
    remark: (req, opts) => post(ec("remark"), req, opts),
    sendWelcomeMsg: (req, opts) => post(ec("send_welcome_msg"), req, opts),
  };

  const massMessage: WecomClient["massMessage"] = {
    add: (req, opts) => post(ec("add_msg_template"), req, opts),
    list: (req, opts) => post(ec("get_groupmsg_list_v2"), req, opts),
    iterateList: (req, opts) =>
      paginate(
        (cursor) => massMessage.list({ ...req, cursor }, opts),
        (p) => p.group_msg_list,
      ),
    tasks: (req, opts) => post(ec("get_groupmsg_task"), req, opts),
    iterateTasks: (req, opts) =>
      paginate(
        (cursor) => massMessage.tasks({ ...req, cursor }, opts),
        (p) => p.task_list,
      ),
    sendResult: (req, opts) => post(ec("get_groupmsg_send_result"), req, opts),
    iterateSendResult: (req, opts) =>
      paginate(
        (cursor) => massMessage.sendResult({ ...req, cursor }, opts),
        (p) => p.send_list,
      ),
  };

  const groupChat: WecomClient["groupChat"] = {
    list: (req, opts) => post(ec("groupchat/list"), req, opts),
    iterate: (req, opts) =>
      paginate(
        (cursor) => groupChat.list({ ...req, cursor }, opts),
        (p) => p.group_chat_list,
      ),
    get: (chatId, needName = false, opts) =>
      post(ec("groupchat/get"), { chat_id: chatId, need_name: needName ? 1 : 0 }, opts),
  };

  const transfer: WecomClient["transfer"] = {
    customer: (req, opts) => post(ec("transfer_customer"), req, opts),
    result: (req, opts) => post(ec("transfer_result"), req, opts),
    unassigned: (req = {}, opts) => post(ec("get_unassigned_list"), req, opts),
    iterateUnassigned: (pageSize = 1000, opts) =>
      paginate(
        (cursor) => transfer.unassigned({ cursor, page_size: pageSize }, opts),
        (p) => p.info,
      ),
    resignedCustomer: (req, opts) => post(ec("resigned/transfer_customer"), req, opts),
    resignedResult: (req, opts) => post(ec("resigned/transfer_result"), req, opts),
    groupChats: (req, opts) => post(ec("groupchat/transfer"), req, opts),
  };

  return {
    corpId: options.corpId,
    call: (method, path, callOptions) => core.call(method, path, callOptions),
    accessToken: (signal) => core.accessToken(signal),
    invalidateToken: () => core.invalidateToken(),
    breakerState: () => core.breakerState(),
    org: {
      departments: (id, opts) => get(api("department/list"), { id }, opts),
      users: (departmentId, opts) => get(api("user/list"), { department_id: departmentId }, opts),
      user: (userid, opts) => get(api("user/get"), { userid }, opts),
    },
    externalContact,
    contactWay: {
      add: (req, opts) => post(ec("add_contact_way"), req, opts),
      get: (configId, opts) => post(ec("get_contact_way"), { config_id: configId }, opts),
      update: (req, opts) => post(ec("update_contact_way"), req, opts),
      delete: (configId, opts) => post(ec("del_contact_way"), { config_id: configId }, opts),
    },
    tags: {
      list: (req = {}, opts) => post(ec("get_corp_tag_list"), req, opts),
      add: (req, opts) => post(ec("add_corp_tag"), req, opts),
      edit: (req, opts) => post(ec("edit_corp_tag"), req, opts),
      delete: (req, opts) => post(ec("del_corp_tag"), req, opts),
      mark: (req, opts) => post(ec("mark_tag"), req, opts),
    },
    massMessage,
    groupChat,
    transfer,
    moments: {
      addTask: (req, opts) => post(ec("add_moment_task"), req, opts),
      taskResult: (jobid, opts) => get(ec("get_moment_task_result"), { jobid }, opts),
    },
  };
}

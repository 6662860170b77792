import { type ApiClient, type CallOptions, createApiClient, type HttpMethod } from "../shared/api-client.ts";
import type { BreakerState } from "../shared/circuit-breaker.ts";
import { paginate } from "../shared/paginate.ts";
import { WecomApiError, wecomErrcodes } from "./errors.ts";
import type * as W from "./types.ts";

const c = wecomErrcodes;

/** Stays under WeCom's documented 10,000 calls/min per corp per API with room for other tools. */
const defaultLimits = {
  perApi: { limit: 5_000, windowMs: 60_000 },
  perAccount: { limit: 20_000, windowMs: 60_000 },
};

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
    departments(id?: number): Promise<W.DepartmentListResponse>;
    /** Members directly in a department (detail). */
    users(departmentId: number): Promise<W.UserListResponse>;
    user(userid: string): Promise<W.UserGetResponse>;
  };
  externalContact: {
    /** get_follow_user_list: members with 客户联系 enabled. */
    followUsers(): Promise<W.FollowUserListResponse>;
    list(userid: string): Promise<W.ExternalContactListResponse>;
    /** One page of follow_user (≤ 500); pass `next_cursor` for the next. */
    get(externalUserId: string, cursor?: string): Promise<W.ExternalContactGetResponse>;
    /** externalcontact/get with all follow_user pages merged. */
    getAll(externalUserId: string): Promise<W.ExternalContactDetail>;
    batchGetByUser(req: W.BatchGetByUserRequest): Promise<W.BatchGetByUserResponse>;
    /** Every (customer, follow_info) of the given members; chunks userids by 100 and follows cursors. */
    iterateByUsers(userids: readonly string[], limit?: number): AsyncGenerator<W.BatchExternalContact>;
    remark(req: W.RemarkRequest): Promise<W.WecomResponse>;
    sendWelcomeMsg(req: W.SendWelcomeMsgRequest): Promise<W.WecomResponse>;
  };
  contactWay: {
    add(req: W.AddContactWayRequest): Promise<W.AddContactWayResponse>;
    get(configId: string): Promise<W.GetContactWayResponse>;
    update(req: W.UpdateContactWayRequest): Promise<W.WecomResponse>;
    delete(configId: string): Promise<W.WecomResponse>;
  };
  tags: {
    list(req?: W.GetCorpTagListRequest): Promise<W.GetCorpTagListResponse>;
    add(req: W.AddCorpTagRequest): Promise<W.AddCorpTagResponse>;
    edit(req: W.EditCorpTagRequest): Promise<W.WecomResponse>;
    delete(req: W.DelCorpTagRequest): Promise<W.WecomResponse>;
    /** mark_tag on one (member, customer) relation. */
    mark(req: W.MarkTagRequest): Promise<W.WecomResponse>;
  };
  massMessage: {
    add(req: W.AddMsgTemplateRequest): Promise<W.AddMsgTemplateResponse>;
    list(req: W.GetGroupMsgListV2Request): Promise<W.GetGroupMsgListV2Response>;
    iterateList(req: Omit<W.GetGroupMsgListV2Request, "cursor">): AsyncGenerator<W.GroupMsg>;
    tasks(req: W.GetGroupMsgTaskRequest): Promise<W.GetGroupMsgTaskResponse>;
    iterateTasks(req: Omit<W.GetGroupMsgTaskRequest, "cursor">): AsyncGenerator<W.GroupMsgTask>;
    sendResult(req: W.GetGroupMsgSendResultRequest): Promise<W.GetGroupMsgSendResultResponse>;
    iterateSendResult(
      req: Omit<W.GetGroupMsgSendResultRequest, "cursor">,
    ): AsyncGenerator<W.GroupMsgSendResult>;
  };
  groupChat: {
    list(req: W.GroupChatListRequest): Promise<W.GroupChatListResponse>;
    iterate(req: Omit<W.GroupChatListRequest, "cursor">): AsyncGenerator<{ chat_id: string; status: number }>;
    get(chatId: string, needName?: boolean): Promise<W.GroupChatGetResponse>;
  };
  transfer: {
    /** On-job transfer (transfer_customer). */
    customer(req: W.TransferCustomerRequest): Promise<W.TransferCustomerResponse>;
    result(req: W.TransferResultRequest): Promise<W.TransferResultResponse>;
    unassigned(req?: W.GetUnassignedListRequest): Promise<W.GetUnassignedListResponse>;
    iterateUnassigned(pageSize?: number): AsyncGenerator<W.GetUnassignedListResponse["info"][number]>;
    resignedCustomer(
      req: Omit<W.TransferCustomerRequest, "transfer_success_msg">,
    ): Promise<W.TransferCustomerResponse>;
    resignedResult(req: W.TransferResultRequest): Promise<W.TransferResultResponse>;
    /** groupchat/transfer: groups of a resigned owner. */
    groupChats(req: W.GroupChatTransferRequest): Promise<W.GroupChatTransferResponse>;
  };
  moments: {
    addTask(req: W.AddMomentTaskRequest): Promise<W.AddMomentTaskResponse>;
    taskResult(jobid: string): Promise<W.GetMomentTaskResultResponse>;
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
    limits: options.limits ?? defaultLimits,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    breaker: options.breaker,
    log: options.log,
    createError: (init) => new WecomApiError(init),
  });

  const get = <T extends object>(path: string, query?: CallOptions["query"]) =>
    core.call<T>("GET", path, { query });
  const post = <T extends object>(path: string, body: unknown) => core.call<T>("POST", path, { body });

  const externalContact: WecomClient["externalContact"] = {
    followUsers: () => get(ec("get_follow_user_list")),
    list: (userid) => get(ec("list"), { userid }),
    get: (externalUserId, cursor) => get(ec("get"), { external_userid: externalUserId, cursor }),
    async getAll(externalUserId) {
      const first = await externalContact.get(externalUserId);
      const follow = [...first.follow_user];
      let cursor = first.next_cursor;
      while (cursor) {
        const page = await externalContact.get(externalUserId, cursor);
        follow.push(...page.follow_user);
        cursor = page.next_cursor && page.next_cursor !== cursor ? page.next_cursor : undefined;
      }
      return { external_contact: first.external_contact, follow_user: follow };
    },
    batchGetByUser: (req) => post(ec("batch/get_by_user"), req),
    async *iterateByUsers(userids, limit = 100) {
      // The API takes at most 100 userids per call; cursors are per userid_list, so chunk first.
      for (let i = 0; i < userids.length; i += 100) {
        const userid_list = userids.slice(i, i + 100);
        yield* paginate(
          (cursor) => externalContact.batchGetByUser({ userid_list, cursor, limit }),
          (page) => page.external_contact_list,
        );
      }
    },
    remark: (req) => post(ec("remark"), req),
    sendWelcomeMsg: (req) => post(ec("send_welcome_msg"), req),
  };

  const massMessage: WecomClient["massMessage"] = {
    add: (req) => post(ec("add_msg_template"), req),
    list: (req) => post(ec("get_groupmsg_list_v2"), req),
    iterateList: (req) =>
      paginate(
        (cursor) => massMessage.list({ ...req, cursor }),
        (p) => p.group_msg_list,
      ),
    tasks: (req) => post(ec("get_groupmsg_task"), req),
    iterateTasks: (req) =>
      paginate(
        (cursor) => massMessage.tasks({ ...req, cursor }),
        (p) => p.task_list,
      ),
    sendResult: (req) => post(ec("get_groupmsg_send_result"), req),
    iterateSendResult: (req) =>
      paginate(
        (cursor) => massMessage.sendResult({ ...req, cursor }),
        (p) => p.send_list,
      ),
  };

  const groupChat: WecomClient["groupChat"] = {
    list: (req) => post(ec("groupchat/list"), req),
    iterate: (req) =>
      paginate(
        (cursor) => groupChat.list({ ...req, cursor }),
        (p) => p.group_chat_list,
      ),
    get: (chatId, needName = false) =>
      post(ec("groupchat/get"), { chat_id: chatId, need_name: needName ? 1 : 0 }),
  };

  const transfer: WecomClient["transfer"] = {
    customer: (req) => post(ec("transfer_customer"), req),
    result: (req) => post(ec("transfer_result"), req),
    unassigned: (req = {}) => post(ec("get_unassigned_list"), req),
    iterateUnassigned: (pageSize = 1000) =>
      paginate(
        (cursor) => transfer.unassigned({ cursor, page_size: pageSize }),
        (p) => p.info,
      ),
    resignedCustomer: (req) => post(ec("resigned/transfer_customer"), req),
    resignedResult: (req) => post(ec("resigned/transfer_result"), req),
    groupChats: (req) => post(ec("groupchat/transfer"), req),
  };

  return {
    corpId: options.corpId,
    call: (method, path, callOptions) => core.call(method, path, callOptions),
    accessToken: (signal) => core.accessToken(signal),
    invalidateToken: () => core.invalidateToken(),
    breakerState: () => core.breakerState(),
    org: {
      departments: (id) => get(api("department/list"), { id }),
      users: (departmentId) => get(api("user/list"), { department_id: departmentId }),
      user: (userid) => get(api("user/get"), { userid }),
    },
    externalContact,
    contactWay: {
      add: (req) => post(ec("add_contact_way"), req),
      get: (configId) => post(ec("get_contact_way"), { config_id: configId }),
      update: (req) => post(ec("update_contact_way"), req),
      delete: (configId) => post(ec("del_contact_way"), { config_id: configId }),
    },
    tags: {
      list: (req = {}) => post(ec("get_corp_tag_list"), req),
      add: (req) => post(ec("add_corp_tag"), req),
      edit: (req) => post(ec("edit_corp_tag"), req),
      delete: (req) => post(ec("del_corp_tag"), req),
      mark: (req) => post(ec("mark_tag"), req),
    },
    massMessage,
    groupChat,
    transfer,
    moments: {
      addTask: (req) => post(ec("add_moment_task"), req),
      taskResult: (jobid) => get(ec("get_moment_task_result"), { jobid }),
    },
  };
}

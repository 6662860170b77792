import { randomBytes } from "node:crypto";

/**
 * The errcodes this simulator answers, with WeCom's own meaning (global errcode list, doc 90313).
 * Where WeCom's doc leaves the exact code open the choice is noted; the connector must treat any
 * non-zero errcode as a failure anyway.
 */
export const errcodes = {
  [-1]: "system busy",
  40001: "invalid credential (corpsecret)",
  40003: "invalid userid",
  40013: "invalid corpid",
  40014: "invalid access_token",
  40032: "invalid userid list size",
  40050: "chatid not found",
  40058: "invalid parameter",
  40068: "invalid tagid",
  40071: "tag name already exists",
  40072: "invalid tag name length",
  40088: "jobid not found",
  40096: "invalid external userid",
  40097: "the member has not resigned",
  40099: "the takeover member has too many customers",
  40126: "corp tag count reached the limit",
  40128: "customer transferred too often (2 times in 90 days)",
  40129: "the customer is already being transferred",
  40130: "handover and takeover are the same member",
  40131: "handover_userid is not a follow user of the customer",
  41001: "access_token missing",
  41002: "corpid missing",
  41004: "corpsecret missing",
  41009: "userid missing",
  41035: "external_userid missing",
  41037: "contact way type missing",
  41038: "contact way scene missing",
  41039: "invalid contact way type",
  41040: "invalid contact way scene",
  41041: "too many users in the contact way",
  41042: "invalid contact way style",
  41043: "config_id missing",
  41044: "invalid config_id",
  41045: "API contact way quota reached",
  41046: "msgid missing",
  41047: "invalid msgid",
  41048: "no customer to send to",
  41049: "welcome_code missing",
  41050: "invalid welcome_code (expired after 20 s, already used, or unknown)",
  42001: "access_token expired",
  44004: "text content empty",
  45002: "content too long",
  45009: "api freq out of limit",
  45033: "api concurrent out of limit",
  47001: "data format error",
  48002: "api forbidden",
  49008: "the group chat was dismissed",
  50100: "invalid cursor",
  60003: "department not found",
  60111: "userid not found",
  84061: "not external contact",
  84074: "no external contact permission",
  90500: "the group owner has not resigned",
  90501: "not a customer group",
  90502: "the group owner has resigned",
  90504: "the group owner did not change",
  610004: "userid is not in the customer-contact scope",
} as const satisfies Record<number, string>;

export type Errcode = keyof typeof errcodes;

/** A WeCom-level failure: answered as HTTP 200 `{errcode, errmsg}` like the real platform. */
export class WecomError extends Error {
  readonly errcode: number;
  constructor(errcode: Errcode, detail?: string) {
    super(detail ? `${errcodes[errcode]}: ${detail}` : errcodes[errcode]);
    this.name = "WecomError";
    this.errcode = errcode;
  }
}

/** WeCom's errmsg carries a hint and a link to its errcode tool; connectors must not parse it. */
export function errmsgOf(errcode: number, message: string, nowSeconds: number): string {
  const hint = `${nowSeconds}_${randomBytes(6).toString("hex")}`;
  return `${message}, hint: [${hint}], more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
}

/**
 * The errcodes this simulator answers (protocols/official-account.md §5–9). Where WeChat's docs leave
 * the exact code of a limit open the choice is marked [?]; a connector must treat any non-zero errcode
 * as a failure anyway.
 */
export const oaErrcodes = {
  [-1]: "system error",
  40001: "invalid credential, access_token is invalid or not latest",
  40003: "invalid openid",
  40013: "invalid appid",
  40014: "invalid access_token",
  40016: "invalid button size",
  40017: "invalid button type",
  40018: "invalid button name size",
  40019: "invalid button key size",
  40023: "invalid sub button size",
  40025: "invalid sub button name size",
  40032: "invalid openid list size", // [?] batchget / batchtagging over their limits
  40037: "invalid template_id",
  40053: "invalid action info", // [?] QR scene out of range
  40054: "invalid sub button url domain",
  40055: "invalid button url domain",
  40125: "invalid appsecret",
  40164: "invalid ip, not in whitelist",
  41001: "access_token missing",
  41002: "appid missing",
  41004: "appsecret missing",
  42001: "access_token expired",
  43004: "require subscribe",
  45009: "reach max api daily quota limit",
  45011: "api minute-quota reach limit, mustslower retry next minute",
  45029: "qrcode count out of limit", // [?] 100,000 permanent codes
  45056: "too many tags",
  45057: "can't delete the tag that has too many fans",
  45058: "can't modify sys tag",
  45059: "fans have too many tags",
  45157: "invalid tag name",
  45158: "tag name too long",
  45159: "invalid tag id",
  46002: "not exist menu",
  47001: "data format error",
  47003: "argument invalid",
  48001: "api unauthorized",
  48006: "forbid to clear quota because of reaching the limit",
  65301: "no such conditional menu", // [?]
  65303: "there is no selfmenu, please create selfmenu first",
  65304: "match rule empty",
} as const satisfies Record<number, string>;

export type OaErrcode = keyof typeof oaErrcodes;

/** An Official Account failure: answered as HTTP 200 `{errcode, errmsg}` like the real platform. */
export class OaError extends Error {
  readonly errcode: number;
  constructor(errcode: OaErrcode, detail?: string) {
    super(detail ? `${oaErrcodes[errcode]}: ${detail}` : oaErrcodes[errcode]);
    this.name = "OaError";
    this.errcode = errcode;
  }
}

/** WeChat's errmsg carries an rid hint; connectors must not parse it. */
export function oaErrmsg(message: string, rid: string): string {
  return `${message} rid: ${rid}`;
}

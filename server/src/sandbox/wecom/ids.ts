import { randomBytes } from "node:crypto";

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// One buffer of randomness shared by every id, refilled 64 KB at a time: seeding 100,000 contacts
// would otherwise spend most of its time in randomBytes calls.
let pool = Buffer.alloc(0);
let at = 0;
function byte(): number {
  if (at >= pool.length) {
    pool = randomBytes(65_536);
    at = 0;
  }
  return pool[at++]!;
}

const alnumCodes = [...alnum].map((c) => c.charCodeAt(0));
const hexCodes = [..."0123456789abcdef"].map((c) => c.charCodeAt(0));

// Built from char codes in one go: a string grown character by character is a rope of one node per
// character, and keeping 100,000 of them alive (bulk seeding) costs seconds of garbage collection.
export function randomAlnum(length: number): string {
  const codes = new Array<number>(length);
  let n = 0;
  // 62 letters: reject bytes ≥ 248 so every character is equally likely.
  while (n < length) {
    const b = byte();
    if (b < 248) codes[n++] = alnumCodes[b % 62]!;
  }
  return String.fromCharCode(...codes);
}

export function randomHex(length: number): string {
  const codes = new Array<number>(length);
  for (let n = 0; n < length; n++) codes[n] = hexCodes[byte() & 15]!;
  return String.fromCharCode(...codes);
}

/** 32 characters like WeCom's: `wm…` for WeChat customers, `wo…` for WeCom-user customers. */
export const externalUserId = (type: 1 | 2 = 1) => `${type === 2 ? "wo" : "wm"}${randomAlnum(30)}`;
export const chatId = () => `wr${randomAlnum(30)}`;
export const tagId = () => `et${randomAlnum(30)}`;
export const msgId = () => `msg${randomAlnum(27)}`;
export const configId = () => randomHex(32);
export const welcomeCode = () => randomAlnum(43);
export const momentJobId = () => randomAlnum(48);
export const momentId = () => `mom${randomAlnum(29)}`;
export const corpId = () => `ww${randomHex(16)}`;
export const secret = () => randomAlnum(43);
export const accessToken = () => randomAlnum(64) + randomAlnum(64);
export const unionId = () => `o${randomAlnum(27)}`;

const surnames =
  "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const given =
  "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红鹏辉建国文斌波宇浩凯健俊帆晨欣怡雪梅琳晶婷倩颖佳琪子涵梓轩一诺思雨欣妍浩然宇航博文";

export function chineseName(): string {
  const s = surnames[byte() % surnames.length]!;
  const first = given[byte() % given.length]!;
  return byte() % 3 === 0 ? s + first : s + first + given[byte() % given.length]!;
}

/** A plausible WeChat avatar URL (WeCom answers thirdwx.qlogo.cn links). */
export const avatarUrl = () => `https://thirdwx.qlogo.cn/mmopen/vi_32/${randomAlnum(60)}/132`;

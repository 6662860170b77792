// Official Account callback ingestion: safe-mode `subscribe` events (qrscene_ EventKey) POSTed to Siyu's
// `/callbacks/official-account/:tenantId` (signature + msg_signature, decrypt, parse, appid check, cached
// settings, durable inbox write, job enqueue, passive-reply providers asked, `success`) against a bare
// Fastify route doing only the same verify + decrypt + parse, in the same run (harness: callbacks.ts).
// Siyu runs as an API process (SIYU_ROLE=api): the ack path alone; workers drain the queue elsewhere.
// PGlite always; PostgreSQL (+ BullMQ when REDIS_URL is set) when DATABASE_URL is set.
// Run alone: `node --import tsx bench/oa-callbacks.bench.ts`, or `npm run bench oa-callbacks`.
// OA_CB_BENCH_REQUESTS (default 6000) and OA_CB_BENCH_RATE (default 500) change the sizes.
import { randomBytes } from "node:crypto";
import { oaSignature } from "../server/src/connectors/official-account/index.ts";
import { WxMsgCrypt } from "../server/src/connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../server/src/connectors/shared/xml.ts";
import { callbackAesKey, callbackToken, runCallbackBench } from "./callbacks.ts";
import { type BenchResult, runIfMain } from "./lib.ts";
import type { LoadRequest } from "./load.ts";

const appId = "wxbench0000000001";
const originalId = "gh_bench00000001";

/** `n` distinct subscribe events via a parametric QR, in safe mode, signed as WeChat sends them. */
function callbacks(tenantId: string, n: number, tag: string): LoadRequest[] {
  const crypt = new WxMsgCrypt({ token: callbackToken, encodingAesKey: callbackAesKey, receiveId: appId });
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const openid = `o${tag}${String(i).padStart(10, "0")}${randomBytes(6).toString("hex")}`.slice(0, 28);
    const message = buildWxXml({
      ToUserName: originalId,
      FromUserName: openid,
      CreateTime: now,
      MsgType: "event",
      Event: "subscribe",
      EventKey: `qrscene_ch_bench_${i % 50}`,
      Ticket: randomBytes(24).toString("base64"),
    });
    const timestamp = String(now);
    const nonce = String(100000 + i);
    const encrypt = crypt.encrypt(message);
    const msgSignature = crypt.sign(timestamp, nonce, encrypt);
    const signature = oaSignature(callbackToken, timestamp, nonce);
    return {
      path: `/callbacks/official-account/${tenantId}?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}&openid=${openid}&encrypt_type=aes&msg_signature=${msgSignature}`,
      body: buildWxXml({ ToUserName: originalId, Encrypt: encrypt }),
    };
  });
}

export function run(): Promise<BenchResult> {
  return runCallbackBench({
    name: "oa-callbacks",
    requests: Number(process.env.OA_CB_BENCH_REQUESTS ?? 6000),
    rate: Number(process.env.OA_CB_BENCH_RATE ?? 500),
    callbacks,
    settings: {
      path: "/api/settings/official-account",
      body: {
        appId,
        secret: "bench-secret",
        token: callbackToken,
        encodingAesKey: callbackAesKey,
        mode: "safe",
        apiBase: "http://127.0.0.1:9",
      },
    },
    bare: { script: "bench/fixtures/bare-oa-callback-server.ts", env: { APP_ID: appId } },
    notes: (s) =>
      `${s.requests} distinct safe-mode subscribe events per burst (${s.concurrency} in flight), ` +
      `then ${s.steady} at ${s.rate}/s open loop; Siyu as an API process (ack path: verify, decrypt, ` +
      "appid check, settings lookup, inbox write in a group commit, job enqueue, passive-reply providers). " +
      "Baseline: a bare route doing the same verify + decrypt + parse.",
  });
}

await runIfMain(import.meta.url, run);

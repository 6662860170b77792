// WeCom callback ingestion: encrypted `add_external_contact` callbacks POSTed to Siyu's
// `/callbacks/wecom/:tenantId` (verify, decrypt, parse, settings lookup, durable inbox write, job enqueue,
// empty 200) against a bare Fastify route doing only the same verify + decrypt + parse, in the same run
// (harness: callbacks.ts). Siyu runs as an API process (SIYU_ROLE=api): the ack path alone; workers
// drain the queue elsewhere. PGlite always; PostgreSQL (+ BullMQ when REDIS_URL is set) when
// DATABASE_URL is set.
// Run alone: `node --import tsx bench/wecom-callbacks.bench.ts`, or `npm run bench wecom-callbacks`.
// WECOM_CB_BENCH_REQUESTS (default 6000) and WECOM_CB_BENCH_RATE (default 500) change the sizes.
import { randomBytes } from "node:crypto";
import { WxMsgCrypt } from "../server/src/connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../server/src/connectors/shared/xml.ts";
import { callbackAesKey, callbackToken, runCallbackBench } from "./callbacks.ts";
import { type BenchResult, runIfMain } from "./lib.ts";
import type { LoadRequest } from "./load.ts";

const corpId = "wwbench0000000001";

/** `n` distinct add_external_contact callbacks, encrypted and signed as WeCom sends them. */
function callbacks(tenantId: string, n: number, tag: string): LoadRequest[] {
  const crypt = new WxMsgCrypt({ token: callbackToken, encodingAesKey: callbackAesKey, receiveId: corpId });
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const message = buildWxXml({
      ToUserName: corpId,
      FromUserName: "sys",
      CreateTime: now,
      MsgType: "event",
      Event: "change_external_contact",
      ChangeType: "add_external_contact",
      UserID: `staff${i % 20}`,
      ExternalUserID: `wm${tag}${String(i).padStart(10, "0")}${randomBytes(6).toString("hex")}`,
      State: "ch_bench",
      WelcomeCode: randomBytes(16).toString("hex"),
    });
    const timestamp = String(now);
    const nonce = String(100000 + i);
    const encrypt = crypt.encrypt(message);
    const signature = crypt.sign(timestamp, nonce, encrypt);
    return {
      path: `/callbacks/wecom/${tenantId}?msg_signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`,
      body: buildWxXml({ ToUserName: corpId, Encrypt: encrypt, AgentID: "1000002" }),
    };
  });
}

export function run(): Promise<BenchResult> {
  return runCallbackBench({
    name: "wecom-callbacks",
    requests: Number(process.env.WECOM_CB_BENCH_REQUESTS ?? 6000),
    rate: Number(process.env.WECOM_CB_BENCH_RATE ?? 500),
    callbacks,
    settings: {
      path: "/api/settings/wecom",
      body: {
        corpId,
        agentId: "1000002",
        secret: "bench-secret",
        contactSecret: "bench-contact-secret",
        callbackToken,
        encodingAesKey: callbackAesKey,
        apiBase: "http://127.0.0.1:9",
      },
    },
    bare: { script: "bench/fixtures/bare-callback-server.ts", env: { CORP_ID: corpId } },
    notes: (s) =>
      `${s.requests} distinct encrypted add_external_contact callbacks per burst (${s.concurrency} in flight), ` +
      `then ${s.steady} at ${s.rate}/s open loop; Siyu as an API process (ack path: verify, decrypt, ` +
      "settings lookup, inbox write in a group commit, job enqueue). Targets: ratio ≥ 0.5, p99 ≤ 50 ms at 500/s.",
  });
}

await runIfMain(import.meta.url, run);

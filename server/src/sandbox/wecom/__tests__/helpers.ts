import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../standalone.ts";

export type JsonBody = Record<string, unknown> & { errcode?: number; errmsg?: string };

/** A sandbox on port 0 plus small HTTP helpers for its WeCom and sim APIs. */
export async function bootSandbox(options: Parameters<typeof startWecomSandbox>[0] = {}) {
  const s: StandaloneWecomSandbox = await startWecomSandbox({ callbackRetryDelayMs: 20, ...options });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: JsonBody }> => {
    const res = await fetch(s.url + path, {
      method,
      ...(body !== undefined
        ? {
            body: typeof body === "string" ? body : JSON.stringify(body),
            headers: { "content-type": "application/json" },
          }
        : {}),
    });
    const text = await res.text();
    let json: JsonBody = {};
    try {
      json = JSON.parse(text) as JsonBody;
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json };
  };
  const sim = (method: string, path: string, body?: unknown) => call(method, `/_sim${path}`, body);
  return { ...s, call, sim };
}

export type Booted = Awaited<ReturnType<typeof bootSandbox>>;

/** Creates a corp and returns it with a token of its app secret. */
export async function corpWithToken(b: Booted, extra: Record<string, unknown> = {}) {
  const created = await b.sim("POST", "/corps", extra);
  if (created.status !== 201) throw new Error(`create corp: ${JSON.stringify(created.json)}`);
  const corp = created.json as { corpId: string; appSecret: string; contactSecret: string };
  const fetchToken = async () =>
    (await b.call("GET", `/cgi-bin/gettoken?corpid=${corp.corpId}&corpsecret=${corp.appSecret}`)).json
      .access_token as string;
  const token = await fetchToken();
  let current = token;
  const once = (path: string, body?: unknown) =>
    b.call(
      body === undefined ? "GET" : "POST",
      `/cgi-bin/${path}${path.includes("?") ? "&" : "?"}access_token=${current}`,
      body,
    );
  // Like a connector: an expired token (the clock moved past 7200 s) is refetched once.
  const api = async (path: string, body?: unknown) => {
    const r = await once(path, body);
    if (r.json.errcode !== 42001) return r;
    current = await fetchToken();
    return once(path, body);
  };
  return { corp, token, api };
}

export interface Received {
  method: string;
  url: string;
  body: string;
}

/** A tiny callback receiver: records requests, answers with the status the test chooses. */
export async function startReceiver(
  answer: (req: IncomingMessage, body: string, n: number) => number | Promise<number> = () => 200,
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", async () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", body });
      const status = await answer(req, body, received.length);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end("");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/callbacks/wecom/t1`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export const callbackToken = "QDG6eK";
export const encodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

// A small HTTP load generator for benches: closed loop (N requests in flight) and open loop (a fixed
// arrival rate, latency measured from each request's scheduled start so a stalled server shows up as
// latency rather than as a slower sender). Plain `http` with keep-alive: far cheaper per request than
// fetch, so the generator is not what a bench measures.
import http from "node:http";
import { performance } from "node:perf_hooks";

export interface LoadRequest {
  path: string;
  body: string;
  contentType?: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** First non-2xx answers, for the report. */
  errors: string[];
  seconds: number;
  perSecond: number;
  /** Latencies in ms, sorted ascending. */
  latencies: number[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function createPoster(baseUrl: string, sockets = 128) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  function post(req: LoadRequest): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const r = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: req.path,
          method: "POST",
          agent,
          headers: {
            "content-type": req.contentType ?? "text/xml",
            "content-length": Buffer.byteLength(req.body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      r.on("error", reject);
      r.end(req.body);
    });
  }
  return { post, close: () => agent.destroy() };
}

function summarize(
  sent: number,
  ok: number,
  errors: string[],
  started: number,
  latencies: number[],
): LoadResult {
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    sent,
    ok,
    failed: sent - ok,
    errors: errors.slice(0, 5),
    seconds,
    perSecond: ok / seconds,
    latencies,
  };
}

/** Sends every request with `concurrency` in flight; returns throughput and latencies. */
export async function closedLoop(
  baseUrl: string,
  requests: readonly LoadRequest[],
  concurrency: number,
): Promise<LoadResult> {
  const poster = createPoster(baseUrl, concurrency);
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  let ok = 0;
  const started = performance.now();
  async function lane() {
    for (;;) {
      const i = next++;
      const req = requests[i];
      if (!req) return;
      const t = performance.now();
      try {
        const res = await poster.post(req);
        latencies.push(performance.now() - t);
        if (res.status >= 200 && res.status < 300) ok++;
        else errors.push(`${res.status} ${res.body.slice(0, 200)}`);
      } catch (err) {
        errors.push(String(err));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  poster.close();
  return summarize(requests.length, ok, errors, started, latencies);
}

/** Starts request i at `i / rate` seconds, whatever the answers do; latency counts from that moment. */
export async function openLoop(
  baseUrl: string,
  requests: readonly LoadRequest[],
  ratePerSecond: number,
): Promise<LoadResult> {
  const poster = createPoster(baseUrl, 512);
  const latencies: number[] = [];
  const errors: string[] = [];
  let ok = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < requests.length; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const req = requests[i] as LoadRequest;
    // From the intended time when the generator is late (no coordinated omission), from the
    // actual send when it is up to 1 ms early (otherwise a latency could come out negative).
    const from = Math.min(due, performance.now());
    inFlight.push(
      poster.post(req).then(
        (res) => {
          latencies.push(performance.now() - from);
          if (res.status >= 200 && res.status < 300) ok++;
          else errors.push(`${res.status} ${res.body.slice(0, 200)}`);
        },
        (err: unknown) => {
          errors.push(String(err));
        },
      ),
    );
  }
  await Promise.all(inFlight);
  poster.close();
  return summarize(requests.length, ok, errors, started, latencies);
}

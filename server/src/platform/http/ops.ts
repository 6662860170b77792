import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { queueNames } from "../jobs/jobs.ts";
import type { Api, Platform } from "../platform.ts";

/** `/healthz`, `/readyz` and `/metrics` (Prometheus text, including queue depths). */
export async function registerOps(app: Api, platform: Platform, readiness: Array<() => Promise<void>>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "siyu_" });
  const requests = new Counter({
    name: "siyu_http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "siyu_http_request_duration_seconds",
    help: "HTTP request duration",
    labelNames: ["method", "route"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const depth = new Gauge({
    name: "siyu_queue_jobs",
    help: "Jobs per queue and state",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      const counts = await platform.jobs.counts().catch(() => null);
      if (!counts) return;
      for (const q of queueNames) {
        for (const [state, n] of Object.entries(counts[q])) this.set({ queue: q, state }, n);
      }
    },
  });
  void depth;

  const a = app;
  a.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  a.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  a.get("/readyz", { schema: { hide: true } }, async (_req, reply) => {
    try {
      await platform.db.ping();
      for (const check of readiness) await check();
      return { status: "ready" };
    } catch (err) {
      return reply.status(503).send({ status: "unavailable", error: (err as Error).message });
    }
  });
  a.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

import Fastify, { type FastifyInstance } from "fastify";

export interface StandaloneSandbox<S> {
  sandbox: S;
  /** Origin serving `/cgi-bin/…` and `/_sim/…`: a connector's apiBase. */
  url: string;
  close(): Promise<void>;
}

/**
 * A simulator alone, the platform's paths at its root (tests, benches, `npm run sandbox:…`): its
 * plugin on a Fastify of its own, listening on `port` (default: any free one) of `host` (default
 * loopback). Closing stops the server, then the sandbox (its pending saves and deliveries).
 */
export async function serveSandbox<S extends { close(): Promise<void> }>(
  sandbox: S,
  plugin: (app: FastifyInstance) => Promise<void>,
  options: { port?: number; host?: string; bodyLimit: number },
): Promise<StandaloneSandbox<S>> {
  const app = Fastify({ bodyLimit: options.bodyLimit });
  await app.register(plugin);
  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1" });
  const url = address.replace("://0.0.0.0", "://127.0.0.1").replace("://[::]", "://127.0.0.1");
  return {
    sandbox,
    url,
    async close() {
      await app.close();
      await sandbox.close();
    },
  };
}

import Fastify from "fastify";
import { oaSandbox } from "./plugin.ts";
import { createOaSandbox, type OaSandbox, type OaSandboxOptions } from "./sandbox.ts";

export interface OaStandaloneOptions extends OaSandboxOptions {
  port?: number;
  host?: string;
  /** Largest request body, bytes (default 64 MiB: seeding may list 200,000 unionids). */
  bodyLimit?: number;
}

export interface StandaloneOaSandbox {
  sandbox: OaSandbox;
  /** Origin serving `/cgi-bin/…` and `/_sim/…`: a connector's apiBase. */
  url: string;
  close(): Promise<void>;
}

/** The simulator alone, WeChat paths at its root: for tests, benches and `npm run sandbox:oa`. */
export async function startOaSandbox(options: OaStandaloneOptions = {}): Promise<StandaloneOaSandbox> {
  const sandbox = createOaSandbox(options);
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024 });
  await app.register(oaSandbox({ sandbox }));
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

import Fastify from "fastify";
import { createWecomSandbox, type WecomSandbox, type WecomSandboxOptions } from "./sandbox.ts";
import { wecomSandbox } from "./wecom-sandbox.plugin.ts";

export interface StandaloneOptions extends WecomSandboxOptions {
  port?: number;
  host?: string;
  /** Largest request body, bytes (default 16 MiB: add_msg_template may list 10,000 customers). */
  bodyLimit?: number;
}

export interface StandaloneWecomSandbox {
  sandbox: WecomSandbox;
  /** Origin serving `/cgi-bin/…` and `/_sim/…`: a connector's apiBase. */
  url: string;
  close(): Promise<void>;
}

/** The simulator alone, WeCom paths at its root: for tests, benches and `npm run sandbox:wecom`. */
export async function startWecomSandbox(options: StandaloneOptions = {}): Promise<StandaloneWecomSandbox> {
  const sandbox = createWecomSandbox(options);
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024 });
  await app.register(wecomSandbox({ sandbox }));
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

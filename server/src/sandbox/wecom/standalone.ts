import { type StandaloneSandbox, serveSandbox } from "../shared/standalone.ts";
import { createWecomSandbox, type WecomSandbox, type WecomSandboxOptions } from "./sandbox.ts";
import { wecomSandbox } from "./wecom-sandbox.plugin.ts";

export interface StandaloneOptions extends WecomSandboxOptions {
  port?: number;
  host?: string;
  /** Largest request body, bytes (default 16 MiB: add_msg_template may list 10,000 customers). */
  bodyLimit?: number;
}

export type StandaloneWecomSandbox = StandaloneSandbox<WecomSandbox>;

/** The simulator alone, WeCom paths at its root: for tests, benches and `npm run sandbox:wecom`. */
export async function startWecomSandbox(options: StandaloneOptions = {}): Promise<StandaloneWecomSandbox> {
  const sandbox = createWecomSandbox(options);
  return serveSandbox(sandbox, wecomSandbox({ sandbox }), {
    ...options,
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
  });
}

import { type StandaloneSandbox, serveSandbox } from "../shared/standalone.ts";
import { oaSandbox } from "./plugin.ts";
import { createOaSandbox, type OaSandbox, type OaSandboxOptions } from "./sandbox.ts";

export interface OaStandaloneOptions extends OaSandboxOptions {
  port?: number;
  host?: string;
  /** Largest request body, bytes (default 64 MiB: seeding may list 200,000 unionids). */
  bodyLimit?: number;
}

export type StandaloneOaSandbox = StandaloneSandbox<OaSandbox>;

/** The simulator alone, WeChat paths at its root: for tests, benches and `npm run sandbox:oa`. */
export async function startOaSandbox(options: OaStandaloneOptions = {}): Promise<StandaloneOaSandbox> {
  const sandbox = createOaSandbox(options);
  return serveSandbox(sandbox, oaSandbox({ sandbox }), {
    ...options,
    bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024,
  });
}

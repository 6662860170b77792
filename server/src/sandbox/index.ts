export * as oaSim from "./official-account/index.ts";
export {
  getOaSandbox,
  getWecomSandbox,
  oaSandboxPrefix,
  type SandboxOaSettings,
  type SandboxWecomSettings,
  sandboxModule,
  wecomSandboxPrefix,
  wireOaSandboxTenant,
  wireSandboxTenant,
} from "./sandbox.module.ts";
export * from "./wecom/index.ts";

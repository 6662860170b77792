export {
  getWecomSandbox,
  type SandboxWecomSettings,
  sandboxModule,
  wecomSandboxPrefix,
  wireSandboxTenant,
} from "./sandbox.module.ts";
export * from "./wecom/index.ts";

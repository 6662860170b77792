export type { AddResult, CustomerInput, SeedInput } from "./actions.ts";
export * as wecomSimActions from "./actions.ts";
export { SimError } from "./actions.ts";
export type { CallbackDelivery, DeliveryAttempt } from "./callback-sender.ts";
export type { Corp } from "./corp.ts";
export { type Errcode, errcodes, WecomError } from "./errcodes.ts";
export type { CallbackConfig, CorpSettings, Member } from "./model.ts";
export {
  type CreateCorpInput,
  createWecomSandbox,
  type MemberInput,
  tokenTtlSeconds,
  WecomSandbox,
  type WecomSandboxOptions,
  welcomeCodeTtlMs,
} from "./sandbox.ts";
export { type StandaloneOptions, type StandaloneWecomSandbox, startWecomSandbox } from "./standalone.ts";
export { wecomApis, wecomSandbox } from "./wecom-sandbox.plugin.ts";

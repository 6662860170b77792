/**
 * What the platform engines (WeCom, the Official Account) share: the bookkeeping around their
 * platforms, not their business rules. It owns no table: each engine passes its own tables (event
 * tasks, sync runs, stored steps) and keeps what differs — the platform's reads, the effects, the
 * columns of its own.
 *
 * - `defineEventTasks`: inbox row → event task → job → done / failed / ignored, and the sweep.
 * - `defineSyncRunJob` and the sync-run helpers: a resumable run's row, claim, checkpoint, end.
 * - `storedStepRunner`: outside calls that must not repeat (`runStep`), over the engine's steps table.
 */
export {
  defineEventTasks,
  type EventTaskRow,
  type EventTaskSpec,
  type EventTasks,
  type SetAside,
} from "./event-tasks.ts";
export { type StoredStepRunner, storedStepRunner } from "./stored-steps.ts";
export {
  defineSyncRunJob,
  type SyncProgress,
  type SyncRunJobSpec,
  type SyncRunRow,
  sendSyncRun,
  syncRunDto,
  syncRunStore,
} from "./sync-runs.ts";

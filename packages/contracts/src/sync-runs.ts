import { z } from "zod";

/**
 * The fields every platform engine's sync run has (WeCom, the Official Account), after its `id`: an
 * engine's run schema is `z.object({ id, …its own fields, ...syncRunFields })`, so the fields keep
 * their order on the wire.
 */
export const syncRunFields = {
  kind: z.string(),
  status: z.enum(["queued", "running", "completed", "failed"]),
  progress: z.record(z.string(), z.number()),
  /** Step being worked on (`contacts`, `groups`, `followers`…), null once finished. */
  step: z.string().nullable(),
  attempts: z.number(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
};

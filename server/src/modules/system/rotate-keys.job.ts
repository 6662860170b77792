import { runningRotations, runRotationBatch } from "../../platform/crypto/index.ts";
import type { JobDefinition } from "../../platform/jobs/jobs.ts";
import type { Platform } from "../../platform/platform.ts";

/**
 * Re-encrypts in batches until the rotation is done. Progress is in `key_rotations`, so a retry
 * after a crash resumes where the last committed batch ended.
 */
export const rotateKeysJob = { name: "system.rotate-keys", queue: "system" as const };

export function defineRotateKeysJob(platform: Platform): JobDefinition<{ rotationId: string }> {
  return {
    ...rotateKeysJob,
    attempts: 10,
    backoffMs: 2000,
    async handler({ rotationId }) {
      for (;;) {
        const r = await runRotationBatch({ db: platform.db, crypto: platform.crypto, rotationId });
        if (r.done) break;
      }
      await platform.crypto.reload();
    },
  };
}

/** After a restart, rotations left running get their job again (the key makes it a no-op if queued). */
export async function resumeRotations(platform: Platform) {
  for (const rotationId of await runningRotations(platform.db)) {
    await platform.jobs.send(
      rotateKeysJob.name,
      { rotationId },
      { key: `${rotationId}:resume:${Date.now()}` },
    );
  }
}

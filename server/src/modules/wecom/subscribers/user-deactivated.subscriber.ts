import { AppError } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { getUser, iamEvents, type UserDeactivatedPayload } from "../../iam/index.ts";
import { unlinkLogin } from "../ops/link-staff.ts";

/**
 * A Siyu login disabled or deleted: its WeCom member link is cleared (see `unlinkLogin`), in this
 * delivery's transaction. The iam module only publishes; the map is the WeCom module's. A login
 * enabled again before the event was delivered keeps its link.
 */
export function subscribeUserDeactivated(platform: Platform): void {
  platform.events.subscribe({
    name: "wecom.user-deactivated",
    events: [iamEvents.userDeactivated],
    async handler(event, scope) {
      const p = event.payload as Partial<UserDeactivatedPayload>;
      if (typeof p.userId !== "string") return;
      const user = await getUser(scope, p.userId).catch((err: unknown) => {
        if (err instanceof AppError && err.code === "not_found") return null;
        throw err;
      });
      if (user?.status === "active") return;
      await unlinkLogin(
        scope,
        { platform, actor: { userId: p.actorId ?? null } },
        { userId: p.userId, reason: user ? "user_disabled" : "user_deleted" },
      );
    },
  });
}

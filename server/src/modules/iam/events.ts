/** Domain events of the iam module (aggregate `user`). */
export const iamEvents = {
  /**
   * A login stopped being usable: disabled, or deleted. Published in the transaction of the change;
   * other modules drop what hangs on the login (the WeCom member linked to it).
   */
  userDeactivated: "user.deactivated",
} as const;

export interface UserDeactivatedPayload {
  userId: string;
  reason: "disabled" | "deleted";
  /** Who disabled or deleted it (null: the system). */
  actorId: string | null;
}

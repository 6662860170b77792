import type { TFunction } from "i18next";
import { ApiError } from "../api/client.ts";

/**
 * A user-facing line for a failed action: the localized text of a known code followed by the server's
 * own message (which says *which* rule failed), else just the server's message.
 */
export function errorText(t: TFunction, error: unknown): string {
  if (error instanceof ApiError) {
    const known = t(`errors.${error.code}`, { defaultValue: "" });
    return known ? `${known} ${error.message}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

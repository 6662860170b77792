import { type ErrorCode, errorStatus } from "@siyu/contracts";

/**
 * The one error type. `code` is stable and maps to an HTTP status in one table (contracts/errors.ts);
 * `message` is safe to show a user; `details` carries structured hints (field names, node ids).
 * Anything thrown that is not an AppError becomes a generic 500 that leaks nothing.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly status: number;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
    this.status = errorStatus[code];
  }
}

export const notFound = (what = "object") => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "not permitted") => new AppError("forbidden", message);
export const badRequest = (message: string, details?: unknown) =>
  new AppError("validation_failed", message, details);

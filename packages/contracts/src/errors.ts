/** Stable error codes, grouped by owner. The HTTP status of each is fixed here, in one place. */
export const errorStatus = {
  // http / platform
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  token_expired: 401,
  token_revoked: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  account_locked: 429,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
  // iam
  email_taken: 409,
  last_owner: 409,
  weak_password: 400,
  // crypto
  key_rotation_running: 409,
  // customers / segments
  invalid_expression: 400,
  // flows
  invalid_definition: 400,
  invalid_state: 409,
  /** A webhook names a customer (id or identity) that does not exist. */
  unknown_customer: 422,
  // wecom
  callback_rejected: 400,
  wecom_not_configured: 409,
  wecom_api_error: 502,
  /** The login is linked to another WeCom member already (one login ↔ at most one member). */
  staff_link_conflict: 409,
  /** A request names a user id that is no active login of the tenant. */
  unknown_user: 422,
  /** WeCom refused the request because of what it asked (e.g. 610004 staff without customer contact). */
  wecom_rejected: 422,
  // official account
  oa_not_configured: 409,
  oa_api_error: 502,
  /** The Official Account refused what was asked (43004 not following, 40037 unknown template…). */
  oa_rejected: 422,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The JSON body of every 4xx/5xx answer from `/api`. */
export interface ErrorBody {
  error: { code: ErrorCode | string; message: string; details?: unknown };
}

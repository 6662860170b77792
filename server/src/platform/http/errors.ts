import { type ErrorBody, type ErrorCode, errorStatus } from "@siyu/contracts";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { AppError } from "../errors.ts";

function body(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** Maps any thrown thing to the one JSON error shape; unknown errors become a 500 that leaks nothing. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) {
    if (err.status >= 500) req.log.error({ err }, err.message);
    return reply.status(err.status).send(body(err.code, err.message, err.details));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const details = err.validation.map((v) => ({
      path: `${err.validationContext ?? ""}${v.instancePath}`,
      message: v.message,
    }));
    return reply.status(400).send(body("validation_failed", "request does not match the schema", details));
  }
  if (isResponseSerializationError(err)) {
    req.log.error({ err }, "response did not match its schema");
    return reply.status(500).send(body("internal_error", "internal error"));
  }
  const fe = err as FastifyError;
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return reply.status(413).send(body("payload_too_large", "request body is too large"));
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return reply.status(400).send(body("invalid_json", "request body is not valid JSON"));
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return reply.status(415).send(body("unsupported_media_type", "unsupported content type"));
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return reply.status(400).send(body("invalid_json", "request body is not valid JSON"));
  }
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 404 ? "not_found" : "bad_request";
    return reply.status(fe.statusCode).send(body(code, fe.message));
  }
  req.log.error({ err }, "unhandled error");
  return reply.status(500).send(body("internal_error", "internal error"));
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string) {
  return reply.status(errorStatus[code]).send(body(code, message));
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { FaultEffect } from "./faults.ts";

/**
 * The HTTP plumbing both platform simulators share (WeCom's, the Official Account's): bodies read as
 * text and parsed here, errors answered the platform's way on its paths (`/cgi-bin/…`: HTTP 200 with
 * errcode) and in Siyu's error shape on the sim API (`/_sim/…`), injected faults. What differs per
 * platform — the errmsg format, its error class, the rate-limit errcode — is passed in.
 */

/** A 4xx of a sim API, in Siyu's error shape. */
export class SimHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown, name = "SimHttpError") {
    super(message);
    this.name = name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** An error a sim API answers with its own status and code (`details` when it has them). */
interface SimErrorLike {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** The platform's errcode answer: HTTP 200 `{ errcode, errmsg }`, errmsg in the platform's format. */
export type Answer = (reply: FastifyReply, errcode: number, message: string) => FastifyReply;

export interface PlatformAppOptions {
  answer: Answer;
  /** The platform's error (thrown by its APIs): its errcode and message, or undefined. */
  platformError(err: unknown): { errcode: number; message: string } | undefined;
  /** Errors of the sim API answered with their status and code, besides `SimHttpError`. */
  isSimError?(err: unknown): err is SimErrorLike;
  /** The platform's errmsgs of 47001 (bad request) and -1 (system busy). */
  errcodes: { 47001: string; [-1]: string };
  /** Log line of an unexpected error. */
  logMessage: string;
}

/** Body parsing, error and not-found handlers of a simulator plugin's Fastify scope. */
export function preparePlatformApp(app: FastifyInstance, o: PlatformAppOptions): void {
  // Bodies are read as text and parsed here: the platforms answer bad JSON with errcode 47001, and
  // the sim API with its own 400, neither with the host app's parsers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number; status?: number }, req, reply) => {
    const platform = o.platformError(err);
    if (platform) return o.answer(reply, platform.errcode, platform.message);
    if (err instanceof SimHttpError || o.isSimError?.(err)) {
      const e = err as SimErrorLike;
      return reply.code(e.status).send({
        error: {
          code: e.code,
          message: e.message,
          ...(e.details !== undefined ? { details: e.details } : {}),
        },
      });
    }
    // Fastify errors carry statusCode; the host app's AppError (e.g. its NUL-character guard) carries status.
    const given = err.statusCode ?? err.status;
    const status = typeof given === "number" && given >= 400 && given < 500 ? given : 500;
    if (req.url.includes("/cgi-bin/"))
      return status < 500 ? o.answer(reply, 47001, o.errcodes[47001]) : o.answer(reply, -1, o.errcodes[-1]);
    if (status >= 500) req.log.error({ err }, o.logMessage);
    return reply.code(status).send({
      error: {
        code: status === 413 ? "payload_too_large" : status < 500 ? "bad_request" : "internal_error",
        message: status < 500 ? err.message : "internal error",
      },
    });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: { code: "route_not_found", message: `no route ${req.method} ${req.url.split("?")[0]}` },
    }),
  );
}

/** A JSON object body (empty: `{}`); anything else throws `bad()` (the platform's 47001). */
export function jsonObjectBody<T extends object>(req: FastifyRequest, bad: () => Error): T {
  const raw = typeof req.body === "string" ? req.body : "";
  let parsed: unknown;
  try {
    parsed = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    throw bad();
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw bad();
  return parsed as T;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What a corp or an account has of injected faults (`Faults`). */
export interface FaultSource {
  faults: { take(api: string): FaultEffect | undefined; allow(api: string, nowMs: number): boolean };
}

/**
 * Injected faults (delay, an HTML error page, an errcode) and the per-minute rate, answered with
 * `rateErrcode`; true when the call was answered here.
 */
export async function applyInjectedFaults(
  target: FaultSource,
  api: string,
  reply: FastifyReply,
  o: { answer: Answer; errcodes: Record<number, string>; rateErrcode: number; now: () => number },
): Promise<boolean> {
  const effect = target.faults.take(api);
  if (effect?.delayMs) await sleep(effect.delayMs);
  if (effect?.httpStatus) {
    reply.code(effect.httpStatus).type("text/html").send(`<html><body>${effect.httpStatus}</body></html>`);
    return true;
  }
  if (effect?.errcode !== undefined) {
    o.answer(reply, effect.errcode, o.errcodes[effect.errcode] ?? "injected error");
    return true;
  }
  if (!target.faults.allow(api, o.now())) {
    o.answer(reply, o.rateErrcode, o.errcodes[o.rateErrcode] ?? "api freq out of limit");
    return true;
  }
  return false;
}

import { pino } from "pino";
import { sensitiveSettings } from "./config/config.ts";

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "password",
        "*.password",
        "secret",
        "*.secret",
        "token",
        ...sensitiveSettings,
      ],
      censor: "[redacted]",
    },
  });
}

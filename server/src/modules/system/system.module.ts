import type { Module } from "../../platform/platform.ts";
import { auditRoutes } from "./audit.routes.ts";
import { encryptionRoutes } from "./encryption.routes.ts";
import { defineRotateKeysJob, resumeRotations } from "./rotate-keys.job.ts";
import { settingsRoutes } from "./settings.routes.ts";
import { systemRoutes } from "./system.routes.ts";

/** Console plumbing: overview, queues and dead letters, tenant settings, audit log, encryption. */
export const systemModule: Module = {
  name: "system",
  setup(platform) {
    platform.jobs.define(defineRotateKeysJob(platform));
  },
  routes(api, platform) {
    systemRoutes(api, platform);
    settingsRoutes(api, platform);
    auditRoutes(api, platform);
    encryptionRoutes(api, platform);
  },
  async started(platform) {
    if (platform.config.role !== "api") await resumeRotations(platform);
  },
};

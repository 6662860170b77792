import type { Module } from "../../platform/platform.ts";
import { tasksRoutes } from "./routes/tasks.routes.ts";

/** Staff tasks (待办): approvals and human tasks of flows, tasks created by flow actions. */
export const tasksModule: Module = {
  name: "tasks",
  routes(api, platform) {
    tasksRoutes(api, platform);
  },
};

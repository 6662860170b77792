import type { Module } from "../../platform/platform.ts";
import { apiKeysRoutes } from "./routes/api-keys.routes.ts";
import { authRoutes } from "./routes/auth.routes.ts";
import { rolesRoutes } from "./routes/roles.routes.ts";
import { tenantsRoutes } from "./routes/tenants.routes.ts";
import { usersRoutes } from "./routes/users.routes.ts";
import { bootstrap } from "./tenants.service.ts";

/** Tenants, users, departments, roles and permissions, sessions and API keys. */
export const iamModule: Module = {
  name: "iam",
  routes(api, platform) {
    authRoutes(api, platform);
    usersRoutes(api, platform);
    rolesRoutes(api, platform);
    apiKeysRoutes(api, platform);
    tenantsRoutes(api, platform);
  },
  async started(platform) {
    if (platform.config.role !== "worker") await bootstrap(platform);
  },
};

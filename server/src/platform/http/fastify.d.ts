import type { Permission } from "@siyu/contracts";
import type { Actor } from "../audit/audit.ts";
import type { Scope } from "../db/index.ts";
import type { AuthContext } from "./auth-context.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** No bearer token needed (login, health, callbacks). */
    public?: boolean;
    /** Permission the caller must hold. */
    permission?: Permission;
    /** The kind of tenant object named by `:id` (used by the cross-tenant isolation suite). */
    resource?: string;
    /** Platform admins only. */
    platformAdmin?: boolean;
  }
  interface FastifyInstance {
    /** Every registered route with its config (see http/app.ts). */
    siyuRoutes: import("./app.ts").RouteInfo[];
  }
  interface FastifyRequest {
    auth: AuthContext | null;
    /** The authenticated caller; throws 401 when absent. */
    caller(): AuthContext;
    /** Runs fn in a transaction of the caller's tenant (row-level security applies). */
    inTenant<T>(fn: (scope: Scope) => Promise<T>): Promise<T>;
    actor(): Actor;
  }
}

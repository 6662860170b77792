export type { Database, Drizzle, RawClient, Scope } from "./database.ts";
export { APP_ROLE } from "./database.ts";
export { migrate } from "./migrate.ts";
export { openDatabase } from "./open.ts";
export { inBackground, isBackground } from "./priority.ts";
export { enterTenant } from "./scope.ts";

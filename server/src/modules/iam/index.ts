export { iamEvents, type UserDeactivatedPayload } from "./events.ts";
export { iamModule } from "./iam.module.ts";
export { createAuthenticator } from "./ops/authenticate.ts";
export { bootstrap, createTenant, demoTenantId } from "./tenants.service.ts";
export { createUser, getUser, managersOf, userIdsByEmail } from "./users.service.ts";

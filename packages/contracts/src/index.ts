export * from "./api.ts";
export * from "./customers.ts";
export * from "./errors.ts";
export * from "./roles.ts";
export * from "./segments.ts";
export * from "./web-extra.ts";
export * from "./wecom.ts";
export * from "./wecom-views.ts";

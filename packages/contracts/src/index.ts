export * from "./api.ts";
export * from "./errors.ts";
export * from "./roles.ts";
export * from "./web-extra.ts";
export * from "./customers.ts";
export * from "./segments.ts";

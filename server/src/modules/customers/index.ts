export { customersModule } from "./customers.module.ts";
export {
  addTags,
  assertVisible,
  type CustomerInput,
  removeTagIds,
  upsertCustomer,
  type Writer,
} from "./customers.service.ts";
export type { IdentityInput } from "./model.ts";
export {
  analyzeCustomerTables,
  analyzeDue,
  type BulkUpsertResult,
  type BulkWriteOptions,
  customersUpserted,
  upsertCustomers,
} from "./ops/upsert-customers.ts";
export { normalizePhone, tryNormalizePhone } from "./phone.ts";
export { renameTag } from "./rename-tag.ts";
export { cleanTagName, ensureTags, listTags, type TagRow, tagsByIds } from "./tags.service.ts";
/** Appends a fact to a customer's timeline (and publishes it as a domain event, same transaction). */
export { recordCustomerEvent as appendTimeline, recordCustomerEvent } from "./timeline.ts";

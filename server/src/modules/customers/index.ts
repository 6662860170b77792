export { customersModule } from "./customers.module.ts";
export {
  addTags,
  assertVisible,
  type CustomerInput,
  removeTagIds,
  updateCustomer,
  upsertCustomer,
  type Writer,
} from "./customers.service.ts";
export { type CustomerFacts, customerFacts } from "./facts.ts";
export type { IdentityInput } from "./model.ts";
/** Audiences of journeys (birthdays, dormant customers) and the stage mix of a set of customers. */
export { birthdayCustomerIds, dormantCustomerIds, lifecycleStageCounts } from "./ops/audiences.ts";
export { customerIdsWithTag, customerNames } from "./ops/customers-with-tag.ts";
export { findCustomer } from "./ops/find-customer.ts";
/** Other modules' rows that name a customer follow merges (and undone merges) through this. */
export { type CustomerMergeFollower, followCustomerMerges } from "./ops/follow-merges.ts";
export { refineCustomerSource } from "./ops/refine-source.ts";
/** Rows that kept a customer id from before a merge: the profile it became (send-time checks, results). */
export {
  customerIdsMergedInto,
  customerMergeChains,
  customersOfIdentities,
  type IdentityRef,
  identityRefKey,
  survivingCustomerId,
  survivingCustomerIds,
} from "./ops/surviving-customers.ts";
export {
  analyzeCustomerTables,
  analyzeDue,
  type BulkUpsertResult,
  type BulkWriteOptions,
  customersUpserted,
  type TagsAdded,
  tagsAddedOf,
  upsertCustomers,
} from "./ops/upsert-customers.ts";
export { normalizePhone, tryNormalizePhone } from "./phone.ts";
export { renameTag } from "./rename-tag.ts";
/** Who of some customers (or of everyone, paged) is in a segment now (segment-entry triggers). */
export { segmentMatchIds } from "./segments/index.ts";
export { cleanTagName, ensureTags, findTags, listTags, type TagRow, tagsByIds } from "./tags.service.ts";
/** Appends a fact to a customer's timeline (and publishes it as a domain event, same transaction). */
export {
  type CustomerFact,
  recordCustomerEvent as appendTimeline,
  recordCustomerEvent,
  recordCustomerEvents,
} from "./timeline.ts";

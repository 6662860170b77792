export { customersModule } from "./customers.module.ts";
export {
  addTags,
  assertVisible,
  type CustomerInput,
  removeTagIds,
  upsertCustomer,
  type Writer,
} from "./customers.service.ts";
export { normalizePhone, tryNormalizePhone } from "./phone.ts";
export { recordCustomerEvent } from "./timeline.ts";

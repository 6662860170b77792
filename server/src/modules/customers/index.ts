export { customersModule } from "./customers.module.ts";
export {
  addTags,
  type CustomerInput,
  removeTagIds,
  upsertCustomer,
  type Writer,
} from "./customers.service.ts";
export { normalizePhone, tryNormalizePhone } from "./phone.ts";

import { registerEncryptedColumn } from "../../platform/crypto/index.ts";
import type { Module } from "../../platform/platform.ts";
import { customersRoutes } from "./routes/customers.routes.ts";
import { fieldsRoutes } from "./routes/fields.routes.ts";
import { mergeRoutes } from "./routes/merge.routes.ts";
import { privacyRoutes } from "./routes/privacy.routes.ts";
import { tagsRoutes } from "./routes/tags.routes.ts";

/** The customer data hub (SPEC §1): one profile per person. */
export const customersModule: Module = {
  name: "customers",
  setup() {
    registerEncryptedColumn({ table: "customers", idColumn: "id", column: "phone_enc" });
  },
  routes(api, platform) {
    customersRoutes(api, platform);
    tagsRoutes(api, platform);
    fieldsRoutes(api, platform);
    mergeRoutes(api, platform);
    privacyRoutes(api, platform);
  },
};

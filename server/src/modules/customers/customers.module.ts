import { registerEncryptedColumn } from "../../platform/crypto/index.ts";
import type { Module } from "../../platform/platform.ts";
import { exportRoutes } from "./export/index.ts";
import { defineImportJobs, importRoutes } from "./import/index.ts";
import { customersRoutes } from "./routes/customers.routes.ts";
import { customerSettingsRoutes, fieldsRoutes } from "./routes/fields.routes.ts";
import { mergeRoutes } from "./routes/merge.routes.ts";
import { privacyRoutes } from "./routes/privacy.routes.ts";
import { tagsRoutes } from "./routes/tags.routes.ts";
import { defineTagRuleJobs, scheduleTagRuleJobs } from "./rules/tag-rules.jobs.ts";
import { tagRulesRoutes } from "./rules/tag-rules.routes.ts";
import { segmentsRoutes } from "./segments/index.ts";

/** The customer data hub (SPEC §1): one profile per person. */
export const customersModule: Module = {
  name: "customers",
  setup(platform) {
    registerEncryptedColumn({ table: "customers", idColumn: "id", column: "phone_enc" });
    defineTagRuleJobs(platform);
    defineImportJobs(platform);
  },
  routes(api, platform) {
    customersRoutes(api, platform);
    tagsRoutes(api, platform);
    fieldsRoutes(api, platform);
    customerSettingsRoutes(api, platform);
    tagRulesRoutes(api, platform);
    segmentsRoutes(api, platform);
    mergeRoutes(api, platform);
    privacyRoutes(api, platform);
    importRoutes(api, platform);
    exportRoutes(api, platform);
  },
  async started(platform) {
    if (platform.config.role !== "api") await scheduleTagRuleJobs(platform);
  },
};

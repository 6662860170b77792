import { registerEncryptedColumn } from "../../platform/crypto/index.ts";
import type { Module } from "../../platform/platform.ts";
import { wecomCallbackRoutes } from "./routes/callback.routes.ts";
import { wecomSettingsRoutes } from "./routes/settings.routes.ts";
import { encryptedSettingColumns } from "./settings.service.ts";

/** The WeCom engine (SPEC §2): settings, callbacks, event processing and sync. */
export const wecomModule: Module = {
  name: "wecom",
  setup() {
    for (const column of encryptedSettingColumns) {
      registerEncryptedColumn({ table: "wecom_settings", idColumn: "tenant_id", column });
    }
  },
  routes(api, platform) {
    wecomSettingsRoutes(api, platform);
  },
  async callbacks(app, platform) {
    await wecomCallbackRoutes(app, platform);
  },
};

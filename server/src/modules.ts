import { channelsModule } from "./modules/channels/index.ts";
import { customersModule } from "./modules/customers/index.ts";
import { iamModule } from "./modules/iam/index.ts";
import { quickRepliesModule } from "./modules/quick-replies/index.ts";
import { systemModule } from "./modules/system/index.ts";
import { wecomModule } from "./modules/wecom/index.ts";
import type { Module } from "./platform/platform.ts";
import { sandboxModule } from "./sandbox/index.ts";

/** Every product area, in boot order. */
export const modules: Module[] = [
  iamModule,
  systemModule,
  customersModule,
  quickRepliesModule,
  wecomModule,
  channelsModule,
  sandboxModule,
];

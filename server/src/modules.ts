import { channelsModule } from "./modules/channels/index.ts";
import { contactPolicyModule } from "./modules/contact-policy/index.ts";
import { contentModule } from "./modules/content/index.ts";
import { customersModule } from "./modules/customers/index.ts";
import { engagementModule } from "./modules/engagement/index.ts";
import { flowsModule } from "./modules/flows/index.ts";
import { iamModule } from "./modules/iam/index.ts";
import { officialAccountModule } from "./modules/official-account/index.ts";
import { quickRepliesModule } from "./modules/quick-replies/index.ts";
import { sopModule } from "./modules/sop/index.ts";
import { systemModule } from "./modules/system/index.ts";
import { tasksModule } from "./modules/tasks/index.ts";
import { wecomModule } from "./modules/wecom/index.ts";
import type { Module } from "./platform/platform.ts";
import { sandboxModule } from "./sandbox/index.ts";

/** Every product area, in boot order. */
export const modules: Module[] = [
  iamModule,
  systemModule,
  customersModule,
  contactPolicyModule,
  quickRepliesModule,
  wecomModule,
  channelsModule,
  tasksModule,
  sopModule,
  flowsModule,
  // After wecom: the demo account shares unionids with the WeCom demo corp.
  officialAccountModule,
  contentModule,
  engagementModule,
  sandboxModule,
];

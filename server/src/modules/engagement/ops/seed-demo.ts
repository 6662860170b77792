import type { Platform } from "../../../platform/platform.ts";
import { getOaSandbox, wireOaSandboxTenant } from "../../../sandbox/index.ts";
import { createOaQrCode } from "../../channels/index.ts";
import { saveArticle } from "../../content/index.ts";
import { demoTenantId } from "../../iam/index.ts";
import {
  mapAndSyncTag,
  publishMenus,
  saveKeywordReply,
  saveMenu,
  saveWelcome,
  syncTemplates,
} from "../../official-account/index.ts";
import { saveRule } from "../engagement.service.ts";

export const seedOaDemoJob = "engagement.seed-oa-demo";
const system = { email: "system" };

/**
 * The demo tenant's Official Account features, once (the first rule marks it): a service-progress
 * template in the simulated account, two articles, a channel code with a welcome article, the
 * welcome and a keyword reply, default and VIP menus, and both cross-engine rules. Runs as a delayed
 * job after start: creating the QR code and publishing menus call the in-app simulator over HTTP.
 */
export function defineOaDemoSeed(platform: Platform) {
  platform.jobs.define<{ tenantId: string }>({
    name: seedOaDemoJob,
    queue: "system",
    attempts: 5,
    backoffMs: 5000,
    async handler({ tenantId }) {
      const sandbox = getOaSandbox(platform);
      if (!sandbox) return;
      const [seeded] = await platform.db.tenant(tenantId, (s) =>
        s.query("select 1 from engagement_rules limit 1"),
      );
      if (seeded) return;
      const wired = wireOaSandboxTenant(platform, tenantId);
      const account = sandbox.account(wired.appId);
      if (!account) return;
      if (!account.templates.some((t) => t.template_id === "tpl_demo_progress")) {
        account.templates.push({
          template_id: "tpl_demo_progress",
          title: "服务进度通知",
          content: "{{thing1.DATA}}\n进度：{{phrase2.DATA}}",
        });
        sandbox.changed(account);
      }
      await syncTemplates(platform, tenantId, system);
      const [vip, care] = await platform.db.tenant(tenantId, async (s) => [
        await saveArticle(s, platform, system, {
          title: "会员权益说明",
          summary: "新会员专享：免费上门检测一次",
          url: "https://example.com/siyu-demo/vip",
        }),
        await saveArticle(s, platform, system, {
          title: "空调保养指南",
          summary: "换季前的 5 个保养要点",
          url: "https://example.com/siyu-demo/ac-care",
        }),
      ]);
      if (!vip || !care) return;
      await createOaQrCode(
        platform,
        { tenantId, userId: null, actor: system, audit: platform.audit },
        {
          name: "门店海报（公众号）",
          scene: "demo_store_poster",
          permanent: true,
          tags: ["公众号门店码"],
          oaTagIds: [],
          welcome: { type: "article", articleId: vip.id },
        },
      );
      await platform.db.tenant(tenantId, async (s) => {
        await saveWelcome(s, platform, system, {
          type: "text",
          content: "欢迎关注思域演示服务号！回复「营业时间」试试。",
        });
        await saveKeywordReply(s, platform, system, {
          keyword: "营业时间",
          match: "contains",
          reply: { type: "text", content: "门店每天 10:00–22:00 营业，欢迎光临。" },
        });
        await saveKeywordReply(s, platform, system, {
          keyword: "保养",
          match: "contains",
          reply: { type: "article", articleId: care.id },
        });
        await saveMenu(s, platform, system, {
          name: "默认菜单",
          tag: null,
          buttons: [
            { type: "click", name: "会员中心", key: "MEMBER_CENTER" },
            {
              name: "门店服务",
              sub_button: [
                { type: "click", name: "预约到店", key: "BOOK_VISIT" },
                { type: "view", name: "附近门店", url: "https://example.com/stores" },
              ],
            },
          ],
        });
        await saveMenu(s, platform, system, {
          name: "VIP 菜单",
          tag: "VIP",
          buttons: [
            { type: "click", name: "VIP专线", key: "VIP_LINE" },
            { type: "click", name: "会员中心", key: "MEMBER_CENTER" },
          ],
        });
        await saveRule(s, platform, system, {
          kind: "oa_message_followup",
          name: "公众号咨询转企微跟进",
          enabled: true,
          keyword: "",
        });
        await saveRule(s, platform, system, {
          kind: "tag_sends_article",
          name: "空调保养标签推送保养指南",
          enabled: true,
          tag: "空调保养",
          articleId: care.id,
          templateId: "tpl_demo_progress",
          data: { thing1: "{{title}}", phrase2: "请查收" },
        });
      });
      // VIP is mapped to an OA tag (its members tagged in the account), so the VIP menu matches them.
      await mapAndSyncTag(platform, tenantId, system, "VIP");
      await publishMenus(platform, tenantId, system).catch((err: unknown) =>
        platform.log.warn({ err }, "demo menus not published"),
      );
      platform.log.info({ tenantId }, "demo tenant's Official Account features seeded");
    },
  });
}

export async function scheduleOaDemoSeed(platform: Platform): Promise<void> {
  if (!getOaSandbox(platform)) return;
  const tenantId = await demoTenantId(platform.db);
  if (!tenantId) return;
  await platform.jobs.send(seedOaDemoJob, { tenantId }, { delayMs: 5000, key: `seed-oa-demo:${tenantId}` });
}

import type { QuickReplyAttachment } from "@siyu/contracts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";

interface SeedReply {
  title: string;
  content: string;
  keywords: string[];
  attachments?: QuickReplyAttachment[];
}

/** A small appliance shop's library: what its staff really answer most days. */
const library: Array<{ group: string; replies: SeedReply[] }> = [
  {
    group: "问候欢迎",
    replies: [
      {
        title: "新客户欢迎语",
        content:
          "您好，我是您的专属顾问，很高兴为您服务！产品选购、安装预约、售后问题都可以直接在这里问我哦～",
        keywords: ["你好", "您好", "在吗", "哈喽"],
      },
      {
        title: "非工作时间回复",
        content:
          "您好，现在是非工作时间（工作时间 9:00–21:00），您的问题我已收到，上班后第一时间回复您，请见谅～",
        keywords: ["晚上", "有人吗", "人呢"],
      },
    ],
  },
  {
    group: "价格咨询",
    replies: [
      {
        title: "报价与优惠",
        content:
          "这款目前到手价是活动价，本周下单还送价值 199 元的延保一年。您方便说下型号和安装位置，我帮您核算最终价格。",
        keywords: ["价格", "多少钱", "报价", "优惠", "便宜"],
      },
      {
        title: "以旧换新",
        content:
          "我们支持以旧换新：旧机按品牌和使用年限折价，最高抵 800 元，上门送新机时一并拉走旧机，不用您另外处理。",
        keywords: ["以旧换新", "旧机", "回收", "折价"],
      },
      {
        title: "分期付款",
        content: "支持花呗和信用卡分期，3 期、6 期免息，12 期手续费较低，下单时在收银台选择即可。",
        keywords: ["分期", "免息", "花呗", "信用卡"],
      },
    ],
  },
  {
    group: "安装预约",
    replies: [
      {
        title: "预约安装",
        content:
          "安装可以预约的！请告诉我：1. 收货地址 2. 方便的日期和时间段（上午/下午） 3. 联系电话。师傅会提前一天电话确认。",
        keywords: ["安装", "预约", "上门", "师傅"],
        attachments: [
          {
            type: "miniprogram",
            title: "在线预约安装",
            appId: "wx5f2b8c1d9e3a7b60",
            page: "pages/booking/index",
          },
        ],
      },
      {
        title: "安装收费说明",
        content:
          "标准安装免费，包含基础辅材；如需加长铜管、打孔或高空作业，按公示价收费，师傅上门先报价，您同意后再施工。",
        keywords: ["安装费", "收费", "辅材", "打孔"],
        attachments: [
          {
            type: "link",
            title: "安装收费标准",
            url: "https://example.com/install-fees",
            description: "辅材与特殊作业价目表",
          },
        ],
      },
    ],
  },
  {
    group: "售后服务",
    replies: [
      {
        title: "报修登记",
        content:
          "很抱歉给您带来不便！麻烦您发一下：产品型号（机身铭牌拍照即可）、故障现象、购买日期，我马上为您登记报修。",
        keywords: ["坏了", "故障", "维修", "报修", "不工作", "不制冷"],
      },
      {
        title: "退换货政策",
        content:
          "7 天无理由退货、15 天质量问题换货。商品需保持完好、配件齐全，我这边帮您申请，快递上门取件。",
        keywords: ["退货", "换货", "退款", "退换"],
      },
      {
        title: "保修期说明",
        content: "整机保修 3 年，压缩机等核心部件保修 10 年，凭购买凭证享受。保修期内非人为损坏免费维修。",
        keywords: ["保修", "质保", "保修期"],
      },
    ],
  },
];

/**
 * Gives each demo tenant a quick-reply library once: a tenant that has ever had a group (even one since
 * deleted) is left as it is, so restarts and several processes booting at once never add a second copy.
 */
export async function seedDemoQuickReplies(platform: Platform): Promise<void> {
  const tenants = await platform.db.system((s) =>
    s.query<{ id: string }>("select id from tenants where demo order by created_at"),
  );
  for (const tenant of tenants) {
    await platform.db.tenant(tenant.id, async (s) => {
      await s.query("select pg_advisory_xact_lock(7261020)");
      if ((await s.query("select 1 from quick_reply_groups limit 1")).length) return;
      for (const [gi, { group, replies }] of library.entries()) {
        const groupOrder = (gi + 1) * 10;
        const groupId = newId("qrg");
        await s.query(
          "insert into quick_reply_groups (id, tenant_id, name, sort_order) values ($1, $2, $3, $4)",
          [groupId, tenant.id, group, groupOrder],
        );
        for (const [ri, r] of replies.entries()) {
          await s.query(
            `insert into quick_replies (id, tenant_id, group_id, title, content, keywords, attachments, sort_order, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, 'system')`,
            [
              newId("qr"),
              tenant.id,
              groupId,
              r.title,
              r.content,
              r.keywords,
              JSON.stringify(r.attachments ?? []),
              groupOrder * 100 + (ri + 1) * 10,
            ],
          );
        }
      }
      platform.log.info({ tenantId: tenant.id }, "demo quick replies seeded");
    });
  }
}

import { type FlowTemplate, graph } from "./build.ts";

const msg = (text: string, extra: Record<string, unknown> = {}) => ({
  action: "wecom.send_message",
  text,
  ...extra,
});

/** (a) New-customer SOP: day 0 welcome, day 1 / 3 / 7 touches, tags and stages. */
export const newCustomerSop: FlowTemplate = {
  key: "new-customer-sop",
  name: "新客 7 天培育 SOP",
  description:
    "客户添加企业微信后自动进入：当天欢迎语，第 1、3、7 天分别推送使用指南、新客券提醒和到店邀请，并打上“新客”标签、推进生命周期阶段。每条消息都经过触达策略（频次上限、免打扰时段、退订）。",
  category: "sop",
  industry: "general",
  steps: ["添加好友", "第 0 天欢迎", "第 1 天指南", "第 3 天券提醒", "第 7 天到店邀请"],
  trigger: "新增企业微信好友（wecom.contact_added）",
  uses: ["企业微信消息", "标签：新客、新客-已培育", "阶段：新客 → 活跃"],
  definition: graph(
    [
      {
        id: "t",
        type: "trigger",
        label: "添加企业微信好友",
        params: { event: "wecom.contact_added" },
        col: 0,
      },
      {
        id: "stage_new",
        type: "action",
        label: "阶段：新客",
        params: { action: "customer.set_stage", stage: "新客" },
        col: 1,
      },
      {
        id: "d0",
        type: "action",
        label: "第 0 天：欢迎语",
        params: msg("您好，欢迎成为我们的会员！我是您的专属顾问，有任何问题随时找我～"),
        col: 2,
      },
      {
        id: "tag_new",
        type: "action",
        label: "打标签：新客",
        params: { action: "customer.add_tag", tag: "新客" },
        col: 3,
      },
      { id: "w1", type: "wait", label: "等待 1 天", params: { duration: "P1D" }, col: 4 },
      {
        id: "d1",
        type: "action",
        label: "第 1 天：使用指南",
        params: msg("给您整理了一份新会员使用指南：积分、会员日和专属服务都在这里，欢迎查看～"),
        col: 5,
      },
      { id: "w3", type: "wait", label: "等到第 3 天", params: { duration: "P2D" }, col: 6 },
      {
        id: "d3",
        type: "action",
        label: "第 3 天：新客券提醒",
        params: msg("温馨提醒：您的新客专享券还未使用，本周到店或线上下单均可抵扣哦。"),
        col: 7,
      },
      {
        id: "tag_nurtured",
        type: "action",
        label: "打标签：新客-已培育",
        params: { action: "customer.add_tag", tag: "新客-已培育" },
        col: 8,
      },
      { id: "w7", type: "wait", label: "等到第 7 天", params: { duration: "P4D" }, col: 9 },
      {
        id: "d7",
        type: "action",
        label: "第 7 天：到店邀请",
        params: msg("本周三是会员日，到店即送精美小礼，期待与您见面！"),
        col: 10,
      },
      {
        id: "untag_new",
        type: "action",
        label: "移除标签：新客",
        params: { action: "customer.remove_tag", tag: "新客" },
        col: 11,
      },
      {
        id: "stage_active",
        type: "action",
        label: "阶段：活跃",
        params: { action: "customer.set_stage", stage: "活跃" },
        col: 12,
      },
      { id: "end", type: "end", label: "结束", col: 13 },
    ],
    [
      ["t", "stage_new"],
      ["stage_new", "d0"],
      ["d0", "tag_new"],
      ["tag_new", "w1"],
      ["w1", "d1"],
      ["d1", "w3"],
      ["w3", "d3"],
      ["d3", "tag_nurtured"],
      ["tag_nurtured", "w7"],
      ["w7", "d7"],
      ["d7", "untag_new"],
      ["untag_new", "stage_active"],
      ["stage_active", "end"],
    ],
    { reentry: { mode: "once" } },
  ),
};

/** (b) Birthday care: a daily schedule finds today's birthdays (tenant time zone) and greets each. */
export const birthdaySop: FlowTemplate = {
  key: "birthday-care",
  name: "生日关怀",
  description:
    "每天 9:00 找出今天过生日的客户（客户属性 birthday，按租户时区），逐一发送生日祝福、发放生日礼券并打上“生日关怀”标签。一年内同一客户只关怀一次。",
  category: "sop",
  industry: "retail",
  steps: ["每日 9:00", "筛选今日寿星", "生日祝福", "生日礼券", "打标签"],
  trigger: "定时：每天 9:00（Asia/Shanghai）",
  uses: ["客户属性：birthday（YYYY-MM-DD）", "企业微信消息", "优惠券（占位台账）", "标签：生日关怀"],
  definition: graph(
    [
      {
        id: "daily",
        type: "trigger",
        label: "每天 9:00",
        params: { event: "schedule", cron: "0 9 * * *", tz: "Asia/Shanghai" },
        col: 0,
      },
      {
        id: "each",
        type: "action",
        label: "找出今天生日的客户",
        params: { action: "flow.start_each", audience: { kind: "birthday_today" }, startAt: "per" },
        col: 1,
      },
      { id: "done", type: "end", label: "结束", col: 2 },
      { id: "per", type: "trigger", label: "每位寿星", params: { event: "manual" }, col: 0, lane: 1 },
      {
        id: "greet",
        type: "action",
        label: "生日祝福",
        params: msg("生日快乐！感谢一路相伴，送您一份生日礼券，愿新的一岁万事顺意～"),
        col: 1,
        lane: 1,
      },
      {
        id: "coupon",
        type: "action",
        label: "发放生日礼券",
        params: { action: "coupon.issue", title: "生日礼券", amountFen: 5000, validFor: "P30D" },
        col: 2,
        lane: 1,
      },
      {
        id: "tag",
        type: "action",
        label: "打标签：生日关怀",
        params: { action: "customer.add_tag", tag: "生日关怀" },
        col: 3,
        lane: 1,
      },
      { id: "end", type: "end", label: "结束", col: 4, lane: 1 },
    ],
    [
      ["daily", "each"],
      ["each", "done"],
      ["per", "greet"],
      ["greet", "coupon"],
      ["coupon", "tag"],
      ["tag", "end"],
    ],
    { reentry: { mode: "cooldown", duration: "P300D" } },
  ),
};

/** (c) Win back: dormant 90 days → coupon → unused in 7 days → a 1:1 task for the store manager. */
export const dormantSop: FlowTemplate = {
  key: "dormant-winback",
  name: "沉睡客户唤醒",
  description:
    "每天 10:00 找出 90 天没有任何互动的客户，发放 7 天有效的回归礼券并发送消息；7 天内核销则标记“已唤醒”，未核销则给店长创建 1 对 1 回访任务。同一客户 90 天内只进入一次。",
  category: "sop",
  industry: "retail",
  steps: ["每日 10:00", "沉睡 90 天", "回归礼券", "7 天内核销？", "店长 1 对 1 回访"],
  trigger: "定时：每天 10:00（Asia/Shanghai）",
  uses: ["优惠券（占位台账）与 coupon.redeemed 事件", "企业微信消息", "待办：店长", "阶段：沉睡 → 活跃"],
  definition: graph(
    [
      {
        id: "daily",
        type: "trigger",
        label: "每天 10:00",
        params: { event: "schedule", cron: "0 10 * * *", tz: "Asia/Shanghai" },
        col: 0,
      },
      {
        id: "each",
        type: "action",
        label: "找出沉睡 90 天的客户",
        params: { action: "flow.start_each", audience: { kind: "dormant", days: 90 }, startAt: "per" },
        col: 1,
      },
      { id: "done", type: "end", label: "结束", col: 2 },
      { id: "per", type: "trigger", label: "每位沉睡客户", params: { event: "manual" }, col: 0, lane: 1 },
      {
        id: "stage_dormant",
        type: "action",
        label: "阶段：沉睡",
        params: { action: "customer.set_stage", stage: "沉睡" },
        col: 1,
        lane: 1,
      },
      {
        id: "coupon",
        type: "action",
        label: "发放回归礼券",
        params: { action: "coupon.issue", title: "回归礼券", amountFen: 2000, validFor: "P7D" },
        col: 2,
        lane: 1,
      },
      {
        id: "invite",
        type: "action",
        label: "发送回归邀请",
        params: msg("好久不见！送您一张 20 元回归礼券，7 天内有效，期待您再次光临～"),
        col: 3,
        lane: 1,
      },
      {
        id: "redeemed",
        type: "wait",
        label: "7 天内核销？",
        params: { event: "coupon.redeemed", timeout: "P7D" },
        col: 4,
        lane: 1,
      },
      {
        id: "tag_back",
        type: "action",
        label: "打标签：已唤醒",
        params: { action: "customer.add_tag", tag: "已唤醒" },
        col: 5,
        lane: 0,
      },
      {
        id: "stage_active",
        type: "action",
        label: "阶段：活跃",
        params: { action: "customer.set_stage", stage: "活跃" },
        col: 6,
        lane: 0,
      },
      { id: "end_back", type: "end", label: "唤醒成功", col: 7, lane: 0 },
      {
        id: "manager_task",
        type: "action",
        label: "店长 1 对 1 回访",
        params: {
          action: "task.create",
          title: "1 对 1 回访沉睡客户",
          description: "客户 90 天未互动，回归礼券 7 天未核销。请店长亲自电话或企业微信 1 对 1 回访。",
          assignee: { managerOf: "owner" },
          due: "P3D",
        },
        col: 5,
        lane: 2,
      },
      { id: "end_task", type: "end", label: "结束", col: 6, lane: 2 },
    ],
    [
      ["daily", "each"],
      ["each", "done"],
      ["per", "stage_dormant"],
      ["stage_dormant", "coupon"],
      ["coupon", "invite"],
      ["invite", "redeemed"],
      ["redeemed", "tag_back", "event"],
      ["tag_back", "stage_active"],
      ["stage_active", "end_back"],
      ["redeemed", "manager_task", "timeout"],
      ["manager_task", "end_task"],
    ],
    { reentry: { mode: "cooldown", duration: "P90D" } },
  ),
};

/**
 * (d) Group SOP: weekly group content. The WeCom module has no group mass-message action yet, so the
 * flow gives the store manager a task to post it in the groups (with the text to post).
 */
export const groupSop: FlowTemplate = {
  key: "group-weekly-content",
  name: "社群 SOP：每周会员日内容",
  description:
    "每周三 10:00 给店长派发社群待办：在客户群发布本周会员日内容（附文案）。当前企业微信模块尚无客户群群发动作，发布由店长在企业微信中完成后点“已发布”；4 小时未处理升级给管理员。",
  category: "sop",
  industry: "retail",
  steps: ["每周三 10:00", "店长群发待办", "已发布"],
  trigger: "定时：每周三 10:00（Asia/Shanghai）",
  uses: ["待办：店长（manager 角色）", "客户群：华东门店VIP客户群、新品体验官"],
  definition: graph(
    [
      {
        id: "weekly",
        type: "trigger",
        label: "每周三 10:00",
        params: { event: "schedule", cron: "0 10 * * 3", tz: "Asia/Shanghai" },
        col: 0,
      },
      {
        id: "post",
        type: "task",
        label: "在客户群发布本周内容",
        params: {
          title: "社群 SOP：在客户群发布本周会员日内容",
          description:
            "请在「华东门店VIP客户群」「新品体验官」等客户群发布：\n“本周三会员日：全场会员 9 折，到店再送精美小样，名额有限先到先得！”",
          assignee: { role: "manager" },
          outcomes: ["已发布"],
          due: "PT8H",
          escalation: { after: "PT4H", to: { role: "admin" } },
        },
        col: 1,
      },
      { id: "end", type: "end", label: "结束", col: 2 },
    ],
    [
      ["weekly", "post"],
      ["post", "end", "已发布"],
    ],
  ),
};

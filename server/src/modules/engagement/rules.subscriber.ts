import { AppError } from "../../platform/errors.ts";
import type { Platform } from "../../platform/platform.ts";
import { articleById } from "../content/index.ts";
import { appendTimeline } from "../customers/index.ts";
import { oaEvents, startTemplateSend } from "../official-account/index.ts";
import { insertTask } from "../tasks/index.ts";
import { ownerStaffOf } from "../wecom/index.ts";
import type { RuleRow } from "./engagement.service.ts";

/**
 * The cross-engine rules, driven by domain events (each delivery is processed once per subscriber,
 * in the transaction that records it, so a redelivered event creates no second task or send):
 * - `oa_message_followup`: an OA message from a follower who is also a WeCom contact becomes a
 *   follow-up task (tasks module) for each owner staff member, in the task inbox, on the customer's
 *   timeline and in the WeCom sidebar;
 * - `tag_sends_article`: a customer who gets tag X is sent article Y by template message (the send is
 *   an OA template batch: runStep per recipient, results from TEMPLATESENDJOBFINISH on the timeline).
 */
export function subscribeEngagementRules(platform: Platform) {
  const rulesOf = (
    scope: Parameters<Parameters<Platform["events"]["subscribe"]>[0]["handler"]>[1],
    kind: string,
  ) =>
    scope.query<RuleRow>(
      "select * from engagement_rules where kind = $1 and enabled and deleted_at is null",
      [kind],
    );

  platform.events.subscribe({
    name: "engagement.oa-message-followup",
    events: [oaEvents.messageReceived],
    queue: "automation",
    async handler(event, scope) {
      const p = event.payload as { customerId?: string; content?: string; msgType?: string };
      if (!p.customerId) return;
      const rules = await rulesOf(scope, "oa_message_followup");
      if (!rules.length) return;
      const text = (p.content ?? "").trim();
      const matching = rules.filter((r) => {
        const keyword = String(r.config.keyword ?? "").toLowerCase();
        return !keyword || text.toLowerCase().includes(keyword);
      });
      if (!matching.length) return;
      const owners = await ownerStaffOf(scope, p.customerId);
      if (!owners.length) return; // not a WeCom contact: no owner staff to follow up
      const rule = matching[0] as RuleRow;
      const title = text ? `公众号消息：${text.slice(0, 60)}` : `公众号消息（${p.msgType ?? "message"}）`;
      // One task per owner staff member, in the one task inbox: assigned to the member's Siyu login
      // when linked (otherwise to admins), and shown in the WeCom sidebar by customer.
      const logins = new Map(
        (
          await scope.query<{ userid: string; user_id: string | null }>(
            "select userid, user_id from wecom_staff where userid = any($1::text[])",
            [owners],
          )
        ).map((r) => [r.userid, r.user_id]),
      );
      let created = 0;
      for (const owner of owners) {
        const login = logins.get(owner);
        const task = await insertTask(scope, {
          type: "task",
          title,
          description: text.slice(0, 2000),
          customerId: p.customerId,
          assignees: login ? { userIds: [login], roles: [] } : { userIds: [], roles: ["admin"] },
          source: "oa_message",
          sourceKey: `${event.id}:${owner}`,
          staffUserid: owner,
        });
        if (!task) continue;
        created++;
        await appendTimeline(scope, platform.events, p.customerId, "engagement.follow_up_created", {
          followUpId: task.id,
          taskId: task.id,
          ownerUserid: owner,
          title,
          ruleId: rule.id,
          rule: rule.name,
        });
      }
      if (created)
        await scope.query("update engagement_rules set fired = fired + 1 where id = $1", [rule.id]);
    },
  });

  platform.events.subscribe({
    name: "engagement.tag-sends-article",
    events: ["customer.tag_added"],
    queue: "automation",
    async handler(event, scope) {
      const p = event.payload as { customerId?: string; tag?: string };
      if (!p.customerId || !p.tag) return;
      const tag = p.tag.toLowerCase();
      const rules = (await rulesOf(scope, "tag_sends_article")).filter(
        (r) => String(r.config.tag ?? "").toLowerCase() === tag,
      );
      for (const rule of rules) {
        const c = rule.config as { articleId: string; templateId: string; data: Record<string, string> };
        const article = await articleById(scope, c.articleId).catch(() => null);
        if (!article) continue;
        const data = Object.fromEntries(
          Object.entries(c.data ?? {}).map(([k, v]) => [k, v.replaceAll("{{title}}", article.title)]),
        );
        let batch: Awaited<ReturnType<typeof startTemplateSend>>;
        try {
          batch = await startTemplateSend(
            scope,
            platform,
            { email: "system" },
            { templateId: c.templateId, customerIds: [p.customerId], data, articleId: c.articleId },
            `rule:${rule.id}`,
          );
        } catch (err) {
          // An unknown template is the rule's fault, not the event's: skip it (retrying cannot help).
          if (err instanceof AppError) {
            platform.log.warn({ err, ruleId: rule.id }, "tag → article rule could not send; skipped");
            continue;
          }
          throw err;
        }
        if (batch.total > 0) {
          await scope.query("update engagement_rules set fired = fired + 1 where id = $1", [rule.id]);
          await appendTimeline(scope, platform.events, p.customerId, "engagement.article_sent", {
            ruleId: rule.id,
            rule: rule.name,
            articleId: article.id,
            title: article.title,
            batchId: batch.id,
          });
        }
      }
    },
  });
}

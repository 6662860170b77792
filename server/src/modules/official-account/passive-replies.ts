import type { PassiveReply } from "../../connectors/official-account/index.ts";
import type { Platform } from "../../platform/platform.ts";

/** What a passive-reply provider is told about a delivered message (already stored in the inbox). */
export interface PassiveReplyContext {
  tenantId: string;
  appId: string;
  /** The follower. */
  openid: string;
  /** `text`, `image`, … or `event`. */
  msgType: string;
  /** For events: `subscribe`, `SCAN`, `CLICK`, … ("" for messages). */
  event: string;
  /** Text messages: the text; CLICK: the button key; subscribe/SCAN: the scene ("" if none). */
  content: string;
  /** Every field of the message, as strings. */
  message: Readonly<Record<string, string>>;
  /** A retry of a delivery already stored: answer it the same way (WeChat shows only one). */
  duplicate: boolean;
}

/**
 * Answers a message with a passive reply, or null to pass. Runs on the callback's ack path (WeChat
 * waits 5 s, the route gives providers `passiveReplyBudgetMs`): answer from cached data, never call
 * an outside API or run a slow query. Throwing or being late counts as null.
 */
export type PassiveReplyProvider = (
  ctx: PassiveReplyContext,
) => Promise<PassiveReply | null> | PassiveReply | null;

interface Registered {
  name: string;
  priority: number;
  provide: PassiveReplyProvider;
}

/** The whole time providers get per callback; the ack stays well inside WeChat's 5 s. */
export const passiveReplyBudgetMs = 1500;

const registry = new WeakMap<Platform, Registered[]>();

/**
 * The extension point of passive replies (keyword auto-replies, welcome on follow, menu CLICK
 * answers…). Providers are asked in descending priority (ties: registration order); the first
 * non-null reply is sent. Register in a module's `setup` (every process that serves callbacks).
 */
export function registerPassiveReplyProvider(
  platform: Platform,
  name: string,
  provide: PassiveReplyProvider,
  options: { priority?: number } = {},
): void {
  const list = registry.get(platform) ?? [];
  registry.set(platform, list);
  if (list.some((r) => r.name === name))
    throw new Error(`passive reply provider ${name} is already registered`);
  list.push({ name, priority: options.priority ?? 0, provide });
  list.sort((a, b) => b.priority - a.priority);
}

/** The first reply of the providers within the budget, with the provider's name; null when none. */
export async function findPassiveReply(
  platform: Platform,
  ctx: PassiveReplyContext,
  budgetMs = passiveReplyBudgetMs,
): Promise<{ provider: string; reply: PassiveReply } | null> {
  const list = registry.get(platform) ?? [];
  if (list.length === 0) return null;
  const deadline = Date.now() + budgetMs;
  for (const r of list) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        Promise.resolve().then(() => r.provide(ctx)),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), left);
        }),
      ]);
      if (reply) return { provider: r.name, reply };
    } catch (err) {
      platform.log.warn({ err, provider: r.name }, "passive reply provider failed; passing");
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
  return null;
}

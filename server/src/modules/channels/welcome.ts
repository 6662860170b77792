import type { WelcomeAttachment, WelcomeInput } from "@siyu/contracts";
import { inWindow, type LocalTime } from "./local-time.ts";

export interface ChosenWelcome {
  /** The variant's name (or `#<index>`), null for the default message. */
  variant: string | null;
  text: string;
  attachments: WelcomeAttachment[];
}

/** The first variant whose weekdays and hours contain `t` (tenant zone), else the default message. */
export function chooseWelcome(welcome: WelcomeInput, t: LocalTime): ChosenWelcome | null {
  const variants = welcome.variants ?? [];
  for (const [i, v] of variants.entries()) {
    if (inWindow(t, v)) {
      return { variant: v.name ?? `#${i + 1}`, text: v.text ?? "", attachments: v.attachments ?? [] };
    }
  }
  if (!welcome.text && !welcome.attachments?.length) return null;
  return { variant: null, text: welcome.text ?? "", attachments: welcome.attachments ?? [] };
}

/** Whether a template needs the customer's name (one extra WeCom read before sending). */
export function needsNickname(template: string | null | undefined): boolean {
  return Boolean(template?.includes("{{nickname}}"));
}

/** `{{nickname}}`, `{{channel}}`, `{{staff}}` → values; unknown placeholders are left as written. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => vars[key] ?? whole);
}

/** WeCom counts the welcome text in bytes (≤ 4000): cut on a character boundary. */
export function fitBytes(text: string, max = 4000): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = "";
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

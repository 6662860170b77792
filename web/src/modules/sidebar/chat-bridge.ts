import type { QuickReplyAttachment } from "@siyu/contracts";

/** What a tap on a reply hands to the chat. */
export interface ChatMessage {
  content: string;
  attachments: QuickReplyAttachment[];
}

/**
 * The seam between the sidebar and the chat it sits in. In the WeCom client the JS-SDK puts the reply
 * straight into the open chat (`sendChatMessage`) and tells which customer the chat is with
 * (`getCurrentExternalContact`); anywhere else (a browser, the sandbox) the text goes to the clipboard
 * for the staff member to paste.
 */
export interface ChatBridge {
  kind: "wecom" | "sandbox";
  /** "sent": it is in the chat; "copied": it is on the clipboard. Throws when neither worked. */
  send(message: ChatMessage): Promise<"sent" | "copied">;
  /** The external_userid of the customer in the open chat, when the host can tell. */
  currentExternalUserId(): Promise<string | null>;
}

/** Copies text: the async Clipboard API first, then the older selection copy (non-secure pages, old WebViews). */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // fall through to the selection copy
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

export const sandboxBridge: ChatBridge = {
  kind: "sandbox",
  async send(message) {
    await copyText(message.content);
    return "copied";
  },
  async currentExternalUserId() {
    return null;
  },
};

/** The part of the WeCom JS-SDK (`jweixin` + `agentConfig` done by the host page) the sidebar uses. */
interface WecomJsSdk {
  invoke(api: string, args: Record<string, unknown>, callback: (res: Record<string, unknown>) => void): void;
}

function invoke(wx: WecomJsSdk, api: string, args: Record<string, unknown>) {
  return new Promise<Record<string, unknown>>((resolve, reject) =>
    wx.invoke(api, args, (res) =>
      res.err_msg === `${api}:ok` ? resolve(res) : reject(new Error(String(res.err_msg))),
    ),
  );
}

/**
 * The WeCom client's bridge. Images need a media_id from an upload, so they are not sent from here;
 * link and mini-program cards follow the text as their own messages, as WeCom shows them.
 */
export function wecomBridge(wx: WecomJsSdk): ChatBridge {
  return {
    kind: "wecom",
    async send(message) {
      await invoke(wx, "sendChatMessage", {
        msgtype: "text",
        enterChat: true,
        text: { content: message.content },
      });
      for (const a of message.attachments) {
        if (a.type === "link")
          await invoke(wx, "sendChatMessage", {
            msgtype: "news",
            news: { link: a.url, title: a.title, desc: a.description ?? "", imgUrl: a.imageUrl ?? "" },
          });
        if (a.type === "miniprogram")
          await invoke(wx, "sendChatMessage", {
            msgtype: "miniprogram",
            miniprogram: { appid: a.appId, title: a.title, imgUrl: a.imageUrl ?? "", page: a.page },
          });
      }
      return "sent";
    },
    async currentExternalUserId() {
      const res = await invoke(wx, "getCurrentExternalContact", {}).catch(() => null);
      return typeof res?.userId === "string" ? res.userId : null;
    },
  };
}

/** The WeCom bridge inside the WeCom client once its JS-SDK is on the page, else the sandbox one. */
export function chatBridge(): ChatBridge {
  const wx = (window as { wx?: Partial<WecomJsSdk> }).wx;
  const inWecom = /wxwork/i.test(navigator.userAgent);
  return inWecom && typeof wx?.invoke === "function" ? wecomBridge(wx as WecomJsSdk) : sandboxBridge;
}

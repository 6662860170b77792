import type { officialAccountZh } from "./official-account.zh-CN.ts";

/** Texts of the Official Account pages; merged into en-US under `officialAccount`. */
export const officialAccountEn: typeof officialAccountZh = {
  settings: {
    title: "Official Account",
    subtitle:
      "AppID, AppSecret, server configuration (Token, EncodingAESKey) and the message encryption mode",
    stored: "Saved {{mask}}; enter it again to keep it",
    secretsHint:
      "Saved secrets are never shown; enter AppSecret, Token and EncodingAESKey again when saving.",
    appIdRule: "The AppID starts with wx, letters and digits",
    tokenRule: "3–32 letters or digits",
    mode: "Message encryption mode",
    modes: { plain: "Plaintext", compatible: "Compatible", safe: "Safe (recommended)" },
    modeHint: {
      plain: "Messages arrive in plaintext; only the signature is checked.",
      compatible: "Plaintext and ciphertext together; Siyu trusts only the decrypted content.",
      safe: "Ciphertext only: msg_signature and AppID are checked, passive replies are encrypted too.",
    },
    apiBaseHint: "WeChat's API by default; the sandbox and tests point it at the simulator.",
    callbackTitle: "Server URL",
    callbackHint:
      "In the Official Account console (Settings & Development → Basic configuration → Server) enter this URL with the same Token and EncodingAESKey.",
    originalId: "Original ID",
  },
  followers: {
    title: "Followers",
    subtitle: "Followers linked to customer profiles: one person with WeCom by UnionID",
    list: "Followers",
    all: "All",
    search: "Find by OpenID, UnionID or channel scene",
    customer: "Customer",
    scene: "Channel (scene)",
    subscribedAt: "Followed",
    lastInteraction: "Last interaction",
    prev: "Previous",
    next: "Next",
    stats: {
      subscribed: "Following",
      unsubscribed: "Unfollowed",
      withUnionid: "With UnionID",
      linkedToWecom: "Also WeCom customers",
    },
  },
  sync: {
    title: "Follower sync",
    start: "Sync all followers",
    empty: "No sync yet",
    applied: "{{applied}} of {{total}} done",
    counters: {
      customersCreated: "Customers created",
      withUnionid: "With UnionID",
      unsubscribedFound: "Unfollows found",
    },
  },
  replies: {
    title: "Keyword auto-replies",
    hint: "A follower's text that matches a keyword is answered right in the callback",
    keyword: "Keyword",
    content: "Reply",
    matchTitle: "Match",
    match: { exact: "Exact", contains: "Contains" },
    empty: "No keyword replies yet",
    deleteConfirm: "Delete this auto-reply?",
  },
};

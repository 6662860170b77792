import type { contactPolicyZh } from "./contact-policy.zh-CN.ts";

/** Texts of the marketing guardrails; merged into en-US under `contactPolicy`. */
export const contactPolicyEn: typeof contactPolicyZh = {
  title: "Contact policy",
  subtitle:
    "Frequency caps, quiet hours and opt-outs for marketing: flow actions and WeCom mass messages check here before sending",
  timezone: "Time zone",
  timezoneHint: "Days and quiet hours are read in the tenant's time zone, {{zone}}",
  channel: "Channel",
  channels: {
    all: "All marketing",
    wecom_private: "WeCom 1:1 message",
    wecom_mass: "WeCom mass message",
    wecom_moment: "WeCom moments",
    oa_template: "OA template message",
    sms: "SMS (reserved)",
  },
  perDay: "Per day",
  perWeek: "Per 7 days",
  perMonth: "Per 30 days",
  perCalendarMonth: "Per calendar month",
  noLimit: "No cap",
  quietHours: "Quiet hours",
  quietOff: "Off",
  transactionalExempt: "Transactional exempt",
  transactionalHint:
    "Service progress, bills and other transactional messages skip caps, quiet hours and marketing opt-outs",
  recommended: "Fill in recommended values",
  recommendedDone: "Recommended values filled in; save to apply",
  save: "Save",
  saved: "Contact policy saved",
  wecomNote:
    "WeCom limits: a corp mass send reaches a customer at most 4 times per calendar month, a member's once a day (WeCom has changed these; edit them here)",
  reasons: {
    opted_out: "Opted out",
    cap_day: "Over the daily cap",
    cap_week: "Over the 7-day cap",
    cap_month: "Over the 30-day cap",
    cap_calendar_month: "Over the calendar-month cap",
    quiet_hours: "Quiet hours",
  },
  sources: { keyword: "Customer replied to opt out", staff: "Staff", import: "Import", api: "API" },
  prefs: {
    title: "Contact preferences",
    optedOutOf: "Opted out of",
    none: "Not opted out of anything",
    edit: "Change opt-outs",
    note: "Note (e.g. asked on the phone)",
    saved: "Contact preferences saved",
    touches: "Recent touches",
    today: "Today",
    week: "7 days",
    month: "30 days",
  },
  stats: {
    title: "Marketing touches",
    touches: "Touches per day by channel",
    denied: "Blocked, by reason",
    optedOut: "Opted-out customers",
    none: "Nothing blocked",
  },
};

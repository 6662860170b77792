import { describe, expect, it } from "vitest";
import { allocate, regionMatches } from "../allocation.ts";
import { inWindow, localTime } from "../local-time.ts";
import { chooseWelcome, fitBytes, renderTemplate } from "../welcome.ts";

const monday10 = { date: "2026-11-30", weekday: 1, minutes: 10 * 60 };

describe("member allocation", () => {
  const base = { backup: [], dailyCap: null, options: {}, addsToday: {}, now: monday10 };

  it("round robin keeps every eligible member (WeCom rotates among them)", () => {
    expect(allocate({ ...base, strategy: "round_robin", staff: ["a", "b", "c"] })).toEqual(["a", "b", "c"]);
  });

  it("drops members at their cap, then falls back to backups, then to the whole pool", () => {
    const capped = { ...base, strategy: "round_robin" as const, staff: ["a", "b"], dailyCap: 2 };
    expect(allocate({ ...capped, addsToday: { a: 2, b: 1 } })).toEqual(["b"]);
    expect(allocate({ ...capped, backup: ["z"], addsToday: { a: 2, b: 2 } })).toEqual(["z"]);
    expect(allocate({ ...capped, backup: ["z"], addsToday: { a: 2, b: 2, z: 2 } })).toEqual(["a", "b"]);
    // A member's own cap wins over the code's.
    expect(allocate({ ...capped, options: { a: { dailyCap: 5 } }, addsToday: { a: 2, b: 2 } })).toEqual([
      "a",
    ]);
  });

  it("by region: the members serving the scan's region, else everyone eligible (round robin)", () => {
    const pool = {
      ...base,
      strategy: "by_region" as const,
      staff: ["gz", "sh", "bj"],
      options: { gz: { regions: ["广东", "深圳"] }, sh: { regions: ["上海市"] }, bj: {} },
    };
    expect(allocate({ ...pool, region: "广东省广州市" })).toEqual(["gz"]);
    expect(allocate({ ...pool, region: "上海" })).toEqual(["sh"]);
    expect(allocate({ ...pool, region: "Shanghai" })).toEqual(["gz", "sh", "bj"]);
    expect(allocate({ ...pool, region: null })).toEqual(["gz", "sh", "bj"]);
    // A capped regional member leaves; nobody else serves the region, so round robin over the rest.
    expect(allocate({ ...pool, dailyCap: 1, addsToday: { gz: 1 }, region: "广东" })).toEqual(["sh", "bj"]);
    expect(regionMatches("广州", ["广东省", "广州市"])).toBe(true);
    expect(regionMatches("guangzhou", ["GuangZhou"])).toBe(true);
    expect(regionMatches("", ["广州"])).toBe(false);
    expect(regionMatches("广州", [])).toBe(false);
  });

  it("least loaded and weighted narrow the way to the members that should get the next add", () => {
    expect(
      allocate({
        ...base,
        strategy: "least_loaded",
        staff: ["a", "b", "c"],
        addsToday: { a: 3, b: 1, c: 1 },
      }),
    ).toEqual(["b", "c"]);
    const weighted = {
      ...base,
      strategy: "weighted" as const,
      staff: ["a", "b"],
      options: { a: { weight: 3 } },
    };
    expect(allocate({ ...weighted, addsToday: { a: 2, b: 1 } })).toEqual(["a"]);
    expect(allocate({ ...weighted, addsToday: { a: 3, b: 1 } })).toEqual(["a", "b"]);
  });

  it("working hours keep only members on duty, backups outside everyone's hours", () => {
    const hours = {
      ...base,
      strategy: "working_hours" as const,
      staff: ["day", "night"],
      backup: ["bot"],
      options: {
        day: { hours: [{ weekdays: [1, 2, 3, 4, 5], from: "09:00", to: "18:00" }] },
        night: { hours: [{ from: "22:00", to: "06:00" }] },
      },
    };
    expect(allocate(hours)).toEqual(["day"]);
    expect(allocate({ ...hours, now: { ...monday10, minutes: 23 * 60 } })).toEqual(["night"]);
    expect(allocate({ ...hours, now: { ...monday10, minutes: 20 * 60 } })).toEqual(["bot"]);
    expect(allocate({ ...hours, now: { ...monday10, weekday: 6 } })).toEqual(["bot"]);
  });
});

describe("local time and windows", () => {
  it("reads wall-clock time in the tenant's zone", () => {
    const at = new Date("2026-11-30T02:30:00Z"); // Monday 10:30 in Shanghai, Sunday 21:30 in New York
    expect(localTime(at, "Asia/Shanghai")).toEqual({ date: "2026-11-30", weekday: 1, minutes: 630 });
    expect(localTime(at, "America/New_York")).toEqual({ date: "2026-11-29", weekday: 7, minutes: 1290 });
  });

  it("an overnight window belongs to the day it starts on", () => {
    const friNight = { weekdays: [5], from: "22:00", to: "02:00" };
    expect(inWindow({ date: "", weekday: 5, minutes: 23 * 60 }, friNight)).toBe(true);
    expect(inWindow({ date: "", weekday: 6, minutes: 60 }, friNight)).toBe(true);
    expect(inWindow({ date: "", weekday: 6, minutes: 23 * 60 }, friNight)).toBe(false);
    expect(inWindow({ date: "", weekday: 5, minutes: 60 }, friNight)).toBe(false);
  });
});

describe("welcome message", () => {
  const welcome = {
    text: "欢迎 {{nickname}}",
    variants: [
      { name: "weekend", weekdays: [6, 7], text: "周末好 {{nickname}}" },
      { name: "morning", from: "06:00", to: "12:00", text: "早上好" },
    ],
  };

  it("takes the first matching variant, else the default", () => {
    expect(chooseWelcome(welcome, monday10)?.variant).toBe("morning");
    expect(chooseWelcome(welcome, { ...monday10, weekday: 7 })?.variant).toBe("weekend");
    expect(chooseWelcome(welcome, { ...monday10, minutes: 15 * 60 })).toEqual({
      variant: null,
      text: "欢迎 {{nickname}}",
      attachments: [],
    });
    expect(chooseWelcome({ variants: [{ weekdays: [6], text: "x" }] }, monday10)).toBeNull();
  });

  it("personalises and fits WeCom's 4000 bytes on a character boundary", () => {
    expect(
      renderTemplate("你好 {{nickname}}，{{ channel }}{{unknown}}", { nickname: "李雷", channel: "门店" }),
    ).toBe("你好 李雷，门店{{unknown}}");
    const long = "欢".repeat(2000); // 6000 bytes
    const cut = fitBytes(long);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(4000);
    expect(cut).toBe("欢".repeat(1333));
  });
});

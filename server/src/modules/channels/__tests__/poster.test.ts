import { createCanvas } from "@napi-rs/canvas";
import { posterTemplates } from "@siyu/contracts";
import { describe, expect, it } from "vitest";
import { ensureCjkFont, pngSize, posterSize, renderPoster, wrapText } from "../poster.service.ts";

describe("live code posters", () => {
  it.each(posterTemplates)(
    "renders the %s template as a 750 × 1334 PNG with Chinese text",
    async (template) => {
      const png = await renderPoster({
        template,
        title: "新店开业 扫码领取门店专属福利大礼包，限时三天",
        subtitle: "添加导购企业微信，享会员价与新品试用",
        store: "私域旗舰店 · 上海静安",
        url: "http://127.0.0.1:3000/l/abcdefghij",
      });
      expect(Buffer.from(png.subarray(0, 8)).toString("hex")).toBe("89504e470d0a1a0a");
      expect(pngSize(png)).toEqual(posterSize);
      // A drawn poster, not an empty canvas: gradients, QR modules and glyphs make it tens of kB.
      expect(png.length).toBeGreaterThan(20_000);
    },
  );

  it("draws Chinese glyphs, not the empty boxes of a missing font", () => {
    ensureCjkFont();
    const ctx = createCanvas(10, 10).getContext("2d");
    ctx.font = `40px "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif`;
    // CJK ideographs are full width: each as wide as the font size, and distinct characters equal.
    const w = ctx.measureText("私域").width;
    expect(w).toBeGreaterThan(70);
    expect(w).toBeLessThan(90);
  });

  it("wraps long Chinese text by character and ends the last allowed line with an ellipsis", () => {
    ensureCjkFont();
    const ctx = createCanvas(10, 10).getContext("2d");
    ctx.font = `40px "Noto Sans CJK SC", sans-serif`;
    const text = "一二三四五六七八九十".repeat(3);
    const lines = wrapText(ctx, text, 400, 2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("一二三四五六七八九十");
    expect(lines[1]?.endsWith("…")).toBe(true);
    for (const line of lines) expect(ctx.measureText(line).width).toBeLessThanOrEqual(400);
    expect(wrapText(ctx, "Hello 世界", 400, 2)).toEqual(["Hello 世界"]);
  });
});

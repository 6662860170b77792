import { existsSync } from "node:fs";
import { createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import type { PosterTemplate } from "@siyu/contracts";
import QRCode from "qrcode";
import { AppError } from "../../platform/errors.ts";

/** Every poster is a phone screen (750 × 1334), the size WeChat users share and print from. */
export const posterSize = { width: 750, height: 1334 } as const;

/**
 * CJK font files Debian ships (fonts-noto-cjk, fonts-wqy-zenhei). They are registered by path so the
 * poster does not depend on fontconfig's defaults; a collection (.ttc) brings all its faces.
 */
const fontFiles = [
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
  "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
];

// "Noto Sans CJK SC" first: the same collection also answers as JP, whose glyph forms (门, 骨, 直)
// differ from mainland Chinese ones.
const family = `"Noto Sans CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Sans CJK JP", sans-serif`;

let fontsReady: boolean | undefined;

/** Registers the CJK fonts once; refuses clearly when the machine has none (Chinese would be boxes). */
export function ensureCjkFont(): void {
  if (fontsReady === undefined) {
    for (const file of fontFiles) if (existsSync(file)) GlobalFonts.registerFromPath(file);
    fontsReady = GlobalFonts.families.some((f) => /CJK|WenQuanYi|Hei|Song|Ming|Kai/i.test(f.family));
  }
  if (!fontsReady) {
    throw new AppError(
      "unavailable",
      "posters need a Chinese font and none is installed: install Debian fonts-noto-cjk (or fonts-wqy-zenhei)",
      { fonts: fontFiles },
    );
  }
}

export interface PosterInput {
  template: PosterTemplate;
  title: string;
  subtitle?: string | undefined;
  store?: string | undefined;
  /** What the QR encodes: the code's landing URL, so every scan is counted. */
  url: string;
}

interface Design {
  background: (ctx: SKRSContext2D) => void;
  title: { color: string; y: number };
  subtitle: { color: string };
  card: { x: number; y: number; size: number; radius: number; fill: string; shadow?: string };
  hint: { color: string };
  store: { color: string; y: number; line?: string };
}

const { width: W, height: H } = posterSize;

function roundRect(ctx: SKRSContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
  ctx.closePath();
}

const designs: Record<PosterTemplate, Design> = {
  // WeChat green band with the title, a white card holding the code.
  classic: {
    background: (ctx) => {
      ctx.fillStyle = "#f2f5f3";
      ctx.fillRect(0, 0, W, H);
      const band = ctx.createLinearGradient(0, 0, W, 520);
      band.addColorStop(0, "#07c160");
      band.addColorStop(1, "#05a150");
      ctx.fillStyle = band;
      ctx.fillRect(0, 0, W, 560);
    },
    title: { color: "#ffffff", y: 110 },
    subtitle: { color: "rgba(255,255,255,0.88)" },
    card: { x: 135, y: 450, size: 480, radius: 28, fill: "#ffffff", shadow: "rgba(0,0,0,0.12)" },
    hint: { color: "#4e5969" },
    store: { color: "#1f2329", y: 1200, line: "#d0d7de" },
  },
  // Red and gold, for festivals and shop openings.
  festive: {
    background: (ctx) => {
      const bg = ctx.createLinearGradient(0, 0, 0, H);
      bg.addColorStop(0, "#d4380d");
      bg.addColorStop(1, "#a8071a");
      ctx.fillStyle = bg;
      ctx.fillRect(0, 0, W, H);
      ctx.strokeStyle = "#ffd666";
      ctx.lineWidth = 6;
      roundRect(ctx, 30, 30, W - 60, H - 60, 24);
      ctx.stroke();
      ctx.fillStyle = "rgba(255,214,102,0.16)";
      for (const [x, y, r] of [
        [80, 90, 120],
        [690, 260, 90],
        [60, 1240, 140],
        [700, 1150, 70],
      ] as const) {
        ctx.beginPath();
        ctx.arc(x, y, r, 0, Math.PI * 2);
        ctx.fill();
      }
    },
    title: { color: "#ffe58f", y: 120 },
    subtitle: { color: "#fff7e6" },
    card: { x: 135, y: 450, size: 480, radius: 24, fill: "#fffbe6" },
    hint: { color: "#ffe58f" },
    store: { color: "#ffffff", y: 1200, line: "rgba(255,229,143,0.6)" },
  },
  // Black on white, for print.
  minimal: {
    background: (ctx) => {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, W, H);
      ctx.fillStyle = "#1f2329";
      ctx.fillRect(60, 100, 72, 8);
    },
    title: { color: "#1f2329", y: 140 },
    subtitle: { color: "#646a73" },
    card: { x: 135, y: 450, size: 480, radius: 8, fill: "#ffffff" },
    hint: { color: "#646a73" },
    store: { color: "#1f2329", y: 1200, line: "#1f2329" },
  },
};

/**
 * Splits text into lines no wider than `max` (Chinese has no spaces, so by character; Latin words stay
 * whole when they fit); the last allowed line ends in an ellipsis when text remains.
 */
export function wrapText(ctx: SKRSContext2D, text: string, max: number, maxLines: number): string[] {
  const tokens = text.match(/[A-Za-z0-9'’.-]+|\s+|./gu) ?? [];
  const lines: string[] = [];
  let line = "";
  for (const token of tokens) {
    const next = line + token;
    if (ctx.measureText(next).width <= max || line === "") {
      line = next;
      continue;
    }
    lines.push(line.trimEnd());
    line = token.trimStart();
  }
  if (line) lines.push(line.trimEnd());
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  let last = kept[maxLines - 1] ?? "";
  while (last && ctx.measureText(`${last}…`).width > max) last = last.slice(0, -1);
  kept[maxLines - 1] = `${last}…`;
  return kept;
}

function drawLines(
  ctx: SKRSContext2D,
  text: string,
  opts: {
    y: number;
    size: number;
    weight: number;
    color: string;
    maxLines: number;
    align: "center" | "left";
  },
) {
  ctx.font = `${opts.weight} ${opts.size}px ${family}`;
  ctx.fillStyle = opts.color;
  ctx.textAlign = opts.align;
  ctx.textBaseline = "top";
  const x = opts.align === "center" ? W / 2 : 60;
  const lines = wrapText(ctx, text, W - 120, opts.maxLines);
  const lineHeight = Math.round(opts.size * 1.3);
  lines.forEach((l, i) => {
    ctx.fillText(l, x, opts.y + i * lineHeight);
  });
  return opts.y + lines.length * lineHeight;
}

/** Draws the QR's modules as squares: sharper than scaling a bitmap, and no image decoding. */
function drawQr(ctx: SKRSContext2D, url: string, x: number, y: number, size: number) {
  const qr = QRCode.create(url, { errorCorrectionLevel: "M" });
  const n = qr.modules.size;
  const quiet = 2;
  const cell = Math.floor(size / (n + quiet * 2));
  const offset = Math.floor((size - cell * n) / 2);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(x, y, size, size);
  ctx.fillStyle = "#000000";
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (qr.modules.data[row * n + col])
        ctx.fillRect(x + offset + col * cell, y + offset + row * cell, cell, cell);
    }
  }
}

/** Renders a live code's poster as PNG bytes. */
export async function renderPoster(input: PosterInput): Promise<Buffer> {
  ensureCjkFont();
  const d = designs[input.template];
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext("2d");
  d.background(ctx);
  const align = input.template === "minimal" ? "left" : "center";

  // Title (≤ 2 lines) then subtitle (≤ 2 lines) end above the card at y 450 whatever their length.
  const titleEnd = drawLines(ctx, input.title, { ...d.title, size: 60, weight: 700, maxLines: 2, align });
  if (input.subtitle) {
    drawLines(ctx, input.subtitle, {
      ...d.subtitle,
      y: titleEnd + 20,
      size: 32,
      weight: 400,
      maxLines: 2,
      align,
    });
  }

  const c = d.card;
  const pad = 40;
  ctx.save();
  if (c.shadow) {
    ctx.shadowColor = c.shadow;
    ctx.shadowBlur = 36;
    ctx.shadowOffsetY = 12;
  }
  ctx.fillStyle = c.fill;
  roundRect(ctx, c.x, c.y, c.size, c.size + 40, c.radius);
  ctx.fill();
  ctx.restore();
  if (input.template === "minimal") {
    ctx.strokeStyle = "#1f2329";
    ctx.lineWidth = 3;
    roundRect(ctx, c.x, c.y, c.size, c.size + 40, c.radius);
    ctx.stroke();
  }
  drawQr(ctx, input.url, c.x + pad, c.y + pad, c.size - pad * 2);
  ctx.font = `400 28px ${family}`;
  ctx.fillStyle = "#86909c";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  ctx.fillText("微信扫一扫 · 添加专属顾问", c.x + c.size / 2, c.y + c.size - 12);

  ctx.font = `500 32px ${family}`;
  ctx.fillStyle = d.hint.color;
  ctx.textAlign = "center";
  ctx.fillText("长按识别二维码", W / 2, c.y + c.size + 90);

  if (input.store) {
    if (d.store.line) {
      ctx.strokeStyle = d.store.line;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(200, d.store.y - 30);
      ctx.lineTo(W - 200, d.store.y - 30);
      ctx.stroke();
    }
    drawLines(ctx, input.store, {
      color: d.store.color,
      y: d.store.y,
      size: 36,
      weight: 700,
      maxLines: 1,
      align: "center",
    });
  }
  return canvas.encode("png");
}

/** Reads width and height from a PNG's IHDR chunk (for tests and sanity checks). */
export function pngSize(png: Uint8Array): { width: number; height: number } | null {
  const signature = "89504e470d0a1a0a";
  if (Buffer.from(png.subarray(0, 8)).toString("hex") !== signature) return null;
  const view = Buffer.from(png.subarray(16, 24));
  return { width: view.readUInt32BE(0), height: view.readUInt32BE(4) };
}

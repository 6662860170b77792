import type { FastifyReply, FastifyRequest } from "fastify";
import type { Api, Platform } from "../../../platform/platform.ts";
import { recordScan, scanParamNames } from "../activity.service.ts";
import { checkGroupCodeFull, groupCodeState, recordGroupScan } from "../group-codes.service.ts";
import { liveCodeRow, qrForRegion } from "../live-codes.service.ts";

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{margin:0;font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;background:#f5f6f8;color:#1f2329}
main{max-width:420px;margin:0 auto;padding:32px 20px;text-align:center}
.card{background:#fff;border-radius:12px;padding:24px;box-shadow:0 2px 12px rgba(0,0,0,.06)}
h1{font-size:20px;margin:0 0 8px}p{color:#646a73;font-size:14px;margin:8px 0}
img{width:240px;height:240px;margin:16px auto;display:block}</style></head>
<body><main><div class="card">${body}</div></main></body></html>`;
}

/**
 * The hosted landing page of a live code (`SIYU_PUBLIC_URL/l/<code>`, public): records the visit —
 * time, user agent, referer and campaign parameters — then shows WeCom's QR to long-press. The
 * code is unique across tenants, so the public URL needs no tenant; the scan is written in the
 * code's tenant. A deleted code answers 410 and records nothing.
 */
export async function landingRoutes(app: Api, platform: Platform) {
  app.get(
    "/l/:code",
    { config: { public: true }, schema: { hide: true } },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const code = (req.params as { code?: string }).code ?? "";
      const notFoundPage = () =>
        reply
          .status(404)
          .type("text/html; charset=utf-8")
          .send(page("未找到", "<h1>二维码不存在</h1><p>This code does not exist.</p>"));
      if (!/^[0-9a-z]{10}$/.test(code)) return notFoundPage();
      const [row] = await platform.db.system((s) =>
        s.query<{
          id: string;
          tenant_id: string;
          name: string;
          qr_url: string;
          deleted_at: Date | null;
          strategy: string | null;
          is_group: boolean;
        }>(
          `select id, tenant_id, name, qr_url, deleted_at, strategy, false as is_group from live_codes where link_code = $1
           union all
           select id, tenant_id, name, '', deleted_at, null, true from live_code_groups where link_code = $1`,
          [code],
        ),
      );
      if (!row) return notFoundPage();
      if (row.deleted_at) {
        return reply
          .status(410)
          .type("text/html; charset=utf-8")
          .send(page(row.name, "<h1>活动已结束</h1><p>This code is no longer in use.</p>"));
      }
      const query = (req.query ?? {}) as Record<string, unknown>;
      const params: Record<string, string> = {};
      for (const name of scanParamNames) {
        const v = query[name];
        if (typeof v === "string" && v) params[name] = v.slice(0, 200);
      }
      const header = (h: string) => {
        const v = req.headers[h];
        return typeof v === "string" ? v : null;
      };
      // The scan's region (by_region codes): the configured link parameter, else a proxy's header.
      const fromParam = query[platform.config.regionParam];
      const region =
        (typeof fromParam === "string" && fromParam.trim() ? fromParam.trim() : null) ??
        (platform.config.regionHeader ? header(platform.config.regionHeader)?.trim() || null : null);
      if (region) params.region = region.slice(0, 60);
      const send = (body: string) =>
        reply
          .type("text/html; charset=utf-8")
          .header("cache-control", "no-store")
          .header(
            "content-security-policy",
            "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'",
          )
          .header("referrer-policy", "no-referrer")
          .send(page(row.name, body));
      const img = (url: string | null | undefined) =>
        url && /^https?:\/\//.test(url) ? `<img src="${escapeHtml(url)}" alt="QR">` : "<p>二维码暂不可用</p>";

      if (row.is_group) {
        // Group live code: the first group with room; all full → say so, and the owner is alerted.
        const state = await platform.db.tenant(row.tenant_id, async (s) => {
          const st = await groupCodeState(s, row.id);
          if (req.method === "GET") await recordGroupScan(s, st, { userAgent: header("user-agent"), params });
          await checkGroupCodeFull(s, platform, st);
          return st;
        });
        const current = state.current;
        if (!current) {
          const message = state.row.full_message || "群已满员，请稍后再来，或联系客服。";
          return send(
            `<h1>${escapeHtml(row.name)}</h1><p data-full="1">${escapeHtml(message)}</p><p>All groups are full for now.</p>`,
          );
        }
        return send(
          `<h1>${escapeHtml(row.name)}</h1><p>长按识别二维码，加入群聊「${escapeHtml(current.name || current.chat_id)}」</p>` +
            `<div data-chat-id="${escapeHtml(current.chat_id)}">${img(current.qr_image_url)}</div>` +
            "<p>Long-press the QR code to join the WeCom group.</p>",
        );
      }

      if (req.method === "GET") {
        await platform.db.tenant(row.tenant_id, (s) =>
          recordScan(s, row.id, { userAgent: header("user-agent"), referer: header("referer"), params }),
        );
      }
      let qrUrl = row.qr_url;
      if (row.strategy === "by_region" && region) {
        const full = await platform.db.tenant(row.tenant_id, (s) => liveCodeRow(s, row.id));
        qrUrl = await qrForRegion(platform, full, region).catch((err: unknown) => {
          // WeCom refusing a regional way must not cost the scan: the code's own way still works.
          platform.log.warn({ err, liveCodeId: row.id, region }, "regional contact way unavailable");
          return row.qr_url;
        });
      }
      return send(
        `<h1>${escapeHtml(row.name)}</h1><p>长按识别二维码，添加企业微信</p>${img(qrUrl)}<p>Long-press the QR code to add us on WeCom.</p>`,
      );
    },
  );
}

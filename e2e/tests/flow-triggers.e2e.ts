// Webhook and segment-entry triggers in the designer: a published flow's webhook trigger shows its
// URL (copy, regenerate — the old URL stops), the URL starts the flow; a segment-entry trigger offers
// "include current members". Screenshots: e2e/artifacts/flow-triggers-*.png.
import { check, type E2E, test } from "../harness.ts";

type ApiAnswer<T> = { status: number; body: T };

function api<T>(t: E2E, path: string, method = "GET", body?: unknown, auth = true): Promise<ApiAnswer<T>> {
  return t.page.evaluate(
    async ({ path, method, body, auth }) => {
      const token = localStorage.getItem("siyu.token");
      const res = await fetch(path, {
        method,
        headers: {
          ...(auth ? { Authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    { path, method, body, auth },
  );
}

async function select(t: E2E, id: string) {
  await t.byTestId(`flow-node-${id}`).locator("div").nth(1).click();
  await t.page.locator(`[data-testid="flow-panel"][data-node-id="${id}"]`).waitFor({ state: "visible" });
}

test("flow triggers: webhook URL with copy and regenerate, segment entry with include-existing", async (t) => {
  const stamp = Date.now().toString(36).slice(-5);
  await t.login();
  const seg = await api<{ id: string }>(t, "/api/segments", "POST", {
    name: `E2E分群${stamp}`,
    expression: `tag("E2E入群${stamp}")`,
  });
  check(seg.status === 201, `POST /api/segments answered ${seg.status}`);
  const definition = {
    nodes: [
      { id: "hook", type: "trigger", params: { event: "webhook" }, position: { x: 80, y: 60 } },
      {
        id: "seg",
        type: "trigger",
        params: { event: "segment_entry", segmentId: seg.body.id },
        position: { x: 380, y: 60 },
      },
      { id: "w", type: "wait", params: { duration: "P1D" }, position: { x: 230, y: 220 } },
      { id: "e", type: "end", params: {}, position: { x: 230, y: 380 } },
    ],
    edges: [
      { from: "hook", to: "w" },
      { from: "seg", to: "w" },
      { from: "w", to: "e" },
    ],
  };
  const flow = await api<{ id: string }>(t, "/api/flows", "POST", { name: `外部触发 ${stamp}`, definition });
  check(flow.status === 201, `POST /api/flows answered ${flow.status}`);
  const published = await api(t, `/api/flows/${flow.body.id}/publish`, "POST");
  check(published.status === 200, `publish answered ${published.status}`);

  await t.goto(`/flows/${flow.body.id}`);
  await t.byTestId("flow-canvas").waitFor({ state: "visible" });
  await select(t, "hook");
  const url = t.byTestId("prop-webhook-url");
  await url.waitFor({ state: "visible" });
  const first = ((await url.textContent()) ?? "").trim();
  check(/\/hooks\/flows\/fwh_/.test(first), `the panel should show the webhook URL, got ${first}`);
  await t.screenshot("flow-triggers-00-webhook-url");

  // The URL starts the flow (no sign-in: the token is the secret).
  const started = await api<{ instanceIds: string[] }>(
    t,
    new URL(first).pathname,
    "POST",
    { orderNo: "E2E-1" },
    false,
  );
  check(
    started.status === 202 && started.body.instanceIds.length === 1,
    `webhook answered ${started.status}`,
  );

  // Regenerate: confirm, a new URL, the old one answers 404.
  await t.byTestId("prop-webhook-regenerate").click();
  await t.confirmPopconfirm();
  await t.page.waitForFunction((old) => {
    const el = document.querySelector('[data-testid="prop-webhook-url"]');
    return Boolean(el?.textContent && !el.textContent.includes(old));
  }, first);
  const second = ((await url.textContent()) ?? "").trim();
  const old = await api(t, new URL(first).pathname, "POST", {}, false);
  check(old.status === 404, `the old URL should answer 404, got ${old.status}`);
  check(second !== first, "regenerate should change the URL");
  await t.screenshot("flow-triggers-01-regenerated");

  // The segment-entry trigger: the include-existing switch and the hint.
  await select(t, "seg");
  await t.byTestId("prop-includeExisting").waitFor({ state: "visible" });
  await t.byTestId("prop-segment-hint").waitFor({ state: "visible" });
  await t.byTestId("prop-includeExisting").scrollIntoViewIfNeeded();
  await t.screenshot("flow-triggers-02-segment-entry");
});

// The live code journey of issue 5 through the console: create a 渠道活码 with a tag and a welcome text
// that greets by {{nickname}} (the WeChat preview shows it personalised), then in the simulator a new
// WeChat user scans the code; the welcome message is delivered with the real nickname and the code's
// statistics count the add. Screenshots: e2e/artifacts/live-codes-*.png.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { artifactsDir, check, type E2E, test } from "../harness.ts";

async function openSimulator(t: E2E) {
  const menu = t.byTestId("main-menu");
  const item = menu.locator('[data-menu-id$="-/simulator/wecom"]').first();
  if (!(await item.isVisible())) await menu.locator('[data-menu-id$="-sandbox"]').first().click();
  await item.click();
  await t.page.waitForURL((url) => url.pathname === "/simulator/wecom");
  const connect = t.byTestId("sim-connect");
  const act = t.byTestId("sim-act-card");
  await connect.or(act).first().waitFor({ state: "visible" });
  // The demo tenant is wired to the simulator at start; a tenant that is not gets connected here.
  if (await connect.isVisible()) await connect.click();
  await act.waitFor({ state: "visible" });
}

/**
 * Picks the option of the open antd Select whose text contains `text`. The newest dropdown is the
 * last one in the page: an earlier Select's dropdown may still be closing and hold the same option.
 */
async function pickOption(t: E2E, text: string) {
  await t.openDropdown().locator(".ant-select-item-option", { hasText: text }).first().click();
}

test(
  "live codes: create a code with a personalised welcome, scan it in the simulator, see the welcome and the add",
  async (t) => {
    const suffix = Date.now().toString(36).slice(-5);
    const codeName = `门店海报 E2E ${suffix}`;
    const tag = `E2E渠道${suffix}`;
    const nickname = `扫码用户${suffix}`;
    await t.login();

    // 1. 渠道活码 in the menu: the list with the overview across codes.
    await t.byTestId("main-menu").locator('[data-menu-id$="-/live-codes"]').first().click();
    await t.page.waitForURL((url) => url.pathname === "/live-codes");
    await t.byTestId("live-codes-overview").waitFor({ state: "visible" });
    await t.byTestId("live-codes-table").waitFor({ state: "visible" });

    // 2. The create drawer: name, staff pool (the demo corp's 王店长, once the first sync brought staff in).
    await t.byTestId("live-code-create").click();
    const form = t.byTestId("live-code-form");
    await form.waitFor({ state: "visible" });
    await t.byTestId("live-code-name").fill(codeName);
    const staffSelect = t.byTestId("live-code-staff");
    for (let i = 0; ; i++) {
      await staffSelect.click();
      const option = t.openDropdown().locator(".ant-select-item-option", {
        hasText: "wangdianzhang",
      });
      await option
        .first()
        .waitFor({ state: "visible", timeout: 3000 })
        .catch(() => undefined);
      if ((await option.count()) > 0) await option.first().click();
      await t.page.keyboard.press("Escape");
      const picked = staffSelect.locator(".ant-select-selection-item", { hasText: "wangdianzhang" });
      if ((await picked.count()) > 0) break;
      check(i < 40, "the demo corp's staff (wangdianzhang) never appeared in the staff picker");
      // Staff arrive with the demo corp's first sync: reload, reopen the drawer, ask again.
      await t.page.reload();
      await t.byTestId("live-code-create").click();
      await t.byTestId("live-code-name").fill(codeName);
    }

    // An auto tag that does not exist yet (typed, then Enter).
    await t.byTestId("live-code-tags").click();
    await t.page.keyboard.type(tag);
    await t.page.keyboard.press("Enter");
    await t.page.keyboard.press("Escape");

    // Welcome text with the nickname placeholder inserted by its button at the cursor.
    const welcome = t.byTestId("live-code-welcome");
    await welcome.fill("你好 ");
    await welcome.press("End");
    await t.byTestId("live-code-welcome-nickname").click();
    await welcome.press("End");
    await welcome.pressSequentially("，欢迎来到私域旗舰店！回复「会员」领取新人礼。");
    const text = await welcome.inputValue();
    check(text.includes("{{nickname}}"), `the welcome text should hold {{nickname}}, saw ${text}`);

    // A link card goes with it.
    await t.byTestId("attachment-add-attachments-link").click();
    const linkCard = form.locator(".ant-card", { hasText: "链接" }).first();
    await linkCard.locator("input:visible").nth(0).fill("新人礼领取指南");
    await linkCard.locator("input:visible").nth(1).fill("https://example.com/welcome-gift");
    await linkCard.locator("input:visible").nth(2).fill("三步领取你的会员新人礼");

    // The live preview shows it as a WeChat bubble, personalised with the sample nickname.
    const preview = t.byTestId("welcome-preview-text");
    await preview.getByText("你好 小明，欢迎来到私域旗舰店").waitFor({ state: "visible" });
    await t.byTestId("welcome-preview-nickname").fill("阿花");
    await preview.getByText("你好 阿花，").waitFor({ state: "visible" });
    await t.byTestId("welcome-preview").getByText("新人礼领取指南").waitFor({ state: "visible" });
    await t.screenshot("live-codes-01-create-preview");
    await t.page.locator(".ant-drawer-body").evaluate((el) => el.scrollTo(0, 0));
    await t.screenshot("live-codes-01b-create-top");

    // 3. Saved: WeCom's contact way exists and the code's page opens.
    const created = t.page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/api/live-codes" && r.request().method() === "POST",
    );
    await t.byTestId("live-code-save").click();
    const res = await created;
    check(res.status() === 201, `POST /api/live-codes answered ${res.status()}: ${await res.text()}`);
    const code = (await res.json()) as { id: string; landingUrl: string; tags: string[] };
    check(code.tags.includes(tag), `the code should carry the tag ${tag}`);
    await t.page.waitForURL((url) => url.pathname === `/live-codes/${code.id}`);
    await t.byTestId("live-code-title").getByText(codeName).waitFor({ state: "visible" });
    await t.byTestId("live-code-qr").waitFor({ state: "visible" });
    await t.byTestId("live-code-tags-view").getByText(tag).waitFor({ state: "visible" });
    const landing = await t.byTestId("live-code-landing").inputValue();
    check(landing === code.landingUrl, `the landing link should be shown, saw ${landing}`);
    await t.screenshot("live-codes-02-detail");

    // The hosted landing page (what the printed QR opens) records a scan and shows WeCom's QR.
    const landingPage = await t.context.newPage();
    const landed = await landingPage.goto(code.landingUrl, { waitUntil: "domcontentloaded" });
    check(landed?.status() === 200, `the landing page answered ${landed?.status()}`);
    await landingPage.close();

    // 4. The simulator: a new WeChat user scans the code's contact way.
    await openSimulator(t);
    await t.byTestId("sim-via").getByText("联系我").click();
    await t.byTestId("sim-way").click();
    await pickOption(t, codeName);
    await t.byTestId("sim-nickname").fill(nickname);
    await t.byTestId("sim-scan").click();
    await t.byTestId("sim-customer-appeared").waitFor({ state: "visible", timeout: 60_000 });

    // The welcome message went out with the scanner's own nickname in it.
    const welcomes = t.byTestId("sim-welcomes");
    const delivered = welcomes.locator("tr", { hasText: `你好 ${nickname}，欢迎来到私域旗舰店` }).first();
    await delivered.waitFor({ state: "visible", timeout: 30_000 });
    await delivered.getByText("wangdianzhang").waitFor({ state: "visible" });
    await t.screenshot("live-codes-03-simulator-welcome");

    // 5. Back on the code: its statistics show the add (the page polls), and the welcome as sent.
    await t.goto(`/live-codes/${code.id}`);
    const adds = t.byTestId("live-code-stat-adds");
    await adds.waitFor({ state: "visible" });
    for (let i = 0; i < 30; i++) {
      if ((await adds.locator(".ant-statistic-content-value").textContent())?.trim() === "1") break;
      await t.page.waitForTimeout(1000);
    }
    const shown = (await adds.locator(".ant-statistic-content-value").textContent())?.trim();
    check(shown === "1", `the code's stats should show 1 add, saw ${shown}`);
    const scans = (
      await t.byTestId("live-code-stat-scans").locator(".ant-statistic-content-value").textContent()
    )?.trim();
    check(scans === "1", `the landing visit should count as 1 scan, saw ${scans}`);
    await t.byTestId("live-code-adds").getByTestId("live-code-welcome-sent").waitFor({ state: "visible" });
    await t
      .byTestId("live-code-staff-stats")
      .getByText("wangdianzhang")
      .first()
      .waitFor({ state: "visible" });

    // Channel spend of ¥100 for today's period gives a cost per add of ¥100.00.
    await t.byTestId("live-code-spend-add").click();
    const spendForm = t.byTestId("live-code-spend-form");
    await spendForm.locator("input.ant-input-number-input").fill("100");
    await spendForm.locator("input.ant-input").last().fill("朋友圈广告");
    await t.page.locator(".ant-modal-footer .ant-btn-primary").click();
    await t.byTestId("live-code-spend").getByText("朋友圈广告").waitFor({ state: "visible" });
    await t
      .byTestId("live-code-stat-cost")
      .getByText("¥100.00")
      .waitFor({ state: "visible", timeout: 15_000 });
    // Fixed header and menu would be drawn mid-page in a full-page picture of a scrolled page.
    await t.page.evaluate(() => window.scrollTo(0, 0));
    await t.screenshot("live-codes-04-stats");

    // CSV export and the QR PNG download through the bearer-protected API.
    const csvDownload = t.page.waitForEvent("download");
    await t.byTestId("live-code-csv").click();
    const csv = await csvDownload;
    check(csv.suggestedFilename().endsWith(".csv"), `CSV download named ${csv.suggestedFilename()}`);
    const csvPath = await csv.path();
    const csvText = csvPath ? readFileSync(csvPath, "utf8") : "";
    check(
      csvText.includes("staff,wangdianzhang,0,1,0,0,1"),
      `the CSV should count the add: ${csvText.slice(0, 400)}`,
    );
    const qrDownload = t.page.waitForEvent("download");
    await t.byTestId("live-code-qr-download").click();
    check((await qrDownload).suggestedFilename().endsWith("-qr.png"), "the QR download should be a PNG");

    // 6. The poster: the server renders it with the Chinese title.
    await t.byTestId("live-code-poster").click();
    await t.byTestId("live-code-poster-preview").waitFor({ state: "visible", timeout: 30_000 });
    const posterForm = t.page.locator(".ant-modal");
    await posterForm.locator("input.ant-input").nth(1).fill("扫码添加专属导购，领取新人礼");
    await posterForm.locator("input.ant-input").nth(2).fill("私域旗舰店 · 静安门店");
    await posterForm.getByText("喜庆红").click();
    await t.byTestId("live-code-poster-preview").waitFor({ state: "visible", timeout: 30_000 });
    const natural = await t
      .byTestId("live-code-poster-preview")
      .evaluate((img) => (img as HTMLImageElement).naturalWidth);
    check(natural === 750, `the poster should be 750 px wide, saw ${natural}`);
    await t.screenshot("live-codes-05-poster");
    const posterDownload = t.page.waitForEvent("download");
    await t.byTestId("live-code-poster-download").click();
    const poster = await posterDownload;
    check(poster.suggestedFilename().endsWith("-festive.png"), `poster named ${poster.suggestedFilename()}`);
    await t.page.keyboard.press("Escape");

    // 7. Edit: weighted allocation and a weekend variant of the welcome, previewed, then saved (PATCH).
    await t.byTestId("live-code-edit").click();
    const editForm = t.byTestId("live-code-form");
    await editForm.waitFor({ state: "visible" });
    await editForm.getByText("按权重").click();
    // The weight column appears once the strategy applies; the first input before that is the cap.
    await t.byTestId("live-code-weight-wangdianzhang").fill("3");
    await editForm.getByText("添加时段欢迎语").click();
    const variant = editForm.locator(".ant-card", { hasText: "时段 1" }).first();
    await variant.locator("input.ant-input").first().fill("周末");
    await variant.getByText("周六").click();
    await variant.getByText("周日").click();
    for (const day of ["周一", "周二", "周三", "周四", "周五"]) await variant.getByText(day).click();
    await variant.locator("textarea").fill("周末好，{{nickname}}！门店今天营业到 22:00。");
    await t.page.locator(".ant-segmented-item", { hasText: "周末" }).click();
    await t.byTestId("welcome-preview-text").getByText("周末好，小明！").waitFor({ state: "visible" });
    await t.screenshot("live-codes-07-edit-variant");
    const patched = t.page.waitForResponse(
      (r) => new URL(r.url()).pathname === `/api/live-codes/${code.id}` && r.request().method() === "PATCH",
    );
    await t.byTestId("live-code-save").click();
    const patch = await patched;
    check(patch.status() === 200, `PATCH answered ${patch.status()}: ${await patch.text()}`);
    const saved = (await patch.json()) as {
      strategy: string;
      staffOptions: Record<string, { weight?: number }>;
      welcome: { variants?: Array<{ name?: string; weekdays?: number[] }> };
    };
    check(saved.strategy === "weighted", `strategy should be weighted, saw ${saved.strategy}`);
    check(saved.staffOptions.wangdianzhang?.weight === 3, "the weight should be saved");
    const weekend = saved.welcome.variants?.[0];
    check(
      weekend?.name === "周末" && JSON.stringify(weekend.weekdays) === "[6,7]",
      `the weekend variant should be saved, saw ${JSON.stringify(weekend)}`,
    );
    await t.page.getByText("另有 1 个时段欢迎语").waitFor({ state: "visible" });

    // 8. The list: today's adds and the overview chart count it too.
    await t.goto("/live-codes");
    const row = t.byTestId("live-codes-table").locator("tr", { hasText: codeName }).first();
    await row.waitFor({ state: "visible" });
    await row.getByTestId("live-code-today").getByText("1 / 1").waitFor({ state: "visible" });
    await t.screenshot("live-codes-06-list");

    // 9. The same pages in English: no raw keys.
    await t.byTestId("lang-switch").click();
    await t.page.waitForFunction(() => document.documentElement.lang === "en-US");
    await t.byTestId("page-title").getByText("Live codes").waitFor({ state: "visible" });
    await t.goto(`/live-codes/${code.id}`);
    await t.byTestId("live-code-stats").getByText("Cost per add").waitFor({ state: "visible" });
    const body = (await t.page.locator("body").textContent()) ?? "";
    check(!/liveCodes\./.test(body), "an untranslated liveCodes.* key is on the page");
    await t.page.evaluate(() => window.scrollTo(0, 0));
    await t.screenshot("live-codes-08-detail-en");
  },
  { timeoutMs: 240_000 },
);

/** The embedded WeCom simulator's own API (`/sandbox/wecom/_sim/…`). */
async function sim(t: E2E, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${t.baseUrl}/sandbox/wecom/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  check(res.ok, `${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

test(
  "group live codes: two groups in rotation; a join in WeCom fills the first and the link moves on to the second",
  async (t) => {
    const suffix = Date.now().toString(36).slice(-5);
    const corps = (await sim(t, "GET", "/corps")).corps as Array<{ corpId?: string; corp_id?: string }>;
    const corpId = String(corps[0]?.corpId ?? corps[0]?.corp_id ?? "");
    check(Boolean(corpId), "the demo tenant's simulator corp should exist");
    const first = `福利一群${suffix}`;
    const second = `福利二群${suffix}`;
    const chatA = String(
      (await sim(t, "POST", `/corps/${corpId}/actions/create-group`, { owner: "wangdianzhang", name: first }))
        .chat_id,
    );
    await sim(t, "POST", `/corps/${corpId}/actions/create-group`, { owner: "wangdianzhang", name: second });
    // A customer of the corp who will join the first group.
    const customer = String(
      (
        await sim(t, "POST", `/corps/${corpId}/actions/add-contact`, {
          userid: "wangdianzhang",
          customer: { name: `入群客户${suffix}` },
        })
      ).external_userid,
    );
    await t.login();
    await t.byTestId("main-menu").locator('[data-menu-id$="-/live-codes/groups"]').first().click();
    await t.page.waitForURL((url) => url.pathname === "/live-codes/groups");
    await t.byTestId("group-code-table").waitFor({ state: "visible" });

    // Create: the two groups (from the synced groups; the create events bring them in), capacity 2 first.
    const name = `新人福利群活码 ${suffix}`;
    for (let i = 0; ; i++) {
      await t.byTestId("group-code-create").click();
      await t.byTestId("group-code-name").fill(name);
      await t.byTestId("group-code-chat-select").first().click();
      const option = t.openDropdown().locator(".ant-select-item-option", {
        hasText: first,
      });
      await option
        .first()
        .waitFor({ state: "visible", timeout: 3000 })
        .catch(() => undefined);
      if ((await option.count()) > 0) {
        await option.first().click();
        break;
      }
      check(i < 20, "the simulator's new groups never reached the group picker");
      await t.page.reload();
    }
    const chats = t.byTestId("group-code-chat");
    await chats.first().locator("input.ant-input-number-input").fill("2");
    await chats.first().getByTestId("group-code-qr-image").fill("https://example.com/group-a.png");
    await t.byTestId("group-code-add-chat").click();
    await chats.nth(1).getByTestId("group-code-chat-select").click();
    await pickOption(t, second);
    await chats.nth(1).getByTestId("group-code-qr-image").fill("https://example.com/group-b.png");
    await t.screenshot("live-codes-10-group-create");
    const created = t.page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/api/group-live-codes" && r.request().method() === "POST",
    );
    await t.byTestId("group-code-save").click();
    const res = await created;
    check(res.status() === 201, `POST /api/group-live-codes answered ${res.status()}: ${await res.text()}`);
    const code = (await res.json()) as { id: string; landingUrl: string; currentChatId: string };
    check(code.currentChatId === chatA, "the first group should be the current one");
    const row = t.byTestId("group-code-table").locator("tr", { hasText: name }).first();
    await row.getByText("1/2", { exact: true }).waitFor({ state: "visible" });

    const landing = await t.context.newPage();
    await landing.goto(code.landingUrl, { waitUntil: "domcontentloaded" });
    check((await landing.content()).includes("group-a.png"), "the landing page should show the first group");

    // The customer joins the first group in WeCom: the member-change event fills it (2 of 2).
    await sim(t, "POST", `/corps/${corpId}/actions/join-group`, {
      chat_id: chatA,
      ids: [customer],
      join_scene: 3,
    });
    await row.getByText("2/2", { exact: true }).waitFor({ state: "visible", timeout: 30_000 });
    await row.getByTestId("group-code-chat-row").nth(1).getByText("当前").waitFor({ state: "visible" });
    await landing.reload({ waitUntil: "domcontentloaded" });
    const html = await landing.content();
    check(
      html.includes("group-b.png") && !html.includes("group-a.png"),
      "the link should show the second group",
    );
    await landing.screenshot({ path: join(artifactsDir, "live-codes-12-group-landing.png") });
    await landing.close();
    await t.screenshot("live-codes-11-group-rotated");
  },
  { timeoutMs: 180_000 },
);

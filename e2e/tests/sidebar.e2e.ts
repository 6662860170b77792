// The WeCom staff sidebar (SPEC §2) on a phone-sized screen: a staff member opens it on a customer given
// by their WeCom external_userid, signs in on the way, sees the profile with the phone masked, adds a tag,
// gets a reply suggested from what the customer wrote, searches the library and copies a reply (the
// sandbox stand-in for sending it into the chat), and finds the send on the customer's timeline.
// A second case manages the library from the console.
import { check, type E2E, test } from "../harness.ts";

async function apiCall(t: E2E, method: string, path: string, token: string | null, body?: unknown) {
  const res = await fetch(new URL(path, t.baseUrl), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, json };
}

async function apiLogin(t: E2E, email: string, password: string): Promise<string> {
  const res = await apiCall(t, "POST", "/api/auth/login", null, { email, password });
  check(res.status === 200, `login of ${email} answered ${res.status}`);
  return res.json.token as string;
}

test("sidebar: open by external_userid, sign in, tag, suggestion, search and copy a reply", async (t) => {
  const stamp = Date.now().toString(36).slice(-6);
  const agentEmail = `sidebar-agent-${stamp}@example.com`;
  const agentPassword = "Sidebar-Agent-Passw0rd";
  const externalUserId = `wmSidebarE2e${stamp}`;
  const phone = `138${String(Date.now() % 100_000_000).padStart(8, "0")}`;
  const newTag = `意向强${stamp}`;

  // An agent and their customer, through the API.
  const admin = await apiLogin(t, t.admin.email, t.admin.password);
  const user = await apiCall(t, "POST", "/api/users", admin, {
    email: agentEmail,
    password: agentPassword,
    name: "侧边栏导购",
    roles: ["agent"],
  });
  check(user.status === 201, `creating the agent answered ${user.status}`);
  const agent = await apiLogin(t, agentEmail, agentPassword);
  const created = await apiCall(t, "POST", "/api/customers", agent, {
    name: `赵女士${stamp}`,
    phone,
    source: "企业微信",
    tags: ["新客"],
    identities: [{ type: "wecom_external_userid", value: externalUserId }],
  });
  check(created.status === 201, `creating the customer answered ${created.status}`);
  const customerId = created.json.id as string;

  // Phone-sized, with the clipboard readable so the copy can be checked.
  await t.page.setViewportSize({ width: 375, height: 812 });
  await t.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.baseUrl });

  // Not signed in: the sidebar sends the staff member to the login and back.
  const sidebarPath = `/sidebar?externalUserId=${externalUserId}&text=${encodeURIComponent("这个多少钱？有优惠吗")}`;
  await t.goto(sidebarPath);
  await t.page.waitForURL(
    (url) => url.pathname === "/login" && (url.searchParams.get("next") ?? "").startsWith("/sidebar"),
  );
  await t.byTestId("login-email").fill(agentEmail);
  await t.byTestId("login-password").fill(agentPassword);
  await t.screenshot("sidebar-01-login");
  await t.byTestId("login-submit").click();
  await t.page.waitForURL(
    (url) => url.pathname === "/sidebar" && url.searchParams.get("externalUserId") === externalUserId,
  );

  // Profile: the right person, the phone masked for an agent, the owner is the agent.
  const profile = t.byTestId("sidebar-profile");
  await profile.waitFor({ state: "visible" });
  check(
    ((await t.byTestId("sidebar-name").textContent()) ?? "").includes(`赵女士${stamp}`),
    "sidebar shows the customer's name",
  );
  const shownPhone = ((await t.byTestId("sidebar-phone").textContent()) ?? "").trim();
  check(
    shownPhone === `${phone.slice(0, 3)}****${phone.slice(7)}`,
    `phone should be masked, got ${shownPhone}`,
  );
  check(((await profile.textContent()) ?? "").includes("侧边栏导购"), "owner staff is the agent");
  // The suggestion for what the customer wrote is the price reply.
  const suggested = t.byTestId("suggested-reply").first();
  await suggested.waitFor({ state: "visible" });
  check(
    ((await suggested.textContent()) ?? "").includes("报价与优惠"),
    "price question suggests the price reply",
  );
  check(((await suggested.textContent()) ?? "").includes("多少钱"), "the suggestion says which keyword hit");
  const width = await t.page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 375, `nothing overflows a 375 px screen (scroll width ${width})`);
  await t.screenshot("sidebar-02-opened");

  // Add a tag.
  await profile.getByTestId("tag-add").click();
  await t.page.keyboard.type(newTag);
  await t.page.keyboard.press("Enter");
  await profile.getByTestId("customer-tag").filter({ hasText: newTag }).waitFor({ state: "visible" });
  const after = await apiCall(t, "GET", `/api/customers/${customerId}`, agent);
  const tagNames = (after.json.tags as Array<{ name: string }>).map((x) => x.name);
  check(tagNames.includes(newTag), `the server has the new tag (${tagNames.join(", ")})`);
  await t.screenshot("sidebar-03-tag-added");

  // Search the library in Chinese and copy a reply.
  await t.byTestId("sidebar-reply-search").locator("input").fill("安装");
  const install = t
    .byTestId("sidebar-reply-list")
    .getByTestId("sidebar-reply")
    .filter({ hasText: "预约安装" })
    .first();
  await install.waitFor({ state: "visible" });
  // The list shows exactly what the server finds for 安装 (title, content or keyword), and fewer than
  // the whole library: wait for that count, not for "few", which an empty list while loading also is.
  const found = await apiCall(
    t,
    "GET",
    `/api/quick-replies?q=${encodeURIComponent("安装")}&limit=100`,
    agent,
  );
  const all = await apiCall(t, "GET", "/api/quick-replies?limit=100", agent);
  const expected = (found.json.items as unknown[]).length;
  check(
    expected > 0 && expected < (all.json.items as unknown[]).length,
    `安装 finds ${expected} of ${(all.json.items as unknown[]).length}`,
  );
  await t.page.waitForFunction(
    (n) =>
      document.querySelectorAll('[data-testid="sidebar-reply-list"] [data-testid="sidebar-reply"]').length ===
      n,
    expected,
  );
  await t.screenshot("sidebar-04-search");
  const used = t.page.waitForResponse((r) =>
    /\/api\/quick-replies\/[^/]+\/use$/.test(new URL(r.url()).pathname),
  );
  await install.getByTestId("reply-send").click();
  await t.page.getByText("已复制").first().waitFor({ state: "visible" });
  check((await used).status() === 200, "the use is counted");
  const clip = await t.page.evaluate(() => navigator.clipboard.readText());
  check(clip.includes("安装可以预约"), `the clipboard holds the reply, got ${clip.slice(0, 40)}`);
  await t.screenshot("sidebar-05-copied");

  // The send is on the customer's timeline, next to the tag.
  await t.byTestId("sidebar-tabs").getByRole("tab", { name: "动态" }).click();
  const timeline = t.byTestId("customer-timeline");
  await timeline.getByText("发送话术").first().waitFor({ state: "visible" });
  await timeline.getByText(newTag).first().waitFor({ state: "visible" });
  const timelineWidth = await t.page.evaluate(() => document.documentElement.scrollWidth);
  check(timelineWidth <= 375, `the timeline fits a 375 px screen (scroll width ${timelineWidth})`);
  await t.screenshot("sidebar-06-timeline");

  // An unknown customer is said so, not an error page.
  await t.goto("/sidebar?externalUserId=wmNobodyHere000");
  await t.byTestId("sidebar-not-found").waitFor({ state: "visible" });
  await t.screenshot("sidebar-07-not-found");
});

test("quick replies: the library page under WeCom, create a reply with keywords", async (t) => {
  const stamp = Date.now().toString(36).slice(-5);
  await t.login();
  const menu = t.byTestId("main-menu");
  await menu.locator('[data-menu-id$="-wecom"]').first().click();
  await menu.locator('[data-menu-id$="-/wecom/quick-replies"]').first().click();
  await t.page.waitForURL((url) => url.pathname === "/wecom/quick-replies");
  const table = t.byTestId("replies-table");
  await table.getByText("报价与优惠").waitFor({ state: "visible" });
  await t.screenshot("quick-replies-01-list");

  await t.byTestId("reply-create").click();
  await t.byTestId("reply-form-title").fill(`会员日提醒${stamp}`);
  await t.byTestId("reply-form-content").fill("本周六是会员日，全场 9 折，到店出示会员码即可。");
  await t.byTestId("reply-form-keywords").click();
  await t.page.keyboard.type("会员日");
  await t.page.keyboard.press("Enter");
  await t.screenshot("quick-replies-02-create");
  const saved = t.page.waitForResponse(
    (r) => new URL(r.url()).pathname === "/api/quick-replies" && r.request().method() === "POST",
  );
  await t.byTestId("reply-form-submit").click();
  check((await saved).status() === 201, "POST /api/quick-replies should answer 201");
  await t.byTestId("replies-search").locator("input").fill(`会员日提醒${stamp}`);
  await t.byTestId("replies-search").locator("input").press("Enter");
  await table.getByText(`会员日提醒${stamp}`).waitFor({ state: "visible" });
  await table.getByText("会员日", { exact: true }).waitFor({ state: "visible" });
  await t.screenshot("quick-replies-03-search");
});

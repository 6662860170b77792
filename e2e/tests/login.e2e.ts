// The first journey every install must pass: sign in through the real form, find the users page through
// the menu, see the admin listed, and switch the language both ways.
import { check, test } from "../harness.ts";

test("wrong password shows an error", async (t) => {
  await t.goto("/login");
  await t.byTestId("login-email").fill(t.admin.email);
  await t.byTestId("login-password").fill("not-the-password-1");
  await t.byTestId("login-submit").click();
  const error = t.byTestId("login-error");
  await error.waitFor({ state: "visible" });
  check(((await error.textContent()) ?? "").trim().length > 0, "login error is shown but empty");
  check(new URL(t.page.url()).pathname === "/login", `stayed on /login, got ${t.page.url()}`);
  check((await t.byTestId("main-menu").count()) === 0, "main menu visible after a wrong password");
  await t.screenshot("login-wrong-password");
});

test("admin logs in, sees the users page and switches language", async (t) => {
  await t.goto("/login");
  await t.byTestId("login-submit").waitFor({ state: "visible" });
  await t.screenshot("login-page");

  await t.login();
  await t.screenshot("after-login");

  // Settings → Users through the menu, as a person would. antd marks items with their key (the path).
  const menu = t.byTestId("main-menu");
  await menu.locator('[data-menu-id$="-settings"]').first().click();
  await menu.locator('[data-menu-id$="-/settings/users"]').first().click();
  await t.page.waitForURL((url) => url.pathname === "/settings/users");

  const table = t.byTestId("users-table");
  await table.getByText(t.admin.email).first().waitFor({ state: "visible" });
  const zhTitle = ((await t.byTestId("page-title").textContent()) ?? "").trim();
  check((await t.page.getAttribute("html", "lang")) === "zh-CN", "console should start in zh-CN");
  await t.screenshot("users-zh-CN");

  await t.byTestId("lang-switch").click();
  await t.page.waitForFunction(() => document.documentElement.lang === "en-US");
  const enTitle = t.byTestId("page-title");
  await enTitle.getByText("Users", { exact: true }).waitFor({ state: "visible" });
  await table.getByText(t.admin.email).first().waitFor({ state: "visible" });
  await t.screenshot("users-en-US");

  await t.byTestId("lang-switch").click();
  await t.page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  await enTitle.getByText(zhTitle, { exact: true }).waitFor({ state: "visible" });
  check(zhTitle !== "Users", `zh-CN title should be translated, got "${zhTitle}"`);
});

test("admin deletes a user from the users page; the deleted login can no longer sign in", async (t) => {
  await t.login();
  const token = await t.page.evaluate(() => localStorage.getItem("siyu.token"));
  const email = `leaver-${Date.now()}@example.com`;
  const password = "Leaver-Passw0rd-1";
  const created = await t.page.request.post(`${t.baseUrl}/api/users`, {
    headers: { authorization: `Bearer ${token}` },
    data: { email, password, name: "离职员工", roles: ["agent"] },
  });
  check(created.status() === 201, `create user: ${created.status()} ${await created.text()}`);

  await t.goto("/settings/users");
  const table = t.byTestId("users-table");
  await table.getByText(email).first().waitFor({ state: "visible" });
  check(
    (await t.byTestId(`delete-user-${t.admin.email}`).count()) === 0,
    "the signed-in admin's own row should offer no delete",
  );
  await t.byTestId(`delete-user-${email}`).click();
  await t.screenshot("users-delete-confirm");
  await t.confirmPopconfirm();
  await table.getByText(email).first().waitFor({ state: "detached" });
  await table.getByText(t.admin.email).first().waitFor({ state: "visible" });
  await t.screenshot("users-after-delete");

  const login = await t.page.request.post(`${t.baseUrl}/api/auth/login`, { data: { email, password } });
  check(login.status() === 401, `a deleted user's login should answer 401, got ${login.status()}`);
});

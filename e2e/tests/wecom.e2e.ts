// The WeCom journey of issue 4 through the console: in the sandbox page a person acts as a WeChat user who
// adds a staff member; the simulator sends the encrypted callback and the customer appears in Siyu (360
// page with its WeCom facts, customer list); then a full sync runs from the sync page until it is done;
// the admin links 张三 to a login on the staff page; the customer deletes the staff and a churn alert
// shows up. Screenshots: e2e/artifacts/wecom-*.png.
import { check, type E2E, test } from "../harness.ts";

async function openMenu(t: E2E, group: string, path: string) {
  const menu = t.byTestId("main-menu");
  const item = menu.locator(`[data-menu-id$="-${path}"]`).first();
  if (!(await item.isVisible())) await menu.locator(`[data-menu-id$="-${group}"]`).first().click();
  await item.click();
  await t.page.waitForURL((url) => url.pathname === path);
}

test(
  "wecom: act as a customer in the simulator, see the customer, sync, churn alert",
  async (t) => {
    const nickname = `微信用户${Date.now().toString(36).slice(-5)}`;
    await t.login();

    // 1. The simulator page, under 沙箱 in the menu (the e2e server runs embedded, sandbox on).
    await openMenu(t, "sandbox", "/simulator/wecom");
    const connect = t.byTestId("sim-connect");
    const act = t.byTestId("sim-act-card");
    await connect.or(act).first().waitFor({ state: "visible" });
    if (await connect.isVisible()) {
      // The tenant is not wired yet: the page creates a simulated corp and saves its settings.
      await t.screenshot("wecom-01-sandbox-connect");
      await connect.click();
    }
    await act.waitFor({ state: "visible" });

    // 2. Act as a WeChat user scanning 张三's QR code.
    await t.byTestId("sim-staff").click();
    await t.page.locator(".ant-select-item-option", { hasText: "zhangsan" }).first().click();
    await t.byTestId("sim-nickname").fill(nickname);
    await t.screenshot("wecom-02-sandbox-form");
    await t.byTestId("sim-scan").click();

    // 3. The callback is processed and the customer exists in Siyu.
    await t.byTestId("sim-customer-appeared").waitFor({ state: "visible", timeout: 60_000 });
    await t.byTestId("sim-callbacks").getByText("add_external_contact").first().waitFor({ state: "visible" });
    await t.byTestId("sim-contacts").getByText(nickname).first().waitFor({ state: "visible" });
    await t.screenshot("wecom-03-sandbox-customer-appeared");

    // 4. Its 360 page shows the WeCom facts: owner staff, how it was added.
    await t.byTestId("sim-customer-link").click();
    await t.page.waitForURL((url) => /^\/customers\/[^/]+$/.test(url.pathname));
    await t.byTestId("page-title").getByText(nickname).waitFor({ state: "visible" });
    const wecomCard = t.byTestId("customer-wecom");
    await wecomCard.waitFor({ state: "visible" });
    await wecomCard.getByText("zhangsan").first().waitFor({ state: "visible" });
    await t.byTestId("customer-identities").getByText(/wm|wo/).first().waitFor({ state: "visible" });
    await t.screenshot("wecom-04-customer-360");

    // 4b. The card links to the staff chat sidebar on this customer (in WeCom it opens beside the chat).
    const sidebarHref = await wecomCard.getByTestId("customer-wecom-sidebar").first().getAttribute("href");
    check(sidebarHref?.startsWith("/sidebar?externalUserId=") === true, `sidebar link ${sidebarHref}`);
    await t.goto(sidebarHref ?? "/sidebar");
    await t.byTestId("sidebar-name").getByText(nickname).waitFor({ state: "visible" });
    // 张三 has no Siyu login here: the sidebar names the WeCom member following the customer.
    await t
      .byTestId("sidebar-owner")
      .getByText(/张三|zhangsan/)
      .waitFor({ state: "visible" });
    await t.screenshot("wecom-04b-sidebar");

    // 5. And the customer list finds it by name.
    await t.goto(`/customers?q=${encodeURIComponent(nickname)}`);
    await t
      .byTestId("customers-table")
      .locator("tr", { hasText: nickname })
      .first()
      .waitFor({ state: "visible" });
    await t.screenshot("wecom-05-customer-list");

    // 5b. Set-up through the simulator's own API: 张三 opens a customer group with the new customer in it.
    const token = await t.page.evaluate(() => localStorage.getItem("siyu.token"));
    const settings = await t.page.request.get(`${t.baseUrl}/api/settings/wecom`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const corpId = ((await settings.json()) as { corpId: string }).corpId;
    const sim = `${t.baseUrl}/sandbox/wecom/_sim/corps/${corpId}`;
    const simContacts = (await (await t.page.request.get(`${sim}/contacts`)).json()) as {
      contacts: Array<{ external_userid: string; name: string }>;
    };
    const ext = simContacts.contacts.find((c) => c.name === nickname)?.external_userid;
    check(ext, "the simulator should list the new customer");
    const group = await t.page.request.post(`${sim}/actions/create-group`, {
      data: { owner: "zhangsan", name: "E2E 客户群", members: ["lisi", ext] },
    });
    check(group.ok(), `create-group answered ${group.status()}`);

    // 6. A full sync from the sync page: the run appears and its progress reaches done.
    await openMenu(t, "wecom", "/wecom/sync");
    await t.byTestId("wecom-sync-runs").waitFor({ state: "visible" });
    const started = t.page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/api/wecom/sync" && r.request().method() === "POST",
    );
    await t.byTestId("wecom-sync-start").click();
    const res = await started;
    check(res.status() === 202, `POST /api/wecom/sync answered ${res.status()}`);
    // The row of this run (by its id): the demo tenant's first sync is in the table too, and the list
    // may not have refreshed yet when the answer arrives.
    const runId = ((await res.json()) as { id: string }).id;
    const firstRow = t.byTestId("wecom-sync-runs").locator(`tbody tr[data-row-key="${runId}"]`);
    await firstRow.waitFor({ state: "visible" });
    await firstRow.getByTestId("wecom-sync-status-completed").waitFor({ state: "visible", timeout: 90_000 });
    const percent = await firstRow.locator(".ant-progress").getAttribute("aria-valuenow");
    check(percent === "100", `a completed run should show 100%, saw ${percent}`);
    await t.screenshot("wecom-06-sync-done");

    // 6b. The group, and its members in the drawer.
    await openMenu(t, "wecom", "/wecom/groups");
    const groupRow = t.byTestId("wecom-groups-table").locator("tr", { hasText: "E2E 客户群" }).first();
    await groupRow.waitFor({ state: "visible" });
    await groupRow.click();
    const drawer = t.page.locator(".ant-drawer").filter({ hasText: "E2E 客户群" });
    await drawer.getByText(nickname).first().waitFor({ state: "visible" });
    await t.screenshot("wecom-06b-group-drawer");
    await t.page.keyboard.press("Escape");

    // 7. The synced staff, with 张三 following at least one customer.
    await openMenu(t, "wecom", "/wecom/staff");
    const zhang = t.byTestId("wecom-staff-table").locator("tr", { hasText: "zhangsan" }).first();
    await zhang.waitFor({ state: "visible" });
    await t.screenshot("wecom-07-staff");

    // 7b. The admin links 张三 to a login by hand (the user ↔ member map); it stays after a reload.
    const linked = t.page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/api/wecom/staff/zhangsan/user" && r.request().method() === "PUT",
    );
    await t.byTestId("wecom-staff-login-zhangsan").click();
    await t.page.keyboard.type("admin");
    await t.page
      .locator(".ant-select-dropdown:visible .ant-select-item-option:not(.ant-select-item-option-disabled)")
      .first()
      .click();
    const linkRes = await linked;
    check(linkRes.status() === 200, `PUT /api/wecom/staff/zhangsan/user answered ${linkRes.status()}`);
    const body = (await linkRes.json()) as { userId: string | null; userLink: string | null };
    check(body.userId !== null && body.userLink === "manual", `link answer ${JSON.stringify(body)}`);
    await t.page.reload();
    await t
      .byTestId("wecom-staff-link-source-zhangsan")
      .getByText(/手动关联|Set by hand/)
      .waitFor({ state: "visible" });
    await t.screenshot("wecom-07b-staff-linked");

    // 8. The customer deletes 张三 in the simulator → a churn alert in Siyu.
    await openMenu(t, "sandbox", "/simulator/wecom");
    const contactRow = t.byTestId("sim-contacts").locator("tr", { hasText: nickname }).first();
    await contactRow.waitFor({ state: "visible" });
    await contactRow.getByTestId("sim-leave").click();
    await t.confirmPopconfirm();
    await t.byTestId("sim-callbacks").getByText("del_follow_user").first().waitFor({ state: "visible" });
    await openMenu(t, "wecom", "/wecom/alerts");
    const alerts = t.byTestId("wecom-alerts-table");
    for (let i = 0; i < 30; i++) {
      if ((await alerts.locator("tbody tr.ant-table-row").count()) > 0) break;
      await t.page.waitForTimeout(1000);
      await t.page.reload();
      await alerts.waitFor({ state: "visible" });
    }
    await alerts.locator("tbody tr.ant-table-row").first().waitFor({ state: "visible" });
    await t.screenshot("wecom-08-churn-alert");

    // 9. The events the callbacks produced, processed.
    await openMenu(t, "wecom", "/wecom/events");
    await t
      .byTestId("wecom-events-table")
      .getByText("add_external_contact")
      .first()
      .waitFor({ state: "visible" });
    await t.screenshot("wecom-09-events");

    // 10. The settings page shows masks, never the secrets, and the callback URL.
    await openMenu(t, "wecom", "/wecom/settings");
    await t.byTestId("wecom-callback-url").waitFor({ state: "visible" });
    const url = await t.byTestId("wecom-callback-url").inputValue();
    check(url.includes("/callbacks/wecom/"), `callback URL looks wrong: ${url}`);
    await t.screenshot("wecom-10-settings");
  },
  { timeoutMs: 240_000 },
);

// The template library of issue 7: 模板库 in the menu lists the SOP and industry templates (the demo
// tenant has each installed once as a draft); installing one creates a new draft flow and opens it at
// the designer's route. Screenshots: e2e/artifacts/flow-templates-*.png.
import { check, test } from "../harness.ts";

test("templates: browse the library, filter industry processes, install one into the designer", async (t) => {
  await t.login();
  // 模板库 sits in the 流程与 SOP group: open the group when its items are folded away.
  const menu = t.byTestId("main-menu");
  const item = menu.locator('[data-menu-id$="-/flow-templates"]').first();
  if (!(await item.isVisible())) await menu.locator('[data-menu-id$="-flows"]').first().click();
  await item.click();
  await t.page.waitForURL((url) => url.pathname === "/flow-templates");
  const card = t.byTestId("template-complaint-handling");
  await card.waitFor({ state: "visible" });
  check((await t.page.locator('[data-testid^="template-"]').count()) === 8, "eight templates listed");
  await t.screenshot("flow-templates-all");

  await t.page.locator(".ant-segmented-item", { hasText: "行业流程" }).click();
  await t.byTestId("template-new-customer-sop").waitFor({ state: "detached" });
  check((await t.page.locator('[data-testid^="template-"]').count()) === 4, "four industry processes");
  await t.screenshot("flow-templates-industry");

  await t.byTestId("install-complaint-handling").click();
  await t.page.waitForURL((url) => /^\/flows\/flw_/.test(url.pathname));
  await t.screenshot("flow-templates-installed");
});

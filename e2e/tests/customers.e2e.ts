// The customers journey of SPEC §1 through the console: create a customer with a phone and a tag, find it
// by the phone written another way, open the 360 page, tag it inline and see the timeline say so, build a
// segment on that tag and see it count the customer, and import a CSV with one bad row.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { check, type E2E, test } from "../harness.ts";

/** A phone no demo customer has: 139 + 8 digits from the clock. */
function uniquePhone(): string {
  return `139${String(Date.now() % 100_000_000).padStart(8, "0")}`;
}

async function waitForApi(t: E2E, pathPrefix: string, method = "GET") {
  return t.page.waitForResponse(
    (r) => new URL(r.url()).pathname.startsWith(pathPrefix) && r.request().method() === method,
  );
}

test("customer: create, search, 360, inline tag, segment, import", async (t) => {
  const stamp = Date.now().toString(36).slice(-5);
  const name = `张测试${stamp}`;
  const phone = uniquePhone();
  const spaced = `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
  const firstTag = `E2E客户${stamp}`;
  const inlineTag = `E2E跟进${stamp}`;

  await t.login();

  // 1. The list, through the menu.
  const menu = t.byTestId("main-menu");
  await menu.locator('[data-menu-id$="-customers"]').first().click();
  await menu.locator('[data-menu-id$="-/customers"]').first().click();
  await t.page.waitForURL((url) => url.pathname === "/customers");
  await t.byTestId("customers-table").waitFor({ state: "visible" });
  await t.screenshot("customers-01-list");

  // 2. Create a customer with a phone and a new tag.
  await t.byTestId("customer-create").click();
  await t.byTestId("customer-form-name").fill(name);
  await t.byTestId("customer-form-phone").fill(phone);
  await t.byTestId("customer-form-tags").click();
  await t.page.keyboard.type(firstTag);
  await t.page.keyboard.press("Enter");
  await t.byTestId("customer-form-name").click();
  await t.screenshot("customers-02-create-modal");
  const created = waitForApi(t, "/api/customers", "POST");
  await t.byTestId("customer-create-submit").click();
  const createResponse = await created;
  check(createResponse.status() === 201, `POST /api/customers answered ${createResponse.status()}`);
  await t.page.locator(".ant-modal").waitFor({ state: "hidden" });

  // 3. Find it by the phone written with spaces.
  const search = t.byTestId("customers-search").locator("input").first();
  await search.fill(spaced);
  await search.press("Enter");
  await t.page.waitForURL((url) => url.searchParams.get("q") === spaced);
  const row = t.byTestId("customers-table").locator("tr", { hasText: name });
  await row.first().waitFor({ state: "visible" });
  // The new customer is also on the unfiltered first page (the demo tenant has WeCom customers too),
  // so wait for the searched list to replace it rather than count the rows at once.
  const rows = t.byTestId("customers-table").locator("tbody tr.ant-table-row");
  for (let i = 0; i < 50 && (await rows.count()) !== 1; i++) await t.page.waitForTimeout(200);
  check((await rows.count()) === 1, "searching the spaced phone should find exactly the new customer");
  await row.first().getByText(firstTag).waitFor({ state: "visible" });
  await t.screenshot("customers-03-search-by-phone");

  // 4. The 360 page.
  await row.first().click();
  await t.page.waitForURL((url) => /^\/customers\/[^/]+$/.test(url.pathname));
  await t.byTestId("page-title").getByText(name).waitFor({ state: "visible" });
  await t.byTestId("customer-identities").waitFor({ state: "visible" });
  await t.byTestId("customer-timeline").getByText(firstTag).first().waitFor({ state: "visible" });
  await t.screenshot("customers-04-360");

  // 5. Add a tag inline; the timeline shows it, with its cause.
  const tags = t.byTestId("customer-tags");
  await t.byTestId("tag-add").click();
  await t.page.keyboard.type(inlineTag);
  await t.page.keyboard.press("Enter");
  await tags.getByTestId("customer-tag").filter({ hasText: inlineTag }).waitFor({ state: "visible" });
  const entry = t.byTestId("timeline-entry").filter({ hasText: inlineTag }).first();
  await entry.waitFor({ state: "visible" });
  check(
    (await entry.textContent())?.includes("手动"),
    "the inline tag's timeline entry should say it was manual",
  );
  await t.screenshot("customers-05-inline-tag");

  // 6. A segment on that tag, built visually, counts the customer.
  await t.goto("/customers/segments");
  await t.byTestId("segment-create").click();
  await t.byTestId("segment-name").fill(`E2E 分群 ${stamp}`);
  const builder = t.byTestId("segment-builder");
  await builder.waitFor({ state: "visible" });
  await builder.getByTestId("segment-tag-select").first().click();
  await t.page.keyboard.type(inlineTag);
  await t.page.keyboard.press("Enter");
  await t.byTestId("segment-expression").getByText(`tag("${inlineTag}")`).waitFor({ state: "visible" });
  const count = t.byTestId("segment-count");
  await t.page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid="segment-count"]');
      return el ? Number((el.textContent ?? "").replace(/\D/g, "")) >= 1 : false;
    },
    undefined,
    { timeout: 15_000 },
  );
  check(
    Number(((await count.textContent()) ?? "").replace(/\D/g, "")) >= 1,
    "segment count should be at least 1",
  );
  await t.screenshot("customers-06-segment-builder");
  const savedSegment = waitForApi(t, "/api/segments", "POST");
  await t.byTestId("segment-save").click();
  check((await savedSegment).status() === 201, "POST /api/segments should answer 201");
  await t.byTestId("segments-table").getByText(`E2E 分群 ${stamp}`).waitFor({ state: "visible" });
  await t.screenshot("customers-07-segments");

  // The other customer pages and the dashboard card open without errors.
  await t.goto("/customers/tags");
  await t.byTestId("tag-groups").getByText(inlineTag).waitFor({ state: "visible" });
  await t.screenshot("customers-07b-tags");
  await t.goto("/customers/tags?tab=rules");
  await t.byTestId("tag-rules-table").waitFor({ state: "visible" });
  await t.screenshot("customers-07c-tag-rules");
  await t.goto("/customers/merge-review");
  await t.byTestId("page-title").waitFor({ state: "visible" });
  // The merge rule is a tenant setting: switch it and read it back from the server.
  await t.byTestId("merge-rule").click();
  await t.page.getByText("两者都保留（保留主档的值）").click();
  await t.page.getByText("合并规则已保存").waitFor({ state: "visible" });
  const rule = await t.page.evaluate(async () => {
    const res = await fetch("/api/settings/customers", {
      headers: { Authorization: `Bearer ${localStorage.getItem("siyu.token")}` },
    });
    return ((await res.json()) as { mergeAttributes: string }).mergeAttributes;
  });
  check(rule === "keep_both", `merge rule should be saved as keep_both, got ${rule}`);
  await t.screenshot("customers-07d-merge-review");
  await t.goto("/");
  await t.byTestId("customer-stats").locator(".ant-statistic").first().waitFor({ state: "visible" });
  await t.screenshot("customers-07e-dashboard");

  // 7. Import a CSV with one bad phone.
  const dir = mkdtempSync(join(tmpdir(), "siyu-e2e-import-"));
  const csv = join(dir, "customers.csv");
  const importPhone = uniquePhone().replace(/^139/, "137");
  writeFileSync(
    csv,
    [
      "姓名,手机,邮箱,标签",
      `李导入${stamp},${importPhone},li${stamp}@example.com,导入测试`,
      `王坏号${stamp},12345,,导入测试`,
      `赵导入${stamp},+86 136-${importPhone.slice(3, 7)}-${importPhone.slice(7)},,导入测试`,
    ].join("\n"),
  );
  await t.goto("/customers/import");
  await t.byTestId("import-upload").waitFor({ state: "visible" });
  await t.screenshot("customers-08-import-upload");
  await t.page.locator('input[type="file"]').setInputFiles(csv);
  await t.byTestId("import-mapping").waitFor({ state: "visible" });
  await t.screenshot("customers-09-import-mapping");
  await t.byTestId("import-start").click();
  const progress = t.byTestId("import-progress");
  await progress.waitFor({ state: "visible" });
  await t.page.waitForSelector('[data-testid="import-progress"][data-status="completed"]', {
    timeout: 30_000,
  });
  const failed = ((await t.byTestId("import-failed").textContent()) ?? "").replace(/\D/g, "");
  check(failed === "1", `import should report 1 failed row, got "${failed}"`);
  await progress.getByTestId("import-errors").waitFor({ state: "visible" });
  await t.screenshot("customers-10-import-done");
});

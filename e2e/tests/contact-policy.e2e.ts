// Marketing guardrails in the console: the policy page under settings (recommended values, saved and
// read back), a customer's opt-outs on the 360 view (with the timeline entry), and the dashboard card.
import { check, test } from "../harness.ts";

async function api<T>(
  t: Parameters<Parameters<typeof test>[1]>[0],
  method: string,
  path: string,
  body?: unknown,
) {
  return t.page.evaluate(
    async ({ method, path, body }) => {
      const res = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${localStorage.getItem("siyu.token")}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await res.json()) as T;
    },
    { method, path, body },
  );
}

test("contact policy: settings, a customer's opt-out, the dashboard card", async (t) => {
  await t.login();
  await t.goto("/settings/contact-policy");
  await t.byTestId("contact-policy-table").waitFor({ state: "visible" });
  await t.page.getByText("填入推荐值").click();
  await t.byTestId("contact-policy-save").click();
  await t.page.getByText("触达策略已保存").waitFor({ state: "visible" });
  const saved = await api<{
    channels: Array<{ channel: string; perWeek: number | null; quietHours: unknown }>;
  }>(t, "GET", "/api/settings/contact-policy");
  const privateChannel = saved.channels.find((c) => c.channel === "wecom_private");
  check(privateChannel?.perWeek === 5, `recommended 7-day cap saved, got ${JSON.stringify(privateChannel)}`);
  await t.screenshot("contact-policy-01-settings");

  const customer = await api<{ id: string }>(t, "POST", "/api/customers", { name: "退订测试客户" });
  await t.goto(`/customers/${customer.id}`);
  await t.byTestId("contact-prefs-edit").click();
  await t.page.getByRole("checkbox", { name: "企微客户群发" }).check();
  await t.page.getByPlaceholder("备注（如客户来电要求）").fill("电话里要求不再群发");
  await t.page.getByRole("button", { name: /确\s*定|OK/ }).click();
  await t.page.getByText("触达偏好已保存").waitFor({ state: "visible" });
  await t.byTestId("contact-prefs").getByText("员工操作").waitFor({ state: "visible" });
  await t.page.getByText("退订营销触达").first().waitFor({ state: "visible" });
  const prefs = await api<{ optOuts: Array<{ channel: string }> }>(
    t,
    "GET",
    `/api/customers/${customer.id}/contact-preferences`,
  );
  check(
    prefs.optOuts.map((o) => o.channel).join() === "wecom_mass",
    `opt-out saved, got ${JSON.stringify(prefs)}`,
  );
  await t.screenshot("contact-policy-02-customer");

  await api(t, "POST", "/api/contact-policy/decide", { customerIds: [customer.id], channel: "wecom_mass" });
  await t.goto("/");
  await t.byTestId("contact-stats").locator(".ant-statistic").first().waitFor({ state: "visible" });
  await t.screenshot("contact-policy-03-dashboard");
});

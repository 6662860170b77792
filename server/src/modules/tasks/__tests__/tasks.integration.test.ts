import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { insertTask } from "../index.ts";

describe.each(dbKinds)("task inbox: source and staff of a task (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  let tenantId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token })).json().user.tenantId;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers what made each task and the WeCom member it is for", async () => {
    const [followUp, plain] = await t.siyu.platform.db.tenant(tenantId, async (s) => [
      await insertTask(s, {
        type: "task",
        title: "公众号消息：在吗",
        assignees: { userIds: [], roles: ["admin"] },
        source: "oa_message",
        sourceKey: "evt_x:lisi",
        staffUserid: "lisi",
      }),
      await insertTask(s, { type: "task", title: "手工待办", assignees: { userIds: [], roles: ["admin"] } }),
    ]);
    const items = (await t.call("GET", "/api/tasks?status=open&scope=all", { token })).json().items as Array<
      Record<string, unknown>
    >;
    expect(items.find((x) => x.id === followUp!.id)).toMatchObject({
      source: "oa_message",
      staffUserid: "lisi",
      flowInstanceId: null,
    });
    expect(items.find((x) => x.id === plain!.id)).toMatchObject({ source: "manual", staffUserid: null });
    const one = await t.call("GET", `/api/tasks/${followUp!.id}`, { token });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ source: "oa_message", staffUserid: "lisi" });
  });
});

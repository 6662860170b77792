import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../../testing/app-harness.ts";
import { dbKinds } from "../../../../testing/databases.ts";
import { importTuning } from "../process.ts";

describe.each(dbKinds)("imported customers feed the merge review queue (%s)", (kind) => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
    importTuning.batchSize = 5000;
  });

  it("queues same name + city and same name + company e-mail domain, within a batch, across batches and against existing customers", async () => {
    const api = await t.call("POST", "/api/customers", {
      token,
      body: { name: "张伟", phone: "13977770001", attributes: { city: "上海" } },
    });
    expect(api.statusCode, api.body).toBe(201);
    const csv = [
      "name,phone,email,city",
      "张伟,13977770002,,上海", // matches the API customer by name + city
      "李娜,13977770003,li.na@acme.cn,", // these two by name + company domain (same batch)
      "李娜,13977770004,lina@acme.cn,",
      "王芳,13977770005,wf1@qq.com,", // a public mail domain says nothing
      "王芳,13977770006,wf2@qq.com,",
      "赵敏,13977770007,,北京",
      "赵敏,13977770008,,广州", // same name, other city
      "李娜,13977770009,na.li@acme.cn,", // next batch: matches both 李娜 of the first
    ].join("\n");
    const up = await t.app.inject({
      method: "POST",
      url: "/api/imports",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      payload: csv,
    });
    const id = up.json().id as string;
    await t.call("PUT", `/api/imports/${id}`, {
      token,
      body: { mapping: { name: "name", phone: "phone", email: "email", city: "attr.city" } },
    });
    importTuning.batchSize = 7;
    expect((await t.call("POST", `/api/imports/${id}/start`, { token })).statusCode).toBe(202);
    const until = Date.now() + 30_000;
    for (;;) {
      const body = (await t.call("GET", `/api/imports/${id}`, { token })).json();
      if (body.status === "completed") break;
      if (body.status === "failed" || Date.now() > until) throw new Error(JSON.stringify(body));
      await new Promise((r) => setTimeout(r, 100));
    }

    const queue = await t.call("GET", "/api/merge-candidates?limit=100", { token });
    expect(queue.statusCode).toBe(200);
    const pairs = (
      queue.json().items as Array<{ reason: string; customers: Array<{ name: string; phone: string }> }>
    )
      .map(
        (c) =>
          `${c.reason}: ${c.customers
            .map((x) => x.phone.slice(-2))
            .sort()
            .join("+")}`,
      )
      .sort();
    expect(pairs).toEqual([
      "same name and city: 01+02",
      "same name and e-mail domain: 03+04",
      "same name and e-mail domain: 03+09",
      "same name and e-mail domain: 04+09",
    ]);
  });
});

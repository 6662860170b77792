import type { TestApp } from "./app-harness.ts";

/**
 * What the cross-tenant suite needs to know about each kind of tenant object (`config.resource` of
 * a route): how to create one in tenant A (returning its id), and a valid body for every route
 * that takes one. A new route with `:id` and no entry here fails the suite, so coverage grows
 * with the routes.
 */
export interface ResourceFixture {
  create(t: TestApp, token: string): Promise<string>;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

async function json(res: { statusCode: number; body: string; json(): unknown }, expected: number) {
  if (res.statusCode !== expected) throw new Error(`fixture call answered ${res.statusCode}: ${res.body}`);
  return res.json() as Record<string, unknown>;
}

/**
 * Rows that only arrive from outside (the WeCom mirror, WeChat's answers, flow steps, engine rules),
 * written as the jobs that make them would; never by POST. Each gets a fresh customer of tenant A.
 */
async function wecomRow(
  t: TestApp,
  token: string,
  sql: (customerId: string, id: string) => [string, unknown[]],
) {
  const me = await json(await t.call("GET", "/api/auth/me", { token }), 200);
  const tenantId = (me.user as { tenantId: string }).tenantId;
  const customer = await json(
    await t.call("POST", "/api/customers", { token, body: { name: "A 的企微客户" } }),
    201,
  );
  const id = `w${unique()}`;
  const [text, params] = sql(customer.id as string, id);
  await t.siyu.platform.db.tenant(tenantId, (s) => s.query(text, params));
  return id;
}

export const resourceFixtures: Record<string, ResourceFixture> = {
  user: {
    async create(t, token) {
      const body = {
        email: `u${unique()}@a.example.com`,
        password: "Fixture-Passw0rd",
        name: "Fixture",
        roles: ["agent"],
      };
      return (await json(await t.call("POST", "/api/users", { token, body }), 201)).id as string;
    },
  },
  api_key: {
    async create(t, token) {
      const body = { name: `k${unique()}`, scopes: ["customers.read"] };
      return (await json(await t.call("POST", "/api/api-keys", { token, body }), 201)).id as string;
    },
  },
  wecom_contact: {
    create: (t, token) =>
      wecomRow(t, token, (customerId, id) => [
        "insert into wecom_contacts (tenant_id, external_userid, customer_id, name) values (current_setting('app.tenant_id'), $1, $2, 'A')",
        [id, customerId],
      ]),
  },
  wecom_staff: {
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        "insert into wecom_staff (tenant_id, userid, name) values (current_setting('app.tenant_id'), $1, 'A 的员工')",
        [id],
      ]),
  },
  wecom_group: {
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        "insert into wecom_groups (tenant_id, chat_id, name) values (current_setting('app.tenant_id'), $1, 'A 的群')",
        [id],
      ]),
  },
  wecom_mass_message: {
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        "insert into wecom_mass_messages (id, tenant_id, name, text, target) values ($1, current_setting('app.tenant_id'), 'A 的群发', 'hi', '{}')",
        [id],
      ]),
  },
  wecom_moment: {
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        "insert into wecom_moment_tasks (id, tenant_id, text) values ($1, current_setting('app.tenant_id'), 'A 的朋友圈')",
        [id],
      ]),
  },
  wecom_transfer: {
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        "insert into wecom_transfers (id, tenant_id, kind, handover_userid, takeover_userid) values ($1, current_setting('app.tenant_id'), 'onjob', 'a1', 'a2')",
        [id],
      ]),
  },
  customer: {
    async create(t, token) {
      const body = { name: "A 的客户", phone: `139${String(counter++).padStart(8, "0")}`, tags: ["A-only"] };
      return (await json(await t.call("POST", "/api/customers", { token, body }), 201)).id as string;
    },
  },
  tag: {
    async create(t, token) {
      return (
        await json(await t.call("POST", "/api/tags", { token, body: { name: `tag-${unique()}` } }), 201)
      ).id as string;
    },
  },
  merge: {
    async create(t, token) {
      const a = await json(
        await t.call("POST", "/api/customers", {
          token,
          body: { name: "M1", email: `m1${unique()}@a.example.com` },
        }),
        201,
      );
      const b = await json(
        await t.call("POST", "/api/customers", {
          token,
          body: { name: "M2", email: `m2${unique()}@a.example.com` },
        }),
        201,
      );
      const merged = await json(
        await t.call("POST", `/api/customers/${a.id}/merge`, { token, body: { sourceId: b.id } }),
        200,
      );
      return merged.mergeId as string;
    },
  },
  merge_candidate: {
    async create(t, token) {
      const name = `同名${unique()}`;
      for (const _ of [1, 2]) {
        await json(
          await t.call("POST", "/api/customers", { token, body: { name, attributes: { city: "杭州" } } }),
          201,
        );
      }
      const list = await json(await t.call("GET", "/api/merge-candidates", { token }), 200);
      return ((list.items as Array<{ id: string }>)[0] as { id: string }).id;
    },
  },
  tag_group: {
    async create(t, token) {
      return (
        await json(await t.call("POST", "/api/tag-groups", { token, body: { name: `组${unique()}` } }), 201)
      ).id as string;
    },
  },
  tag_rule: {
    async create(t, token) {
      const body = { name: "A 的规则", tag: `rule-${unique()}`, expression: 'tag("A-only")' };
      return (await json(await t.call("POST", "/api/tag-rules", { token, body }), 201)).id as string;
    },
  },
  custom_field: {
    async create(t, token) {
      const body = { key: `f_${unique()}`.replace(/[^a-z0-9_]/g, "_"), label: "A 的字段", type: "text" };
      return (await json(await t.call("POST", "/api/custom-fields", { token, body }), 201)).id as string;
    },
  },
  session: {
    async create(t, token) {
      const list = await json(await t.call("GET", "/api/auth/sessions", { token }), 200);
      return ((list.items as Array<{ id: string }>)[0] as { id: string }).id;
    },
  },
  segment: {
    async create(t, token) {
      const body = {
        name: `seg ${unique()}`,
        expression: 'tag("VIP") OR attr.city = "上海"',
        kind: "snapshot",
      };
      const res = await t.call("POST", "/api/segments", { token, body });
      // Until the customers module registers the segment routes, no route names a segment.
      if (res.statusCode === 404 && res.json<{ error: { code: string } }>().error.code === "route_not_found")
        return "seg_unregistered";
      return (await json(res, 201)).id as string;
    },
  },
  import: {
    async create(t, token) {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/imports",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
        payload: "name,phone\nA 的导入,13900000000\n",
      });
      return (await json(res, 201)).id as string;
    },
  },
  quick_reply: {
    async create(t, token) {
      const body = { title: "A 的话术", content: "您好，这是 A 的话术", keywords: ["A-only"] };
      return (await json(await t.call("POST", "/api/quick-replies", { token, body }), 201)).id as string;
    },
  },
  quick_reply_group: {
    async create(t, token) {
      const body = { name: `A 的分组${unique()}` };
      return (await json(await t.call("POST", "/api/quick-replies/groups", { token, body }), 201))
        .id as string;
    },
  },
  live_code: {
    // Creating one through the API needs WeCom; the row is what POST /api/live-codes writes.
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        `insert into live_codes (id, tenant_id, name, state, link_code, config_id, staff_user_ids, active_user_ids)
         values ($1, current_setting('app.tenant_id'), 'A 的活码', $1, $2, $1, '{zhangsan}', '{zhangsan}')`,
        [`lc_${id}`.slice(0, 30), id.slice(-10).padStart(10, "0")],
      ]).then((id) => `lc_${id}`.slice(0, 30)),
  },
  flow: {
    async create(t, token) {
      const body = { name: "A 的流程", definition: { nodes: [], edges: [] } };
      return (await json(await t.call("POST", "/api/flows", { token, body }), 201)).id as string;
    },
  },
  flow_instance: {
    async create(t, token) {
      const definition = {
        nodes: [
          { id: "t", type: "trigger", params: { event: "manual" } },
          { id: "w", type: "wait", params: { duration: "PT1H" } },
          { id: "e", type: "end", params: {} },
        ],
        edges: [
          { from: "t", to: "w" },
          { from: "w", to: "e" },
        ],
      };
      const flow = await json(
        await t.call("POST", "/api/flows", { token, body: { name: "A 的实例", definition } }),
        201,
      );
      await json(await t.call("POST", `/api/flows/${flow.id}/publish`, { token }), 200);
      return (await json(await t.call("POST", `/api/flows/${flow.id}/instances`, { token, body: {} }), 201))
        .id as string;
    },
  },
  task: {
    async create(t, token) {
      const definition = {
        nodes: [
          { id: "t", type: "trigger", params: { event: "manual" } },
          { id: "a", type: "approval", params: { assignee: { role: "admin" }, title: "A 的审批" } },
          { id: "e", type: "end", params: {} },
        ],
        edges: [
          { from: "t", to: "a" },
          { from: "a", to: "e", when: "approved" },
          { from: "a", to: "e", when: "rejected" },
        ],
      };
      const flow = await json(
        await t.call("POST", "/api/flows", { token, body: { name: "A 的审批", definition } }),
        201,
      );
      await json(await t.call("POST", `/api/flows/${flow.id}/publish`, { token }), 200);
      const inst = await json(
        await t.call("POST", `/api/flows/${flow.id}/instances`, { token, body: {} }),
        201,
      );
      const tasks = await json(await t.call("GET", "/api/tasks?status=open", { token }), 200);
      return (tasks.items as Array<{ id: string; flowInstanceId: string }>).find(
        (x) => x.flowInstanceId === inst.id,
      )!.id;
    },
  },
  group_live_code: {
    async create(t, token) {
      const chatId = await wecomRow(t, token, (_customerId, id) => [
        "insert into wecom_groups (tenant_id, chat_id, name) values (current_setting('app.tenant_id'), $1, 'A 的群码群')",
        [id],
      ]);
      const body = { name: "A 的群活码", chats: [{ chatId }] };
      return (await json(await t.call("POST", "/api/group-live-codes", { token, body }), 201)).id as string;
    },
  },
  oa_qr_code: {
    // Creating one through the API asks WeChat for a ticket; the row is what POST /api/oa-qr-codes writes.
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        `insert into oa_qr_codes (id, tenant_id, app_id, name, scene, permanent, ticket, url, image_url)
         values ($1, current_setting('app.tenant_id'), '', 'A 的公众号码', $1, true, $1,
                 'http://weixin.qq.com/q/a', 'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=a')`,
        [`oqr_${id}`],
      ]).then((id) => `oqr_${id}`),
  },
  coupon_grant: {
    // Issued by a flow's coupon step, never by POST.
    create: (t, token) =>
      wecomRow(t, token, (customerId, id) => [
        `insert into coupon_grants (id, tenant_id, customer_id, title, amount_fen, ref)
         values ($1, current_setting('app.tenant_id'), $2, 'A 的券', 500, $1)`,
        [`cpg_${id}`, customerId],
      ]).then((id) => `cpg_${id}`),
  },
  oa_sync_run: {
    // POST /api/official-account/sync starts a job that calls WeChat; the row is what it writes first.
    create: (t, token) =>
      wecomRow(t, token, (_customerId, id) => [
        "insert into oa_sync_runs (id, tenant_id, kind, app_id) values ($1, current_setting('app.tenant_id'), 'followers', '')",
        [`osr_${id}`],
      ]).then((id) => `osr_${id}`),
  },
  oa_auto_reply: {
    async create(t, token) {
      const body = { keyword: `A${unique()}`, reply: { type: "text", content: "A 的回复" } };
      return (await json(await t.call("POST", "/api/official-account/auto-replies", { token, body }), 201))
        .id as string;
    },
  },
  oa_template: {
    async create(t, token) {
      const body = { templateId: `tplA${unique()}`, title: "A 的模板" };
      return (await json(await t.call("POST", "/api/official-account/templates", { token, body }), 201))
        .id as string;
    },
  },
  oa_menu: {
    async create(t, token) {
      const body = {
        name: "A 的菜单",
        tag: null,
        buttons: [{ name: "官网", type: "view", url: "https://a.example.com" }],
      };
      return (await json(await t.call("POST", "/api/official-account/menus", { token, body }), 201))
        .id as string;
    },
  },
  content_article: {
    async create(t, token) {
      const body = { title: "A 的文章", url: "https://a.example.com/article" };
      return (await json(await t.call("POST", "/api/content/articles", { token, body }), 201)).id as string;
    },
  },
  engagement_rule: {
    async create(t, token) {
      const body = { kind: "oa_message_followup", name: "A 的规则", keyword: "A" };
      return (await json(await t.call("POST", "/api/engagement/rules", { token, body }), 201)).id as string;
    },
  },
  follow_up: {
    // A task made by an engagement rule when a follower writes to the OA (follow-ups are tasks), never by POST.
    create: (t, token) =>
      wecomRow(t, token, (customerId, id) => [
        `insert into tasks (id, tenant_id, type, title, customer_id, assignee_roles, source, source_key)
         values ($1, current_setting('app.tenant_id'), 'task', 'A 的跟进', $2, '{admin}', 'oa_message', $1)`,
        [`tsk_${id}`, customerId],
      ]).then((id) => `tsk_${id}`),
  },
};

/** Valid bodies for routes that take one, keyed `METHOD url`. */
export const sampleBodies: Record<string, unknown> = {
  "PATCH /api/users/:id": { name: "Renamed" },
  "PUT /api/wecom/staff/:userid/user": { userId: null },
  "POST /api/users/:id/password": { password: "An0ther-Passw0rd" },
  "PATCH /api/customers/:id": { name: "B was here" },
  "POST /api/customers/:id/tags": { tags: ["from-b"] },
  "PUT /api/customers/:id/contact-preferences": { optOuts: ["all"] },
  "POST /api/customers/:id/merge": { sourceId: "cus_00000000000000000000000000" },
  "PATCH /api/tags/:id": { name: "renamed-by-b" },
  "PUT /api/segments/:id": { name: "renamed-by-b", expression: 'tag("from-b")', kind: "dynamic" },
  "PATCH /api/custom-fields/:id": { label: "B" },
  "PUT /api/imports/:id": { mapping: { name: "name" } },
  "PATCH /api/tag-rules/:id": { enabled: false },
  "PATCH /api/tag-groups/:id": { name: "B 的组" },
  "PATCH /api/quick-replies/:id": { title: "B was here" },
  "POST /api/quick-replies/:id/use": {},
  "PATCH /api/quick-replies/groups/:id": { name: "B 的分组" },
  "PUT /api/wecom/contacts/:externalUserId/remark": { userid: "zhangsan", remark: "B was here" },
  "PATCH /api/live-codes/:id": { name: "B was here" },
  "POST /api/live-codes/:id/spend": { periodStart: "2026-11-01", periodEnd: "2026-11-30", amountFen: 100 },
  "PUT /api/flows/:id": { definition: { nodes: [], edges: [] } },
  "POST /api/flows/:id/validate": {},
  "POST /api/flows/:id/instances": {},
  "POST /api/flows/:id/dry-run": {},
  "POST /api/flows/:id/migrate/preview": { toVersion: 1 },
  "POST /api/flows/:id/migrate": { toVersion: 1 },
  "POST /api/tasks/:id/complete": { outcome: "approved" },
  "PATCH /api/group-live-codes/:id": { name: "B was here" },
  "PATCH /api/oa-qr-codes/:id": { name: "B was here" },
  "POST /api/oa-qr-codes/:id/spend": { periodStart: "2026-11-01", periodEnd: "2026-11-30", amountFen: 100 },
  "PUT /api/official-account/auto-replies/:id": { keyword: "B", reply: { type: "text", content: "B" } },
  "PUT /api/official-account/menus/:id": {
    name: "B 的菜单",
    tag: null,
    buttons: [{ name: "B", type: "view", url: "https://b.example.com" }],
  },
  "PUT /api/content/articles/:id": { title: "B was here", url: "https://b.example.com" },
  "PUT /api/engagement/rules/:id": { kind: "oa_message_followup", name: "B was here" },
};

/** Routes with path parameters that name no tenant object, and why. */
export const globalParamRoutes: Record<string, string> = {
  "PUT /api/roles/:role": "role names are the same in every tenant",
  "POST /api/system/dead-letters/:id/retry": "dead letters are platform-wide, platform admins only",
  "GET /api/flow-templates/:key": "built-in template keys, the same in every tenant",
  "POST /api/flow-templates/:key/install":
    "built-in template keys, the same in every tenant (installs into the caller's tenant)",
  "GET /api/channels/:type/:id/stats":
    "names a live code or OA QR code by (type, id); its own assertion in tenancy.integration.test.ts",
};

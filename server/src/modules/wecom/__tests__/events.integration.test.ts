import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Siyu, startSiyu } from "../../../boot.ts";
import { type FakeWecom, startFakeWecom } from "../../../connectors/wecom/fake-wecom.fixture.ts";
import { adminEmail, adminPassword, startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds, freshDatabase } from "../../../testing/databases.ts";
import { waitFor } from "../../../testing/wecom-world.ts";
import { signedEvent, type TestCorp } from "./callbacks.ts";

const corp: TestCorp = {
  corpId: "wwEventsCorp01",
  token: "EventToken123",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
};

/** A small WeCom directory served by the fake: the answers `externalcontact/get` and the tag list give. */
function serveDirectory(fake: FakeWecom) {
  const contacts = new Map<string, Record<string, unknown>>();
  fake.route("externalcontact/get", (hit) => {
    const found = contacts.get(hit.query.external_userid ?? "");
    if (!found) return { errcode: 84061, errmsg: "not external contact" };
    return found;
  });
  fake.route("externalcontact/get_corp_tag_list", () => ({
    tag_group: [
      {
        group_id: "etGroupLevel",
        group_name: "客户等级",
        tag: [
          { id: "etVip", name: "VIP" },
          { id: "etNew", name: "新客" },
        ],
      },
    ],
  }));
  return contacts;
}

function contactAnswer(ext: string, name: string, tags: Array<[string, string]>, unionid?: string) {
  return {
    external_contact: { external_userid: ext, name, type: 1, gender: 2, ...(unionid ? { unionid } : {}) },
    follow_user: [
      {
        userid: "zhangsan",
        remark: "老客户",
        description: "",
        createtime: 1_700_000_000,
        state: "ch_spring",
        add_way: 1,
        tags: tags.map(([id, tagName]) => ({
          group_name: "客户等级",
          tag_name: tagName,
          tag_id: id,
          type: 1,
        })),
      },
    ],
  };
}

async function settle(siyu: Siyu, inboxCount: number) {
  await waitFor("event tasks", async () => {
    const rows = await siyu.platform.db.query<{ n: number }>(
      "select count(*)::int as n from wecom_event_tasks where status in ('done', 'ignored', 'failed')",
    );
    return (rows[0]?.n ?? 0) >= inboxCount;
  });
}

describe.each(dbKinds)("WeCom events become customers (%s)", (kind) => {
  let t: TestApp;
  let fake: FakeWecom;
  let owner: string;
  let tenantId: string;
  let contacts: Map<string, Record<string, unknown>>;

  const deliver = async (fields: Record<string, string>) => {
    const ev = signedEvent(corp, fields);
    return t.call("POST", `/callbacks/wecom/${tenantId}?${ev.query}`, {
      headers: { "content-type": "text/xml" },
      body: ev.body,
    });
  };
  const inboxTotal = async () =>
    (await t.siyu.platform.db.query<{ n: number }>("select count(*)::int as n from inbox"))[0]?.n ?? 0;

  beforeAll(async () => {
    fake = await startFakeWecom({ secrets: ["app-secret", "contact-secret"] });
    contacts = serveDirectory(fake);
    t = await startTestApp(kind);
    owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    const res = await t.call("PUT", "/api/settings/wecom", {
      token: owner,
      body: {
        corpId: corp.corpId,
        agentId: 1000002,
        secret: "app-secret",
        contactSecret: "contact-secret",
        callbackToken: corp.token,
        encodingAesKey: corp.encodingAesKey,
        apiBase: fake.url,
      },
    });
    expect(res.statusCode).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it("add_external_contact → a customer with both identities, tags and one timeline entry, even if delivered 3 times", async () => {
    const ext = "wmCustomerAAAA0001";
    contacts.set(ext, contactAnswer(ext, "王小美", [["etVip", "VIP"]], "unionid-0001"));
    const fields = {
      CreateTime: "1700000100",
      Event: "change_external_contact",
      ChangeType: "add_external_contact",
      UserID: "zhangsan",
      ExternalUserID: ext,
      State: "ch_spring",
      WelcomeCode: "WC1",
    };
    for (let i = 0; i < 3; i++) {
      const res = await deliver(fields);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe("");
    }
    await settle(t.siyu, await inboxTotal());
    const list = await t.call("GET", "/api/customers?limit=50", { token: owner });
    const items = list.json().items as Array<{ id: string; name: string }>;
    const mine = items.filter((c) => c.name === "王小美");
    expect(mine).toHaveLength(1);
    const id = mine[0]!.id;
    const c = (await t.call("GET", `/api/customers/${id}`, { token: owner })).json();
    expect(c.identities).toEqual(
      expect.arrayContaining([
        { type: "wecom_external_userid", value: ext, scope: corp.corpId },
        { type: "unionid", value: "unionid-0001" },
      ]),
    );
    expect(c.tags.map((x: { name: string }) => x.name)).toEqual(["VIP"]);
    expect(c.source).toBe("wecom");
    const timeline = (
      await t.call("GET", `/api/customers/${id}/timeline?limit=100`, { token: owner })
    ).json();
    const added = timeline.items.filter((e: { type: string }) => e.type === "wecom.contact_added");
    expect(added).toHaveLength(1);
    expect(added[0].data).toMatchObject({
      wecomUserid: "zhangsan",
      state: "ch_spring",
      hasWelcomeCode: true,
    });
    const follows = await t.siyu.platform.db.query<{ userid: string; remark: string; state: string }>(
      "select userid, remark, state from wecom_follows where external_userid = $1",
      [ext],
    );
    expect(follows).toEqual([{ userid: "zhangsan", remark: "老客户", state: "ch_spring" }]);
    expect(fake.hitsOf("externalcontact/get")).toHaveLength(1);
  });

  it("edit_external_contact with changed tags adds and removes Siyu tags; del_follow_user is churn with an alert", async () => {
    const ext = "wmCustomerAAAA0001";
    contacts.set(ext, contactAnswer(ext, "王小美", [["etNew", "新客"]], "unionid-0001"));
    await deliver({
      CreateTime: "1700000200",
      Event: "change_external_contact",
      ChangeType: "edit_external_contact",
      UserID: "zhangsan",
      ExternalUserID: ext,
    });
    await settle(t.siyu, await inboxTotal());
    await deliver({
      CreateTime: "1700000300",
      Event: "change_external_contact",
      ChangeType: "del_follow_user",
      UserID: "zhangsan",
      ExternalUserID: ext,
    });
    await settle(t.siyu, await inboxTotal());
    const [row] = await t.siyu.platform.db.query<{ customer_id: string }>(
      "select customer_id from wecom_contacts where external_userid = $1",
      [ext],
    );
    const c = (await t.call("GET", `/api/customers/${row!.customer_id}`, { token: owner })).json();
    expect(c.tags.map((x: { name: string }) => x.name)).toEqual(["新客"]);
    const timeline = (
      await t.call("GET", `/api/customers/${row!.customer_id}/timeline?limit=100`, { token: owner })
    ).json();
    const types = timeline.items.map((e: { type: string }) => e.type);
    expect(types).toContain("wecom.contact_edited");
    expect(types).toContain("wecom.contact_deleted_staff");
    expect(types).toContain("customer.tag_removed");
    const [follow] = await t.siyu.platform.db.query<{ ended_by: string; deleted_at: Date | null }>(
      "select ended_by, deleted_at from wecom_follows where external_userid = $1",
      [ext],
    );
    expect(follow?.ended_by).toBe("customer_deleted");
    expect(follow?.deleted_at).not.toBeNull();
    const alerts = await t.call("GET", "/api/wecom/alerts", { token: owner });
    expect(alerts.statusCode).toBe(200);
    expect(alerts.json().items).toEqual([
      expect.objectContaining({
        kind: "churn",
        customerId: row!.customer_id,
        data: expect.objectContaining({ staffUserid: "zhangsan" }),
      }),
    ]);
  });

  it("tag events re-read the corp tag list; unknown events are stored and visible as ignored", async () => {
    await deliver({
      CreateTime: "1700000400",
      Event: "change_external_tag",
      ChangeType: "create",
      Id: "etNew",
      TagType: "tag",
    });
    await deliver({ CreateTime: "1700000401", Event: "some_future_event", ChangeType: "whatever" });
    await settle(t.siyu, await inboxTotal());
    const mapped = await t.siyu.platform.db.query<{ wecom_id: string; siyu_tag_id: string | null }>(
      "select wecom_id, siyu_tag_id from wecom_corp_tags where kind = 'tag' and deleted_at is null order by wecom_id",
    );
    expect(mapped.map((m) => m.wecom_id)).toEqual(["etNew", "etVip"]);
    expect(mapped.every((m) => m.siyu_tag_id)).toBe(true);
    const events = (await t.call("GET", "/api/wecom/events?limit=100", { token: owner })).json();
    expect(events.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "some_future_event.whatever", status: "ignored" }),
      ]),
    );
    expect(events.items.filter((e: { status: string }) => e.status === "failed")).toEqual([]);
  });
});

describe.each(dbKinds)("a callback acked before a crash is processed once after restart (%s)", (kind) => {
  it("stores on an API-only process, then a worker started on the same database processes it exactly once", async () => {
    const fake = await startFakeWecom({ secrets: ["app-secret", "contact-secret"] });
    const contacts = serveDirectory(fake);
    const fresh = await freshDatabase(kind, { migrated: true });
    const dataDir = mkdtempSync(join(tmpdir(), "siyu-test-"));
    const env = {
      SIYU_DATA_DIR: dataDir,
      SIYU_ADMIN_EMAIL: adminEmail,
      SIYU_ADMIN_PASSWORD: adminPassword,
      SIYU_DEMO: "0",
      SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "silent",
      ...(fresh.url ? { DATABASE_URL: fresh.url } : {}),
    };
    const ext = "wmCrashAAAA0001";
    contacts.set(ext, contactAnswer(ext, "重启客户", [["etVip", "VIP"]]));
    try {
      // First life: acks and stores, but has no workers — like a kill -9 right after the ack.
      const first = await startSiyu({ db: fresh.db, env: { ...env, SIYU_ROLE: "api" } });
      const app = first.app!;
      const login = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { email: adminEmail, password: adminPassword },
      });
      const token = login.json().token as string;
      const auth = { authorization: `Bearer ${token}` };
      const me = await app.inject({ method: "GET", url: "/api/auth/me", headers: auth });
      const tenantId = me.json().user.tenantId as string;
      const put = await app.inject({
        method: "PUT",
        url: "/api/settings/wecom",
        headers: auth,
        payload: {
          corpId: corp.corpId,
          agentId: "1",
          secret: "app-secret",
          contactSecret: "contact-secret",
          callbackToken: corp.token,
          encodingAesKey: corp.encodingAesKey,
          apiBase: fake.url,
        },
      });
      expect(put.statusCode).toBe(200);
      const ev = signedEvent(corp, {
        CreateTime: "1700000500",
        Event: "change_external_contact",
        ChangeType: "add_external_contact",
        UserID: "lisi",
        ExternalUserID: ext,
      });
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({
          method: "POST",
          url: `/callbacks/wecom/${tenantId}?${ev.query}`,
          headers: { "content-type": "text/xml" },
          payload: ev.body,
        });
        expect(res.statusCode).toBe(200);
      }
      await first.stop();
      const stored = await fresh.db.query<{ processed_at: Date | null }>("select processed_at from inbox");
      expect(stored).toHaveLength(1);
      expect(stored[0]?.processed_at).toBeNull();
      expect(fake.hitsOf("externalcontact/get")).toHaveLength(0);

      // Second life on the same database, with workers.
      const second = await startSiyu({ db: fresh.db, env: { ...env, SIYU_ROLE: "all" } });
      try {
        await settle(second, 1);
        const customers = await fresh.db.query<{ customer_id: string }>(
          "select customer_id from wecom_contacts where external_userid = $1",
          [ext],
        );
        expect(customers).toHaveLength(1);
        const timeline = await fresh.db.query<{ n: number }>(
          "select count(*)::int as n from customer_events where customer_id = $1 and type = 'wecom.contact_added'",
          [customers[0]!.customer_id],
        );
        expect(timeline[0]?.n).toBe(1);
        expect(fake.hitsOf("externalcontact/get")).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      await fresh.drop();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

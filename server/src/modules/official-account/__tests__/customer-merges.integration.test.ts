import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";
import { applyFollowers } from "../ops/apply-followers.ts";

type Json = Record<string, unknown>;

/**
 * Followers and WeCom contacts follow their customer's merges (customer.merged subscribers of the
 * official-account and wecom modules): whichever way two profiles became one (by hand, or identity
 * resolution finding a unionid later), a template batch or mass message aimed at the survivor reaches
 * both, a customer's send list shows the sends to its merged profiles, and an undone merge gives each
 * row back.
 */
describe.each(dbKinds)("customer merges reach followers and WeCom contacts (%s)", (kind) => {
  const w = new OaWorld(kind, { wecom: true, settle: { queues: ["realtime", "automation", "outbound"] } });
  const { api, db, settle, simSendsTo } = w;
  const batchDone = (batchId: string) =>
    waitFor(`batch ${batchId} done`, async () => {
      const [b] = await db().query<{ status: string }>(
        "select status from oa_template_batches where id = $1",
        [batchId],
      );
      return b?.status === "done";
    });
  const sendTemplate = async (target: Json) => {
    const r = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_merge",
      data: { thing1: "会员日" },
      ...target,
    });
    expect(r.statusCode, r.body).toBe(202);
    await batchDone(r.json().id);
    return r.json() as Json & { id: string; total: number };
  };
  const contactOf = async (customerIdAtAdd: string) =>
    (
      await db().query<{ external_userid: string; customer_id: string }>(
        "select external_userid, customer_id from wecom_contacts where customer_id = $1",
        [customerIdAtAdd],
      )
    )[0]!;

  beforeAll(async () => {
    await w.open();
    await w.syncTemplate({ template_id: "tpl_merge", title: "会员通知", content: "{{thing1.DATA}}" });
  }, 180_000);
  afterAll(() => w.close(), 120_000);

  it("a follower's profile merged by hand into a WeCom contact's: a tag batch to the survivor reaches the follower; undo gives it back", async () => {
    const follower = await w.follow({});
    const contactCustomer = await w.addWecomContact(undefined, "合并客户");
    expect(contactCustomer).not.toBe(follower.customerId);
    const before = await sendTemplate({ customerIds: [follower.customerId] });
    expect(before.total).toBe(1);

    const merged = await api("POST", `/api/customers/${contactCustomer}/merge`, {
      sourceId: follower.customerId,
    });
    expect(merged.statusCode, merged.body).toBe(200);
    await waitFor(
      "follower on the survivor",
      async () => (await w.customerOf(follower.openid)) === contactCustomer,
    );

    // The survivor by tag: the follower is found through it (before the fix: no follower, skipped).
    expect(
      (await api("POST", `/api/customers/${contactCustomer}/tags`, { tags: ["合并会员"] })).statusCode,
    ).toBe(200);
    const after = await sendTemplate({ tag: "合并会员" });
    expect(after).toMatchObject({ total: 1, skipped: 0 });
    expect(await simSendsTo(follower.openid)).toHaveLength(2);

    // The survivor's send list: the send made to the merged profile and the one made to it.
    const list = await api("GET", `/api/official-account/template-sends?customerId=${contactCustomer}`);
    expect(list.statusCode, list.body).toBe(200);
    const rows = list.json().items as Json[];
    expect(rows.map((r) => r.batchId).sort()).toEqual([before.id, after.id].sort());
    expect(new Set(rows.map((r) => r.customerId))).toEqual(new Set([follower.customerId, contactCustomer]));
    // The merged-away profile's own list is its own sends only.
    const own = await api("GET", `/api/official-account/template-sends?customerId=${follower.customerId}`);
    expect((own.json().items as Json[]).map((r) => r.batchId)).toEqual([before.id]);

    // Undone: the follower goes back to its own profile, the contact stays.
    const merges = (await api("GET", `/api/merges?customerId=${contactCustomer}`)).json().items as Json[];
    const undo = await api("POST", `/api/merges/${merges[0]!.id}/undo`);
    expect(undo.statusCode, undo.body).toBeLessThan(300);
    await waitFor(
      "follower back on its profile",
      async () => (await w.customerOf(follower.openid)) === follower.customerId,
    );
    expect((await contactOf(contactCustomer)).customer_id).toBe(contactCustomer);
    // Every follower of merges handled the merge and both sides of the undo (a failing handler
    // records nothing and is retried).
    await waitFor("merge subscribers done", async () => {
      const rows = await db().query<{ subscriber: string; n: number }>(
        `select subscriber, count(*)::int as n from processed_events
          where subscriber = any($1::text[]) group by subscriber order by subscriber`,
        [["channels.customer-merged", "official-account.customer-merged", "wecom.customer-merged"]],
      );
      return rows.length === 3 && rows.every((r) => r.n === 3);
    });
  });

  it("identity resolution merges a WeCom contact's profile into a follower's: a mass message to the survivor finds the contact", async () => {
    const follower = await w.follow({});
    const contactCustomer = await w.addWecomContact("uMergeLater", "后来合并");
    const contact = await contactOf(contactCustomer);

    // A later user/info answer gives the follower the contact's unionid: the older profile (the
    // follower's) survives and the contact's is merged into it.
    const applied = await w.t.siyu.platform.db.tenant(w.tenantId, (s) =>
      applyFollowers(s, w.t.siyu.platform, {
        appId: w.account.appId,
        infos: [{ subscribe: 1, openid: follower.openid, unionid: "uMergeLater" }],
      }),
    );
    expect(applied[0]!.customerId).toBe(follower.customerId);
    await settle();
    await waitFor("contact on the survivor", async () => {
      const [c] = await db().query<{ customer_id: string }>(
        "select customer_id from wecom_contacts where external_userid = $1",
        [contact.external_userid],
      );
      return c?.customer_id === follower.customerId;
    });

    // The add's channel attribution names the survivor too.
    await waitFor("channel add on the survivor", async () => {
      const adds = await db().query<{ customer_id: string }>(
        "select customer_id from channel_adds where external_userid = $1",
        [contact.external_userid],
      );
      return adds.length > 0 && adds.every((a) => a.customer_id === follower.customerId);
    });

    const mass = await api("POST", "/api/wecom/mass-messages", {
      text: "会员日快乐",
      target: { customerIds: [follower.customerId] },
    });
    expect(mass.statusCode, mass.body).toBe(201);
    const recipients = await api(
      "GET",
      `/api/wecom/mass-messages/${mass.json().id}/recipients?customerId=${follower.customerId}`,
    );
    expect(recipients.statusCode, recipients.body).toBe(200);
    expect(recipients.json().items).toEqual([
      expect.objectContaining({ externalUserid: contact.external_userid, customerId: follower.customerId }),
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { WecomWorld, waitFor } from "../../../testing/wecom-world.ts";
import { reserve } from "../../contact-policy/index.ts";
import { createMassMessage, queueMassMessage } from "../index.ts";

const token = "SendTimeToken42";
const encodingAesKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut";
type Json = Record<string, unknown>;

/**
 * A WeCom mass message creates one task per sender, one after another: a customer who opts out while
 * an earlier sender's task is being created is left out of their own sender's task (`blocked`, with
 * the reason) and their reserved touch released; a flow's reservation for a customer refused at send
 * is released too.
 */
describe.each(dbKinds)("WeCom mass messages: the contact policy at send time (%s)", (kind) => {
  const w = new WecomWorld(kind);
  const { sim, db, contactsOf } = w;
  const simTasks = async () => (await sim("GET", `/corps/${w.corpId}/state`)).json.massMessages as Json[];
  const touches = (ref: string) =>
    db<{ customer_id: string }>(
      "select customer_id from contact_touches where channel = 'wecom_mass' and ref = $1 order by customer_id",
      [ref],
    );
  const message = async (id: string) =>
    (await w.t.call("GET", `/api/wecom/mass-messages/${id}`, { token: w.owner })).json();

  beforeAll(async () => {
    await w.open();
    const corpId = await w.connectCorp({
      corpName: "发送时策略",
      members: ["lisi", "zhangsan"].map((u) => ({
        userid: u,
        name: u,
        department: [1],
        customerContact: true,
      })),
      token,
      encodingAesKey,
    });
    for (const userid of ["lisi", "zhangsan"])
      expect((await sim("POST", `/corps/${corpId}/seed`, { count: 4, userids: [userid] })).status).toBe(200);
    await w.syncAll();
  }, 180_000);
  afterAll(() => w.close());

  it("a customer who opts out while an earlier sender's task is created is left out of their sender's task", async () => {
    const { t, owner, corpId } = w;
    const [l1, l2] = await contactsOf("lisi");
    const [z1, z2] = await contactsOf("zhangsan");
    // WeCom slow on the first task (lisi's: senders go in userid order).
    expect(
      (
        await sim("POST", `/corps/${corpId}/faults`, {
          api: "externalcontact/add_msg_template",
          delayMs: 4_000,
          times: 1,
        })
      ).status,
    ).toBe(201);
    const before = (await simTasks()).length;
    const created = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: { text: "周末活动", target: { customerIds: [l1, l2, z1, z2].map((c) => c!.customer_id) } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    await waitFor("sending", async () => (await message(id)).status === "sending");
    // All four were reserved when the job started; now z2 says 退订 (staff record it).
    expect((await touches(`wecom_mass:${id}`)).length).toBe(4);
    const put = await t.call("PUT", `/api/customers/${z2!.customer_id}/contact-preferences`, {
      token: owner,
      body: { optOuts: ["all"] },
    });
    expect(put.statusCode).toBe(200);

    const sent = await waitFor("sent", async () => {
      const m = await message(id);
      return m.status === "sent" ? m : undefined;
    });
    expect(sent.counts).toEqual({ not_sent: 3, blocked: 1 });
    const tasks = (await simTasks()).slice(before);
    expect(tasks).toHaveLength(2);
    const all = JSON.stringify(tasks);
    for (const c of [l1, l2, z1]) expect(all).toContain(c!.external_userid);
    expect(all).not.toContain(z2!.external_userid);
    const blocked = (
      await t.call("GET", `/api/wecom/mass-messages/${id}/recipients?status=blocked`, { token: owner })
    ).json().items as Json[];
    expect(blocked.map((r) => [r.customerId, r.policyReason])).toEqual([[z2!.customer_id, "opted_out"]]);
    expect((await touches(`wecom_mass:${id}`)).map((r) => r.customer_id)).not.toContain(z2!.customer_id);
    expect((await touches(`wecom_mass:${id}`)).length).toBe(3);
  });

  it("a recipient merged, after the message was made, into a profile that opted out is left out of the task", async () => {
    const { t, owner, tenantId } = w;
    const [, , z3, z4] = await contactsOf("zhangsan");
    const id = await t.siyu.platform.db.tenant(tenantId, (s) =>
      createMassMessage(
        s,
        t.siyu.platform,
        { email: "system:test" },
        {
          target: { customerIds: [z3!.customer_id, z4!.customer_id] },
          text: "合并之后",
          attachments: [],
        },
      ),
    );
    // Before it goes out: z3's profile is merged into one staff made, which has opted out (only the
    // source's opt-outs are copied to the survivor, so z3's own id has none).
    const made = await t.call("POST", "/api/customers", {
      token: owner,
      body: { name: "合并后的客户", phone: "13800009903" },
    });
    expect(made.statusCode, made.body).toBe(201);
    const survivor = made.json().id as string;
    const put = await t.call("PUT", `/api/customers/${survivor}/contact-preferences`, {
      token: owner,
      body: { optOuts: ["wecom_mass"] },
    });
    expect(put.statusCode, put.body).toBe(200);
    const merged = await t.call("POST", `/api/customers/${survivor}/merge`, {
      token: owner,
      body: { sourceId: z3!.customer_id },
    });
    expect(merged.statusCode, merged.body).toBe(200);

    const before = (await simTasks()).length;
    await queueMassMessage(t.siyu.platform, tenantId, id);
    const sent = await waitFor("sent", async () => {
      const m = await message(id);
      return m.status === "sent" ? m : undefined;
    });
    expect(sent.counts).toEqual({ not_sent: 1, blocked: 1 });
    const blocked = (
      await t.call("GET", `/api/wecom/mass-messages/${id}/recipients?status=blocked`, { token: owner })
    ).json().items as Json[];
    expect(blocked.map((r) => [r.customerId, r.policyReason])).toEqual([[z3!.customer_id, "opted_out"]]);
    const tasks = (await simTasks()).slice(before);
    expect(tasks).toHaveLength(1);
    expect(JSON.stringify(tasks)).toContain(z4!.external_userid);
    expect(JSON.stringify(tasks)).not.toContain(z3!.external_userid);
    // Neither profile keeps a touch for a message that did not reach them.
    expect((await touches(`wecom_mass:${id}`)).map((r) => r.customer_id)).toEqual([z4!.customer_id]);
  });

  it("a flow's reservation for a customer refused when the message is sent is released", async () => {
    const { t, owner, tenantId } = w;
    const [, , l3, l4] = await contactsOf("lisi");
    const ref = "flow:tok_test:1";
    // The flow's node reserved both (as the engine's guard does), then the message is created.
    const reserved = await reserve(t.siyu.platform.db, {
      tenantId,
      customerIds: [l3!.customer_id, l4!.customer_id],
      channel: "wecom_mass",
      purpose: "marketing",
      ref,
    });
    expect(reserved.allowed).toHaveLength(2);
    const id = await t.siyu.platform.db.tenant(tenantId, (s) =>
      createMassMessage(
        s,
        t.siyu.platform,
        { email: "system:flow:test" },
        {
          target: { customerIds: [l3!.customer_id, l4!.customer_id] },
          text: "流程消息",
          attachments: [],
          policyRef: ref,
          purpose: "marketing",
        },
      ),
    );
    // l4 opts out before the job runs.
    await t.call("PUT", `/api/customers/${l4!.customer_id}/contact-preferences`, {
      token: owner,
      body: { optOuts: ["wecom_mass"] },
    });
    await queueMassMessage(t.siyu.platform, tenantId, id);
    const sent = await waitFor("sent", async () => {
      const m = await message(id);
      return m.status === "sent" ? m : undefined;
    });
    expect(sent.counts).toEqual({ not_sent: 1, blocked: 1 });
    expect((await touches(ref)).map((r) => r.customer_id)).toEqual([l3!.customer_id]);
  });
});

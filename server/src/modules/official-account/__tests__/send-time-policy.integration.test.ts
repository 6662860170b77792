import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";
import { sendTemplateBatchJob } from "../ops/templates.ts";

type Json = Record<string, unknown>;

/**
 * A template batch is checked against the contact policy when it is created and again just before
 * each message goes out: a recipient who opts out in between (退订 to the account, or staff in the
 * UI) gets nothing from WeChat and is `skipped` with the reason; their reserved touch is released;
 * everyone else is sent once.
 */
describe.each(dbKinds)("OA template sends: the contact policy at send time (%s)", (kind) => {
  const w = new OaWorld(kind);
  const { osim, acct, db, api, settle, simSendsTo } = w;
  const follow = (unionid: string) => w.follow({ unionid });
  const sendRows = async (batchId: string) =>
    (await api("GET", `/api/official-account/template-sends?batchId=${batchId}`)).json().items as Json[];
  const finished = (batchId: string) =>
    waitFor("batch finished", async () => {
      const [b] = await db().query<{ status: string }>(
        "select status from oa_template_batches where id = $1",
        [batchId],
      );
      if (b?.status !== "done") return null;
      return sendRows(batchId);
    });
  const touches = (ref: string) =>
    db().query<{ customer_id: string }>(
      "select customer_id from contact_touches where channel = 'oa_template' and ref = $1 order by customer_id",
      [ref],
    );
  const hhmm = (m: number) => {
    const x = ((m % 1440) + 1440) % 1440;
    return `${String(Math.floor(x / 60)).padStart(2, "0")}:${String(x % 60).padStart(2, "0")}`;
  };
  const setQuietHours = async (on: boolean) => {
    const now = new Date();
    // The tenant's zone is the default, Asia/Shanghai (UTC+8, no daylight saving).
    const local = (now.getUTCHours() * 60 + now.getUTCMinutes() + 8 * 60) % 1440;
    const r = await api("PUT", "/api/settings/contact-policy", {
      channels: [
        {
          channel: "oa_template",
          perDay: null,
          perWeek: null,
          perMonth: null,
          perCalendarMonth: null,
          quietHours: on ? { start: hhmm(local - 60), end: hhmm(local + 60) } : null,
          transactionalExempt: true,
        },
      ],
    });
    expect(r.statusCode, r.body).toBe(200);
  };

  beforeAll(async () => {
    await w.open();
    await w.syncTemplate({ template_id: "tpl_late", title: "活动通知", content: "{{thing1.DATA}}" });
  }, 180_000);
  afterAll(() => w.close(), 120_000);

  it("a batch waiting for quiet hours: who opts out meanwhile (staff, or 退订) is skipped with the reason, the rest sent once", async () => {
    const { t, tenantId } = w;
    const a = await follow("uLateA");
    const b = await follow("uLateB");
    const c = await follow("uLateC");
    await setQuietHours(true);
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_late",
      customerIds: [a.customerId, b.customerId, c.customerId],
      data: { thing1: "晚间活动" },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    expect(sent.json()).toMatchObject({ total: 3, counts: { sending: 3 } });
    const batchId = sent.json().id as string;
    // All three hold a reservation; the job waits for quiet hours to end (an hour away).
    expect((await touches(`oa_template:${batchId}`)).length).toBe(3);

    // Meanwhile: staff opt B out in the UI, C replies 退订 to the account.
    const prefs = await api("PUT", `/api/customers/${b.customerId}/contact-preferences`, {
      optOuts: ["oa_template"],
      note: "客户电话要求",
    });
    expect(prefs.statusCode, prefs.body).toBe(200);
    expect(
      (await osim("POST", `${acct("/message")}?wait=1`, { openid: c.openid, content: "退订" })).status,
    ).toBe(200);
    await settle();
    await waitFor("C opted out", async () => {
      const p = (await api("GET", `/api/customers/${c.customerId}/contact-preferences`)).json();
      return (p.optOuts as Json[]).length > 0;
    });

    // Quiet hours over (here: lifted and the job run now, as its delayed run would).
    await setQuietHours(false);
    await t.siyu.platform.jobs.send(sendTemplateBatchJob, { tenantId, batchId }, { key: `${batchId}:now` });
    const rows = await finished(batchId);
    const byCustomer = new Map(rows.map((r) => [r.customerId, r]));
    expect(byCustomer.get(a.customerId)?.status).toMatch(/^(sent|success)$/);
    for (const x of [b, c])
      expect(byCustomer.get(x.customerId)).toMatchObject({
        status: "skipped",
        error: "contact policy at send: opted_out",
      });
    expect(await simSendsTo(a.openid)).toHaveLength(1);
    expect(await simSendsTo(b.openid)).toHaveLength(0);
    expect(await simSendsTo(c.openid)).toHaveLength(0);
    // The skipped ones' reservations are released; A's touch stays counted.
    expect((await touches(`oa_template:${batchId}`)).map((r) => r.customer_id)).toEqual([a.customerId]);
    const batch = ((await api("GET", "/api/official-account/template-batches")).json().items as Json[]).find(
      (x) => x.id === batchId,
    );
    expect(batch?.counts).toMatchObject({ skipped: 2 });
    const stats = (await api("GET", "/api/contact-policy/stats?days=2")).json();
    expect(stats.denied).toContainEqual({ reason: "opted_out", n: 2 });
  });

  it("a batch in flight (WeChat slow on the first message): who opts out before their turn gets nothing", async () => {
    const people = [await follow("uSlowA"), await follow("uSlowB"), await follow("uSlowC")];
    // The first template call answers after 5 s; the others at once.
    expect(
      (await osim("POST", acct("/faults"), { api: "message/template/send", delayMs: 5_000, times: 1 }))
        .status,
    ).toBe(201);
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_late",
      customerIds: people.map((p) => p.customerId),
      data: { thing1: "{{name}}，限时活动" },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const batchId = sent.json().id as string;
    // The job has taken the recipients (the first call is under way); the last in send order is not sent yet.
    const order = await waitFor("job started", async () => {
      const r = await db().query<{ id: string; customer_id: string; attempts: number }>(
        "select id, customer_id, attempts from oa_template_sends where batch_id = $1 order by id",
        [batchId],
      );
      return r.every((x) => x.attempts > 0) ? r : null;
    });
    const last = people.find((p) => p.customerId === order.at(-1)!.customer_id)!;
    const quit = await api("PUT", `/api/customers/${last.customerId}/contact-preferences`, {
      optOuts: ["all"],
    });
    expect(quit.statusCode, quit.body).toBe(200);
    const rows = await finished(batchId);
    expect(rows.find((r) => r.customerId === last.customerId)).toMatchObject({
      status: "skipped",
      error: "contact policy at send: opted_out",
    });
    for (const p of people) {
      if (p === last) expect(await simSendsTo(p.openid)).toHaveLength(0);
      else {
        expect(await simSendsTo(p.openid)).toHaveLength(1);
        expect(rows.find((r) => r.customerId === p.customerId)?.status).toMatch(/^(sent|success)$/);
      }
    }
    expect((await touches(`oa_template:${batchId}`)).map((r) => r.customer_id)).not.toContain(
      last.customerId,
    );
  });

  /** A profile outside the account (made by staff), to merge a follower into. */
  const staffProfile = async (name: string, phone: string) => {
    const r = await api("POST", "/api/customers", { name, phone });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };
  const merge = async (targetId: string, sourceId: string) => {
    const r = await api("POST", `/api/customers/${targetId}/merge`, { sourceId });
    expect(r.statusCode, r.body).toBe(200);
  };
  const eventsOf = (customerId: string, sendId: string) =>
    db().query<{ type: string }>(
      "select type from customer_events where customer_id = $1 and data->>'sendId' = $2 order by id",
      [customerId, sendId],
    );

  it("a recipient merged after the batch into a profile that opted out is skipped with the reason", async () => {
    const { t, tenantId } = w;
    const a = await follow("uMergeOptA");
    const survivor = await staffProfile("合并后的客户", "13800009901");
    const prefs = await api("PUT", `/api/customers/${survivor}/contact-preferences`, {
      optOuts: ["oa_template"],
    });
    expect(prefs.statusCode, prefs.body).toBe(200);
    await setQuietHours(true);
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_late",
      customerIds: [a.customerId],
      data: { thing1: "合并前的活动" },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    expect(sent.json()).toMatchObject({ total: 1, counts: { sending: 1 } });
    const batchId = sent.json().id as string;
    const ref = `oa_template:${batchId}`;

    // The follower's profile is merged into the staff one, which has opted out (only the source's
    // opt-outs are copied to the survivor, so the send's own customer id has none).
    await merge(survivor, a.customerId);
    // The merge subscriber copies the reservation to the survivor; wait for it, so both copies exist.
    await waitFor("reservation copied to the survivor", async () =>
      (await touches(ref)).some((r) => r.customer_id === survivor),
    );

    await setQuietHours(false);
    await t.siyu.platform.jobs.send(sendTemplateBatchJob, { tenantId, batchId }, { key: `${batchId}:now` });
    const rows = await finished(batchId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      customerId: a.customerId,
      status: "skipped",
      error: "contact policy at send: opted_out",
    });
    expect(await simSendsTo(a.openid)).toHaveLength(0);
    // Both profiles' touches under the batch's ref are released.
    expect(await touches(ref)).toEqual([]);
  });

  it("a recipient merged after the batch: the send and its result (TEMPLATESENDJOBFINISH) show on the survivor", async () => {
    const { t, tenantId, oa, account } = w;
    const b = await follow("uMergeResB");
    const survivor = await staffProfile("合并后的客户二", "13800009902");
    await setQuietHours(true);
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_late",
      customerIds: [b.customerId],
      data: { thing1: "合并后送达" },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const batchId = sent.json().id as string;
    await merge(survivor, b.customerId);

    await setQuietHours(false);
    await t.siyu.platform.jobs.send(sendTemplateBatchJob, { tenantId, batchId }, { key: `${batchId}:now` });
    const [row] = await finished(batchId);
    expect(row?.status).toMatch(/^(sent|success)$/);
    const sendId = row?.id as string;
    expect(await simSendsTo(b.openid)).toHaveLength(1);
    // WeChat's TEMPLATESENDJOBFINISH for the message: the send turns `success` and the result is a fact.
    await waitFor("template result on the survivor", async () => {
      await oa.sandbox.callbacks.flush(account.appId);
      await settle();
      const types = (await eventsOf(survivor, sendId)).map((e) => e.type);
      return types.includes("oa.template_send_finished") ? types : null;
    });
    expect((await eventsOf(survivor, sendId)).map((e) => e.type)).toEqual([
      "oa.template_sent",
      "oa.template_send_finished",
    ]);
    expect(await eventsOf(b.customerId, sendId)).toEqual([]);
    const timeline = await w.timeline(survivor);
    expect(
      timeline
        .filter((e) => e.data.sendId === sendId)
        .map((e) => e.type)
        .sort(),
    ).toEqual(["oa.template_send_finished", "oa.template_sent"]);
    const [send] = (await api("GET", `/api/official-account/template-sends?batchId=${batchId}`)).json()
      .items as Json[];
    expect(send?.status).toBe("success");
  });

  it("transactional sends on a channel that exempts them are not stopped by a marketing opt-out", async () => {
    const p = await follow("uTxn");
    await api("PUT", `/api/customers/${p.customerId}/contact-preferences`, { optOuts: ["all"] });
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_late",
      customerIds: [p.customerId],
      data: { thing1: "您的工单已完成" },
      purpose: "transactional",
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const batchId = sent.json().id as string;
    const rows = await finished(batchId);
    expect(rows[0]?.status).toMatch(/^(sent|success)$/);
    expect(await simSendsTo(p.openid)).toHaveLength(1);
  });
});

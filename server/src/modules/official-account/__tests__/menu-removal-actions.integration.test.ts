import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";

type Json = Record<string, unknown>;

/**
 * A deleted menu whose removal from WeChat failed can be acted on: retried (a fresh call through a new
 * stored step, never a replay of the stored refusal) or dismissed (forgotten in Siyu, audited).
 */
describe.each(dbKinds)("Official Account: retry or dismiss a failed menu removal (%s)", (kind) => {
  const w = new OaWorld(kind);
  const { osim, acct, db, api, menus } = w;
  const conditional = async () =>
    ((await w.simAccount()).conditionalMenus as Array<{ menuid: string }>).map((m) => m.menuid);
  const removal = async (id: string) =>
    (
      await db().query<{ removal: string | null; error: string | null; removal_retries: number }>(
        "select removal, error, removal_retries from oa_menus where id = $1",
        [id],
      )
    )[0];
  const steps = (id: string) =>
    db().query<{ step_key: string; result: Json }>(
      "select step_key, result from oa_action_steps where step_key like $1 order by created_at, step_key",
      [`menu-remove:${id}:%`],
    );
  const audit = (action: string, id: string) =>
    db().query<{ data: Json }>("select data from audit_log where action = $1 and target_id = $2", [
      action,
      id,
    ]);
  /** Deletes the published menu of `tag` while WeChat refuses menu/delconditional `times` times (48001). */
  const failRemoval = async (tag: string, times: number) => {
    const m = (await menus()).find((x) => x.tag === tag && !x.removal)!;
    expect(
      (await osim("POST", acct("/faults"), { api: "menu/delconditional", errcode: 48001, times })).status,
    ).toBe(201);
    expect((await api("DELETE", `/api/official-account/menus/${m.id}`)).statusCode).toBe(204);
    const failed = await waitFor(`${tag} removal failed`, async () =>
      (await menus()).find((x) => x.id === m.id && x.removal === "failed"),
    );
    expect(String(failed.error)).toContain("48001");
    return m;
  };

  beforeAll(async () => {
    await w.open();
    await w.createMenus(["VIP", "Gold", "Silver"]);
    const published = await api("POST", "/api/official-account/menus/publish");
    expect(published.statusCode, published.body).toBe(200);
    expect(await conditional()).toHaveLength(3);
  }, 180_000);
  afterAll(() => w.close(), 120_000);

  it("retry calls WeChat again under a new step key each time, until the menu is gone", async () => {
    const { account } = w;
    // Refused on the delete and on the first retry; the second retry goes through.
    const vip = await failRemoval("VIP", 2);
    expect(await conditional()).toContain(vip.menuid);

    const first = await api("POST", `/api/official-account/menus/${vip.id}/retry-removal`);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toMatchObject({ id: vip.id, removal: "pending" });
    await waitFor("first retry refused again", async () => {
      const r = await removal(vip.id as string);
      return r?.removal === "failed" && r.removal_retries === 1 ? r : null;
    });
    expect(await conditional()).toContain(vip.menuid);

    const second = await api("POST", `/api/official-account/menus/${vip.id}/retry-removal`);
    expect(second.statusCode, second.body).toBe(202);
    await waitFor(
      "second retry removed it",
      async () => (await removal(vip.id as string))?.removal === "removed",
    );
    expect(await conditional()).not.toContain(vip.menuid);
    expect((await menus()).some((m) => m.id === vip.id)).toBe(false);
    // One stored step per attempt: the refusal, the refusal again, then the success.
    const base = `menu-remove:${vip.id}:${vip.menuid}@${account.appId}`;
    const stored = new Map((await steps(vip.id as string)).map((s) => [s.step_key, s.result]));
    expect([...stored.keys()].sort()).toEqual([base, `${base}:r1`, `${base}:r2`]);
    expect(stored.get(base)).toMatchObject({ ok: false, errcode: 48001 });
    expect(stored.get(`${base}:r1`)).toMatchObject({ ok: false, errcode: 48001 });
    expect(stored.get(`${base}:r2`)).toEqual({ ok: true });
    const retried = await audit("official_account.menu_removal_retried", vip.id as string);
    expect(retried.map((a) => a.data.retry).sort()).toEqual([1, 2]);
    expect(String(retried[0]?.data.lastError)).toContain("48001");

    // Removed now: nothing left to retry or dismiss.
    expect((await api("POST", `/api/official-account/menus/${vip.id}/retry-removal`)).statusCode).toBe(404);
    expect((await api("POST", `/api/official-account/menus/${vip.id}/dismiss-removal`)).statusCode).toBe(404);
  });

  it("dismiss forgets it in Siyu without calling WeChat, audited; a live or unknown menu is 404", async () => {
    const gold = await failRemoval("Gold", 1);
    const dismissed = await api("POST", `/api/official-account/menus/${gold.id}/dismiss-removal`);
    expect(dismissed.statusCode, dismissed.body).toBe(204);
    expect((await menus()).some((m) => m.id === gold.id)).toBe(false);
    expect((await removal(gold.id as string))?.removal).toBe("dismissed");
    // WeChat was not asked again: it still has the menu.
    expect(await conditional()).toContain(gold.menuid);
    const [row] = await audit("official_account.menu_removal_dismissed", gold.id as string);
    expect(row?.data).toMatchObject({ tag: "Gold", menuid: gold.menuid });
    expect(String(row?.data.lastError)).toContain("48001");
    // Gone from Siyu: neither action finds it again.
    expect((await api("POST", `/api/official-account/menus/${gold.id}/dismiss-removal`)).statusCode).toBe(
      404,
    );
    expect((await api("POST", `/api/official-account/menus/${gold.id}/retry-removal`)).statusCode).toBe(404);

    const live = (await menus()).find((m) => m.tag === "Silver")!;
    const notDeleted = await api("POST", `/api/official-account/menus/${live.id}/retry-removal`);
    expect(notDeleted.statusCode).toBe(404);
    expect(notDeleted.json().error.code).toBe("not_found");
    expect((await api("POST", "/api/official-account/menus/omn_nope/dismiss-removal")).statusCode).toBe(404);
  });

  it("a removal under way cannot be retried or dismissed (409)", async () => {
    const silver = (await menus()).find((m) => m.tag === "Silver" && !m.removal)!;
    // WeChat slow: the removal stays pending for a while.
    expect(
      (await osim("POST", acct("/faults"), { api: "menu/delconditional", delayMs: 3_000, times: 1 })).status,
    ).toBe(201);
    expect((await api("DELETE", `/api/official-account/menus/${silver.id}`)).statusCode).toBe(204);
    for (const action of ["retry-removal", "dismiss-removal"]) {
      const r = await api("POST", `/api/official-account/menus/${silver.id}/${action}`);
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().error.code).toBe("conflict");
    }
    await waitFor("removed", async () => (await removal(silver.id as string))?.removal === "removed");
    expect(await conditional()).not.toContain(silver.menuid);
  });
});

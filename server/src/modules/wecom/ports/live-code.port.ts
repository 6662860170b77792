import type { WelcomeAttachment } from "@siyu/contracts";
import type { Attachment } from "../../../connectors/wecom/index.ts";
import { isWecomApiError } from "../../../connectors/wecom/index.ts";
import { AppError } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { actionClient, tenantClient } from "../ops/action-steps.ts";
import { applyCorpTags } from "../ops/apply-tags.ts";
import { callbackSettings } from "../settings.cache.ts";

/**
 * What the channels module needs from WeCom (SPEC §3), in Siyu's terms: contact ways, the welcome
 * message, remarks, corp tags for Siyu tag names, a contact's name. No WeCom type leaves this file.
 *
 * Errors: WeCom refusing the request itself (not retryable: 610004 member without customer contact,
 * 40003 unknown member, 41050 welcome code used or expired, …) becomes `AppError("wecom_rejected")`
 * (422) with `{errcode, errmsg}`; anything transient (45009, -1, network, 5xx) is thrown as it is, so
 * a job retries it.
 */
function mapped(err: unknown): unknown {
  if (isWecomApiError(err) && err.kind === "api" && !err.retryable) {
    return new AppError("wecom_rejected", `WeCom refused the request: ${err.errcode} ${err.errmsg}`, {
      errcode: err.errcode,
      errmsg: err.errmsg,
    });
  }
  return err;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapped(err);
  }
}

/** The errcode of a WeCom refusal mapped by this port, else null. */
export function wecomErrcodeOf(err: unknown): number | null {
  if (err instanceof AppError && err.code === "wecom_rejected") {
    const d = err.details as { errcode?: unknown } | undefined;
    return typeof d?.errcode === "number" ? d.errcode : null;
  }
  return isWecomApiError(err) ? err.errcode : null;
}

export interface ContactWaySpec {
  /** A single-member way (type 1) takes exactly one user for life; else multi-member (type 2). */
  single?: boolean;
  users: string[];
  state: string;
  skipVerify: boolean;
  /** ≤ 30 chars; shown to admins next to the way. */
  remark?: string;
}

export interface WelcomeMessage {
  text?: string;
  attachments: WelcomeAttachment[];
}

function wireAttachment(a: WelcomeAttachment): Attachment {
  switch (a.type) {
    case "image":
      return { msgtype: "image", image: { pic_url: a.url } };
    case "link":
      return {
        msgtype: "link",
        link: {
          title: a.title,
          url: a.url,
          ...(a.description ? { desc: a.description } : {}),
          ...(a.imageUrl ? { picurl: a.imageUrl } : {}),
        },
      };
    case "miniprogram":
      return {
        msgtype: "miniprogram",
        miniprogram: { title: a.title, appid: a.appId, page: a.page, pic_media_id: a.picMediaId },
      };
  }
}

/**
 * The client of the welcome path from the callback settings cache (30 s): a burst's welcomes and
 * nickname reads then cost no settings transaction each. A secret changed in another process within
 * those seconds shows as WeCom refusing the token, which the job records like any other refusal.
 */
async function cachedClient(platform: Platform, tenantId: string) {
  const cached = await callbackSettings(platform, tenantId);
  return cached ? actionClient(platform, cached.settings) : tenantClient(platform, tenantId);
}

export const liveCodePort = {
  /** add_contact_way (scene 2, QR). */
  async createContactWay(
    platform: Platform,
    tenantId: string,
    spec: ContactWaySpec,
  ): Promise<{ configId: string; qrUrl: string }> {
    const client = await tenantClient(platform, tenantId);
    const res = await call(() =>
      client.contactWay.add({
        type: spec.single ? 1 : 2,
        scene: 2,
        state: spec.state,
        user: spec.users,
        skip_verify: spec.skipVerify,
        ...(spec.remark ? { remark: [...spec.remark].slice(0, 30).join("") } : {}),
      }),
    );
    return { configId: res.config_id, qrUrl: res.qr_code ?? "" };
  },

  /** update_contact_way: the user list replaces the stored one. */
  async updateContactWay(
    platform: Platform,
    tenantId: string,
    configId: string,
    spec: Partial<ContactWaySpec>,
  ): Promise<void> {
    const client = await tenantClient(platform, tenantId);
    await call(() =>
      client.contactWay.update({
        config_id: configId,
        ...(spec.users ? { user: spec.users } : {}),
        ...(spec.skipVerify !== undefined ? { skip_verify: spec.skipVerify } : {}),
        ...(spec.remark !== undefined ? { remark: [...spec.remark].slice(0, 30).join("") } : {}),
      }),
    );
  },

  /** del_contact_way; a way WeCom no longer knows (41044) counts as deleted. */
  async deleteContactWay(platform: Platform, tenantId: string, configId: string): Promise<void> {
    const client = await tenantClient(platform, tenantId);
    try {
      await client.contactWay.delete(configId);
    } catch (err) {
      if (isWecomApiError(err) && err.errcode === 41044) return;
      throw mapped(err);
    }
  },

  /** send_welcome_msg with the add event's code (20 s, single use); `signal` bounds retries to its life. */
  async sendWelcome(
    platform: Platform,
    tenantId: string,
    welcomeCode: string,
    message: WelcomeMessage,
    signal?: AbortSignal,
  ): Promise<void> {
    const client = await cachedClient(platform, tenantId);
    await call(() =>
      client.externalContact.sendWelcomeMsg(
        {
          welcome_code: welcomeCode,
          ...(message.text ? { text: { content: message.text } } : {}),
          ...(message.attachments.length ? { attachments: message.attachments.map(wireAttachment) } : {}),
        },
        signal ? { signal } : undefined,
      ),
    );
  },

  /** The customer's WeChat name (first page of externalcontact/get), or null when WeCom does not say. */
  async contactName(
    platform: Platform,
    tenantId: string,
    externalUserid: string,
    signal?: AbortSignal,
  ): Promise<string | null> {
    const client = await cachedClient(platform, tenantId);
    const res = await call(() =>
      client.externalContact.get(externalUserid, undefined, signal ? { signal } : undefined),
    );
    return res.external_contact?.name ?? null;
  },

  /** Sets the member's remark on the contact in WeCom and in Siyu's mirror of the relation. */
  async setRemark(
    platform: Platform,
    tenantId: string,
    input: { userid: string; externalUserid: string; remark: string },
  ): Promise<void> {
    const remark = [...input.remark].slice(0, 20).join("");
    const client = await tenantClient(platform, tenantId);
    await call(() =>
      client.externalContact.remark({ userid: input.userid, external_userid: input.externalUserid, remark }),
    );
    await platform.db.tenant(tenantId, (s) =>
      s.query(
        "update wecom_follows set remark = $3, updated_at = now() where external_userid = $1 and userid = $2",
        [input.externalUserid, input.userid, remark],
      ),
    );
  },

  /**
   * Makes each Siyu tag name a WeCom corp tag (created in group "Siyu" when WeCom lacks it) and maps
   * it to the Siyu tag, so marking the Siyu tag on a customer marks it in WeCom (customer-tags
   * subscriber). Returns the names WeCom now has (names over WeCom's 30 characters are skipped).
   */
  async ensureCorpTags(platform: Platform, tenantId: string, names: string[]): Promise<string[]> {
    const wanted = [...new Set(names)].filter((n) => [...n].length <= 30);
    if (!wanted.length) return [];
    const known = async () =>
      new Set(
        (
          await platform.db.tenant(tenantId, (s) =>
            s.query<{ name: string }>(
              "select name from wecom_corp_tags where kind = 'tag' and deleted_at is null and siyu_tag_id is not null and name = any($1::text[])",
              [wanted],
            ),
          )
        ).map((r) => r.name),
      );
    let have = await known();
    let missing = wanted.filter((n) => !have.has(n));
    if (!missing.length) return wanted;
    const client = await tenantClient(platform, tenantId);
    // Our mirror may be behind WeCom (tags made in the admin console): read the list first.
    const { tag_group } = await call(() => client.tags.list({}));
    await platform.db.tenant(tenantId, (s) => applyCorpTags(s, tag_group, { complete: false }));
    have = await known();
    missing = wanted.filter((n) => !have.has(n));
    if (missing.length) {
      const existing = tag_group.find((g) => g.group_name === "Siyu" && !g.deleted);
      const { tag_group: group } = await call(() =>
        client.tags.add({
          ...(existing ? { group_id: existing.group_id } : { group_name: "Siyu" }),
          tag: missing.map((name) => ({ name })),
        }),
      );
      await platform.db.tenant(tenantId, (s) => applyCorpTags(s, [group], { complete: false }));
    }
    return wanted;
  },
};

export type LiveCodePort = typeof liveCodePort;

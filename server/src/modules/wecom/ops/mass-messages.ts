import type {
  ContactPurpose,
  WecomMassAttachment,
  WecomMassMessageDto,
  WecomMassMessageInput,
  WecomMassRecipientDto,
  WecomMassRecipientStatus,
  WecomMassTarget,
} from "@siyu/contracts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { badRequest, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { customerIdsMergedInto } from "../../customers/index.ts";
import { segmentMemberIds } from "../../customers/segments/index.ts";

/** add_msg_template takes at most 10,000 external_userids; one message stays within one call per sender. */
export const maxMassRecipients = 10_000;

interface Recipient {
  external_userid: string;
  customer_id: string;
  sender: string;
}

/**
 * The WeCom relations a mass message goes through: for each customer's external contact, the earliest
 * live follow relation whose staff member is active (add_msg_template is per sender).
 */
async function relationsOfCustomers(scope: Scope, customerIds: string[]): Promise<Recipient[]> {
  if (!customerIds.length) return [];
  return scope.query<Recipient>(
    `select distinct on (c.external_userid) c.external_userid, c.customer_id, f.userid as sender
       from wecom_contacts c
       join wecom_follows f on f.external_userid = c.external_userid and f.deleted_at is null
       left join wecom_staff s on s.userid = f.userid
      where c.customer_id = any($1::text[]) and coalesce(s.status, 'active') = 'active'
      order by c.external_userid, f.createtime nulls last, f.userid`,
    [customerIds],
  );
}

/** Resolves the picked target to recipients; unknown customers answer 404 (another tenant's too). */
export async function resolveMassTarget(scope: Scope, target: WecomMassTarget): Promise<Recipient[]> {
  if ("customerIds" in target) {
    const ids = [...new Set(target.customerIds)];
    const known = await scope.query<{ customer_id: string }>(
      "select distinct customer_id from wecom_contacts where customer_id = any($1::text[])",
      [ids],
    );
    const have = new Set(known.map((k) => k.customer_id));
    const missing = ids.filter((i) => !have.has(i));
    if (missing.length) throw notFound(`customer ${missing.slice(0, 3).join(", ")}`);
    return relationsOfCustomers(scope, ids);
  }
  if ("segmentId" in target) {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await segmentMemberIds(scope, target.segmentId, {
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      ids.push(...page.ids);
      cursor = page.nextCursor ?? undefined;
      if (ids.length > maxMassRecipients * 2) break;
    } while (cursor);
    return relationsOfCustomers(scope, ids);
  }
  const tags = await scope.query<{ wecom_id: string }>(
    "select wecom_id from wecom_corp_tags where wecom_id = any($1::text[]) and kind = 'tag' and deleted_at is null",
    [target.tagIds],
  );
  if (tags.length !== new Set(target.tagIds).size) throw notFound("corp tag");
  return scope.query<Recipient>(
    `select distinct on (c.external_userid) c.external_userid, c.customer_id, f.userid as sender
       from wecom_follows f
       join wecom_contacts c on c.external_userid = f.external_userid
       left join wecom_staff s on s.userid = f.userid
      where f.deleted_at is null and f.tag_ids @> $1::text[] and coalesce(s.status, 'active') = 'active'
      order by c.external_userid, f.createtime nulls last, f.userid`,
    [target.tagIds],
  );
}

export async function createMassMessage(
  scope: Scope,
  platform: Platform,
  actor: Actor & { userId?: string | null },
  input: WecomMassMessageInput & {
    attachments: WecomMassAttachment[];
    /**
     * The contact-policy ref a caller reserved these touches under (a flow step): the send job
     * re-reserves under it, so a touch is counted once. Default: the message's own id.
     */
    policyRef?: string;
    /** Marketing (default) or transactional (exempt from caps and quiet hours when the policy says so). */
    purpose?: ContactPurpose;
  },
): Promise<string> {
  const recipients = await resolveMassTarget(scope, input.target);
  if (!recipients.length) throw badRequest("no target customer has a live WeCom relation");
  if (recipients.length > maxMassRecipients)
    throw badRequest(`at most ${maxMassRecipients} recipients in one mass message`, {
      count: recipients.length,
    });
  const id = newId("wmm");
  await scope.query(
    `insert into wecom_mass_messages (id, tenant_id, name, text, attachments, target, created_by, policy_ref, purpose)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      id,
      scope.tenantId,
      input.name ?? "",
      input.text ?? "",
      JSON.stringify(input.attachments),
      JSON.stringify(input.target),
      actor.userId ?? null,
      input.policyRef ?? null,
      input.purpose ?? "marketing",
    ],
  );
  const senders = [...new Set(recipients.map((r) => r.sender))];
  await scope.query(
    `insert into wecom_mass_message_senders (tenant_id, mass_message_id, sender)
     select $1, $2, unnest($3::text[])`,
    [scope.tenantId, id, senders],
  );
  await scope.query(
    `insert into wecom_mass_message_recipients (tenant_id, mass_message_id, external_userid, customer_id, sender)
     select $1, $2, unnest($3::text[]), unnest($4::text[]), unnest($5::text[])`,
    [
      scope.tenantId,
      id,
      recipients.map((r) => r.external_userid),
      recipients.map((r) => r.customer_id),
      recipients.map((r) => r.sender),
    ],
  );
  await platform.audit.record(scope, actor, {
    action: "wecom.mass_message_created",
    targetType: "wecom_mass_message",
    targetId: id,
    data: { recipients: recipients.length, senders: senders.length, target: Object.keys(input.target)[0] },
  });
  return id;
}

interface MassRow {
  id: string;
  name: string;
  text: string;
  attachments: WecomMassAttachment[];
  target: Record<string, unknown>;
  status: WecomMassMessageDto["status"];
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
  not_before: Date | null;
}

async function dtos(scope: Scope, rows: MassRow[]): Promise<WecomMassMessageDto[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const counts = await scope.query<{ mass_message_id: string; status: string; n: number }>(
    `select mass_message_id, status, count(*)::int as n from wecom_mass_message_recipients
      where mass_message_id = any($1::text[]) group by 1, 2`,
    [ids],
  );
  const senders = await scope.query<{
    mass_message_id: string;
    sender: string;
    msgid: string | null;
    status: string;
    error: string | null;
    n: number;
  }>(
    `select s.mass_message_id, s.sender, s.msgid, s.status, s.error,
            (select count(*)::int from wecom_mass_message_recipients r
              where r.mass_message_id = s.mass_message_id and r.sender = s.sender) as n
       from wecom_mass_message_senders s where s.mass_message_id = any($1::text[]) order by s.sender`,
    [ids],
  );
  return rows.map((r) => {
    const c: Record<string, number> = {};
    let total = 0;
    for (const x of counts.filter((k) => k.mass_message_id === r.id)) {
      c[x.status] = x.n;
      total += x.n;
    }
    return {
      id: r.id,
      name: r.name,
      text: r.text,
      attachments: r.attachments,
      target: r.target,
      status: r.status,
      error: r.error,
      counts: c,
      total,
      senders: senders
        .filter((s) => s.mass_message_id === r.id)
        .map((s) => ({
          sender: s.sender,
          msgid: s.msgid,
          status: s.status,
          error: s.error,
          recipients: s.n,
        })),
      createdAt: r.created_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
      notBefore: r.status === "queued" ? (r.not_before?.toISOString() ?? null) : null,
    };
  });
}

export async function getMassMessage(scope: Scope, id: string): Promise<WecomMassMessageDto> {
  const rows = await scope.query<MassRow>("select * from wecom_mass_messages where id = $1", [id]);
  const [dto] = await dtos(scope, rows);
  if (!dto) throw notFound("mass message");
  return dto;
}

export async function listMassMessages(scope: Scope, q: { limit: number; cursor?: string | undefined }) {
  const rows = await scope.query<MassRow>(
    "select * from wecom_mass_messages where ($2::text is null or id < $2) order by id desc limit $1",
    [q.limit + 1, q.cursor ?? null],
  );
  const page = rows.slice(0, q.limit);
  return {
    items: await dtos(scope, page),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

export async function listMassRecipients(
  scope: Scope,
  id: string,
  q: {
    limit: number;
    cursor?: string | undefined;
    status?: WecomMassRecipientStatus | undefined;
    /** One customer's results: a recipient row keeps the id of send time, so its merged profiles' too. */
    customerId?: string | undefined;
  },
): Promise<{ items: WecomMassRecipientDto[]; nextCursor: string | null }> {
  await getMassMessage(scope, id);
  const customerIds = q.customerId ? await customerIdsMergedInto(scope, q.customerId) : null;
  const rows = await scope.query<{
    external_userid: string;
    customer_id: string;
    sender: string;
    status: WecomMassRecipientStatus;
    send_time: Date | null;
    policy_reason: string | null;
  }>(
    `select external_userid, customer_id, sender, status, send_time, policy_reason from wecom_mass_message_recipients
      where mass_message_id = $1 and ($3::text is null or external_userid > $3) and ($4::text is null or status = $4)
        and ($5::text[] is null or customer_id = any($5))
      order by external_userid limit $2`,
    [id, q.limit + 1, q.cursor ?? null, q.status ?? null, customerIds],
  );
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({
      externalUserid: r.external_userid,
      customerId: r.customer_id,
      sender: r.sender,
      status: r.status,
      sendTime: r.send_time?.toISOString() ?? null,
      policyReason: r.policy_reason,
    })),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.external_userid ?? null) : null,
  };
}

import { type WecomContactDto, wecomContactSchema, wecomGroupDetailSchema } from "@siyu/contracts";
import { z } from "zod";
import type { Scope } from "../../../platform/db/index.ts";
import { notFound } from "../../../platform/errors.ts";
import type { Api } from "../../../platform/platform.ts";
import { assertVisible } from "../../customers/index.ts";

const chatParams = z.object({ chatId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) });
const externalParams = z.object({ externalUserid: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) });
const idParams = z.object({ id: z.string().min(1).max(100) });

const iso = (d: Date | null) => d?.toISOString() ?? null;

interface ContactRow {
  external_userid: string;
  customer_id: string;
  name: string;
  unionid: string | null;
  corp_name: string | null;
}

/** The contacts with their follow relations (live first, then ended), staff names joined. */
async function contactDtos(s: Scope, contacts: ContactRow[]): Promise<WecomContactDto[]> {
  if (!contacts.length) return [];
  const follows = await s.query<{
    external_userid: string;
    userid: string;
    staff_name: string | null;
    remark: string;
    description: string;
    state: string | null;
    add_way: number | null;
    createtime: Date | null;
    deleted_at: Date | null;
    ended_by: string | null;
  }>(
    `select f.external_userid, f.userid, st.name as staff_name, f.remark, f.description, f.state, f.add_way,
            f.createtime, f.deleted_at, f.ended_by
       from wecom_follows f left join wecom_staff st on st.userid = f.userid
      where f.external_userid = any($1::text[])
      order by f.deleted_at is not null, f.createtime nulls last, f.userid`,
    [contacts.map((c) => c.external_userid)],
  );
  return contacts.map((c) => ({
    externalUserid: c.external_userid,
    customerId: c.customer_id,
    name: c.name,
    unionid: c.unionid,
    corpName: c.corp_name,
    follows: follows
      .filter((f) => f.external_userid === c.external_userid)
      .map((f) => ({
        userid: f.userid,
        staffName: f.staff_name,
        remark: f.remark,
        description: f.description,
        state: f.state,
        addWay: f.add_way,
        addedAt: iso(f.createtime),
        endedAt: iso(f.deleted_at),
        endedBy: f.ended_by,
      })),
  }));
}

/**
 * Read-only views the console needs beyond the list routes: a group with its members, an external
 * contact by its WeCom id (the sandbox page waits on it), and the WeCom facts of one customer.
 */
export function wecomViewRoutes(api: Api) {
  api.get(
    "/wecom/groups/:chatId",
    {
      config: { permission: "customers.read", resource: "wecom_group" },
      schema: { tags: ["wecom"], params: chatParams, response: { 200: wecomGroupDetailSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const [g] = await s.query<{
          chat_id: string;
          name: string;
          owner_userid: string | null;
          owner_name: string | null;
          notice: string | null;
          member_count: number;
          dismissed_at: Date | null;
        }>(
          `select g.chat_id, g.name, g.owner_userid, st.name as owner_name, g.notice, g.member_count, g.dismissed_at
             from wecom_groups g left join wecom_staff st on st.userid = g.owner_userid
            where g.chat_id = $1`,
          [req.params.chatId],
        );
        if (!g) throw notFound("WeCom group");
        const members = await s.query<{
          member_id: string;
          type: number;
          name: string | null;
          group_nickname: string | null;
          join_time: Date | null;
          join_scene: number | null;
          invitor: string | null;
          customer_id: string | null;
        }>(
          `select m.member_id, m.type, coalesce(nullif(m.name, ''), st.name, wc.name) as name, m.group_nickname,
                  m.join_time, m.join_scene, m.invitor, coalesce(m.customer_id, wc.customer_id) as customer_id
             from wecom_group_members m
             left join wecom_staff st on m.type = 1 and st.userid = m.member_id
             left join wecom_contacts wc on m.type = 2 and wc.external_userid = m.member_id
            where m.chat_id = $1 order by m.type, m.join_time nulls last, m.member_id limit 1000`,
          [req.params.chatId],
        );
        return {
          chatId: g.chat_id,
          name: g.name,
          ownerUserid: g.owner_userid,
          ownerName: g.owner_name,
          notice: g.notice,
          memberCount: g.member_count,
          dismissed: g.dismissed_at !== null,
          members: members.map((m) => ({
            memberId: m.member_id,
            type: Number(m.type),
            name: m.name,
            groupNickname: m.group_nickname,
            joinTime: iso(m.join_time),
            joinScene: m.join_scene === null ? null : Number(m.join_scene),
            invitor: m.invitor,
            customerId: m.customer_id,
          })),
        };
      }),
  );

  api.get(
    "/wecom/contacts/:externalUserid",
    {
      config: { permission: "customers.read", resource: "wecom_contact" },
      schema: { tags: ["wecom"], params: externalParams, response: { 200: wecomContactSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        // A merged profile answers with the customer it was merged into.
        const rows = await s.query<ContactRow>(
          `select w.external_userid, coalesce(c.merged_into, w.customer_id) as customer_id, w.name, w.unionid,
                  w.corp_name
             from wecom_contacts w left join customers c on c.id = w.customer_id
            where w.external_userid = $1`,
          [req.params.externalUserid],
        );
        const row = rows[0];
        if (!row) throw notFound("WeCom contact");
        await assertVisible(s, req.caller(), row.customer_id);
        const [dto] = await contactDtos(s, [row]);
        return dto!;
      }),
  );

  api.get(
    "/wecom/customers/:id",
    {
      config: { permission: "customers.read", resource: "customer" },
      schema: {
        tags: ["wecom"],
        params: idParams,
        response: { 200: z.object({ contacts: z.array(wecomContactSchema) }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertVisible(s, req.caller(), req.params.id);
        const rows = await s.query<ContactRow>(
          `select external_userid, $1::text as customer_id, name, unionid, corp_name from wecom_contacts
            where customer_id = $1 or customer_id in (select id from customers where merged_into = $1)
            order by created_at limit 50`,
          [req.params.id],
        );
        return { contacts: await contactDtos(s, rows) };
      }),
  );
}

import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { SimHttpError } from "../shared/platform-plugin.ts";
import * as actions from "./actions.ts";
import { contactJson } from "./api/contacts.api.ts";
import type { Corp } from "./corp.ts";
import type { WecomSandbox } from "./sandbox.ts";

export { SimHttpError } from "../shared/platform-plugin.ts";

const id = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "letters, digits, _ . @ - (1..64)");
const externalId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const callbackConfig = z.object({
  url: z
    .string()
    .url()
    .max(1000)
    .refine((u) => /^https?:\/\//.test(u), "http(s) URL"),
  token: z.string().regex(/^[A-Za-z0-9]{1,32}$/, "1..32 letters or digits"),
  encodingAesKey: z.string().regex(/^[A-Za-z0-9]{43}$/, "43 letters or digits"),
});
const member = z.object({
  userid: id,
  name: z.string().min(1).max(64).optional(),
  department: z.array(z.number().int().positive()).max(20).optional(),
  position: z.string().max(128).optional(),
  mobile: z
    .string()
    .regex(/^[0-9+-]{1,32}$/)
    .optional(),
  gender: z.enum(["0", "1", "2"]).optional(),
  email: z.string().email().optional(),
  customerContact: z.boolean().optional(),
  directLeader: z.array(id).max(5).optional(),
});
const settings = z
  .object({
    monthlyMassMessageCap: z.number().int().min(0).max(1000),
    tagCap: z.number().int().min(1).max(100_000),
    customersPerMember: z.number().int().min(1).max(10_000_000),
  })
  .partial();
const customer = z
  .object({
    external_userid: externalId.optional(),
    name: z.string().min(1).max(64).optional(),
    type: z.union([z.literal(1), z.literal(2)]).optional(),
    gender: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    unionid: z.string().max(64).optional(),
    corp_name: z.string().max(64).optional(),
  })
  .strict();
const relation = z.object({ userid: id, external_userid: externalId });
const ids = z
  .array(z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/))
  .min(1)
  .max(500);

const schemas = {
  createCorp: z
    .object({
      corpId: z
        .string()
        .regex(/^[A-Za-z0-9]{4,32}$/)
        .optional(),
      corpName: z.string().min(1).max(64).optional(),
      agentId: z.number().int().positive().optional(),
      appSecret: z
        .string()
        .regex(/^[A-Za-z0-9_-]{8,64}$/)
        .optional(),
      contactSecret: z
        .string()
        .regex(/^[A-Za-z0-9_-]{8,64}$/)
        .optional(),
      callback: callbackConfig.optional(),
      members: z.array(member).max(1000).optional(),
      settings: settings.optional(),
    })
    .strict(),
  updateCorp: z
    .object({
      corpName: z.string().min(1).max(64).optional(),
      appSecret: z
        .string()
        .regex(/^[A-Za-z0-9_-]{8,64}$/)
        .optional(),
      contactSecret: z
        .string()
        .regex(/^[A-Za-z0-9_-]{8,64}$/)
        .optional(),
      callback: callbackConfig.nullable().optional(),
      settings: settings.optional(),
    })
    .strict(),
  updateMember: z
    .object({
      name: z.string().min(1).max(64).optional(),
      customerContact: z.boolean().optional(),
      directLeader: z.array(id).max(5).optional(),
    })
    .strict(),
  seed: z
    .object({
      count: z.number().int().min(1).max(1_000_000),
      userids: z.array(id).min(1).max(1000).optional(),
      tagsPerContact: z.number().int().min(0).max(20).optional(),
      state: z.string().max(30).optional(),
    })
    .strict(),
  scan: z
    .object({
      config_id: z
        .string()
        .regex(/^[A-Za-z0-9]{1,64}$/)
        .optional(),
      state: z.string().max(30).optional(),
      userid: id.optional(),
      customer: customer.optional(),
      half: z.boolean().optional(),
    })
    .strict()
    .refine((v) => v.config_id !== undefined || v.state !== undefined, "config_id or state is required"),
  addContact: z
    .object({
      userid: id,
      customer: customer.optional(),
      add_way: z.number().int().min(0).max(202).optional(),
      state: z.string().max(30).optional(),
      /** The customer added the member without verification (add_half_external_contact). */
      half: z.boolean().optional(),
    })
    .strict(),
  relation: relation.strict(),
  editContact: relation
    .extend({
      remark: z.string().max(20).optional(),
      description: z.string().max(150).optional(),
      add_tags: z.array(z.string().max(64)).max(100).optional(),
      remove_tags: z.array(z.string().max(64)).max(100).optional(),
    })
    .strict(),
  createGroup: z
    .object({
      owner: id,
      name: z.string().max(64).optional(),
      notice: z.string().max(1000).optional(),
      members: z
        .array(z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/))
        .max(499)
        .optional(),
    })
    .strict(),
  joinGroup: z
    .object({
      chat_id: externalId,
      ids,
      join_scene: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
      invitor: id.optional(),
      state: z.string().max(30).optional(),
    })
    .strict(),
  leaveGroup: z
    .object({ chat_id: externalId, ids, quit_scene: z.union([z.literal(0), z.literal(1)]).optional() })
    .strict(),
  updateGroup: z
    .object({
      chat_id: externalId,
      name: z.string().max(64).optional(),
      notice: z.string().max(1000).optional(),
    })
    .strict(),
  chat: z.object({ chat_id: externalId }).strict(),
  createTags: z
    .object({
      group_id: externalId.optional(),
      group_name: z.string().min(1).max(30).optional(),
      tags: z.array(z.string().min(1).max(30)).min(1).max(100),
    })
    .strict(),
  renameTag: z.object({ id: externalId, name: z.string().min(1).max(30) }).strict(),
  deleteTag: z.object({ id: externalId }).strict(),
  shuffleTags: z.object({ group_id: externalId.optional() }).strict(),
  confirmMass: z.object({ msgid: externalId, userid: id }).strict(),
  refuseTransfer: z.object({ external_userid: externalId, handover_userid: id.optional() }).strict(),
  advance: z
    .object({
      ms: z
        .number()
        .int()
        .min(0)
        .max(10 * 365 * 86400_000)
        .optional(),
      seconds: z
        .number()
        .int()
        .min(0)
        .max(10 * 365 * 86400)
        .optional(),
      hours: z
        .number()
        .min(0)
        .max(10 * 365 * 24)
        .optional(),
    })
    .strict(),
  fault: z
    .object({
      api: z
        .string()
        .regex(/^(\*|[a-z_/]{1,80})$/)
        .default("*"),
      times: z.number().int().min(1).max(1_000_000).nullable().default(1),
      errcode: z.number().int().min(-1).max(9_999_999).optional(),
      httpStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
      delayMs: z.number().int().min(1).max(60_000).optional(),
    })
    .strict()
    .refine(
      (f) => f.errcode !== undefined || f.httpStatus !== undefined || f.delayMs !== undefined,
      "errcode, httpStatus or delayMs is required",
    ),
  rateLimits: z
    .object({
      default: z.number().int().min(0).max(10_000_000).optional(),
      perApi: z
        .record(z.string().regex(/^[a-z_/]{1,80}$/), z.number().int().min(0).max(10_000_000))
        .optional(),
    })
    .strict(),
  callbackFaults: z
    .object({
      duplicates: z.number().int().min(0).max(10).optional(),
      reorderWindow: z.number().int().min(0).max(100).optional(),
    })
    .strict(),
  listQuery: z.object({
    userid: id.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
    /** `desc`: the most recently added first (the simulator page shows the customer just added). */
    order: z.enum(["asc", "desc"]).default("asc"),
  }),
};

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const details = r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new SimHttpError(400, "validation_failed", "request does not match the schema", details);
  }
  return r.data;
}

function body<S extends z.ZodType>(req: FastifyRequest, schema: S): z.infer<S> {
  const raw = typeof req.body === "string" ? req.body : "";
  let value: unknown = {};
  if (raw.trim() !== "") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new SimHttpError(400, "invalid_json", "request body is not valid JSON");
    }
  }
  return parse(schema, value);
}

function corpSummary(corp: Corp): Record<string, unknown> {
  return {
    corpId: corp.corpId,
    corpName: corp.corpName,
    agentId: corp.agentId,
    appSecret: corp.appSecret,
    contactSecret: corp.contactSecret,
    callback: corp.callback ?? null,
    settings: corp.settings,
    counts: {
      members: corp.members.size,
      contacts: corp.contacts.size,
      follows: [...corp.followsByUser.values()].reduce((n, l) => n + l.length, 0),
      tags: corp.tagCount(),
      contactWays: corp.contactWays.size,
      groups: corp.groups.size,
      massMessages: corp.massMessages.size,
      transfers: corp.transfers.length,
      moments: corp.moments.size,
    },
  };
}

/**
 * The simulator's own JSON API (not WeCom's), mounted at `<prefix>/_sim`: set up corps, act as
 * customers and members, move the clock, arm faults, and read back what happened.
 */
export function registerSimRoutes(app: FastifyInstance, sandbox: WecomSandbox): void {
  const corpOf = (req: FastifyRequest): Corp => {
    const { corpId } = req.params as { corpId: string };
    const corp = sandbox.corp(corpId);
    if (!corp) throw new SimHttpError(404, "not_found", `no corp ${corpId}`);
    return corp;
  };
  const param = (req: FastifyRequest, key: string): string => {
    const v = (req.params as Record<string, string>)[key] ?? "";
    return parse(z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/), v);
  };

  app.get("/clock", async () => ({ now: sandbox.clock.now(), offsetMs: sandbox.clock.offsetMs }));
  app.post("/clock/advance", async (req) => {
    const b = body(req, schemas.advance);
    const ms = (b.ms ?? 0) + (b.seconds ?? 0) * 1000 + Math.round((b.hours ?? 0) * 3600_000);
    sandbox.advance(ms);
    return { now: sandbox.clock.now(), offsetMs: sandbox.clock.offsetMs };
  });

  app.get("/corps", async () => ({ corps: [...sandbox.corps.values()].map(corpSummary) }));
  app.post("/corps", async (req, reply) => {
    const b = body(req, schemas.createCorp);
    if (b.corpId && sandbox.corp(b.corpId))
      throw new SimHttpError(409, "conflict", `corp ${b.corpId} exists`);
    const corp = sandbox.createCorp({
      ...(b.corpId ? { corpId: b.corpId } : {}),
      ...(b.corpName ? { corpName: b.corpName } : {}),
      ...(b.agentId ? { agentId: b.agentId } : {}),
      ...(b.appSecret ? { appSecret: b.appSecret } : {}),
      ...(b.contactSecret ? { contactSecret: b.contactSecret } : {}),
      ...(b.callback ? { callback: b.callback } : {}),
      ...(b.members ? { members: b.members } : {}),
      ...(b.settings ? { settings: b.settings } : {}),
    });
    return reply.code(201).send(corpSummary(corp));
  });
  app.get("/corps/:corpId", async (req) => corpSummary(corpOf(req)));
  app.patch("/corps/:corpId", async (req) => {
    const corp = corpOf(req);
    const b = body(req, schemas.updateCorp);
    if (b.corpName) corp.corpName = b.corpName;
    if (b.appSecret) corp.appSecret = b.appSecret;
    if (b.contactSecret) corp.contactSecret = b.contactSecret;
    if (b.callback === null) corp.callback = undefined;
    else if (b.callback) corp.callback = b.callback;
    if (b.settings) corp.settings = { ...corp.settings, ...b.settings };
    sandbox.changed(corp);
    return corpSummary(corp);
  });
  app.delete("/corps/:corpId", async (req) => {
    const corp = corpOf(req);
    sandbox.deleteCorp(corp.corpId);
    return { deleted: true };
  });
  app.get("/corps/:corpId/state", async (req) => {
    const corp = corpOf(req);
    sandbox.settle(corp);
    return {
      ...corpSummary(corp),
      departments: corp.departments,
      members: [...corp.members.values()],
      tagGroups: corp.tagGroups,
      contactWays: [...corp.contactWays.values()],
      groups: [...corp.groups.values()],
      massMessages: [...corp.massMessages.values()],
      transfers: corp.transfers,
      moments: [...corp.moments.values()],
    };
  });

  app.post("/corps/:corpId/members", async (req, reply) => {
    const corp = corpOf(req);
    return reply.code(201).send(actions.addMember(sandbox, corp, body(req, member)));
  });
  app.patch("/corps/:corpId/members/:userid", async (req) => {
    const corp = corpOf(req);
    const m = corp.members.get(param(req, "userid"));
    if (!m) throw new SimHttpError(404, "not_found", "no such member");
    const b = body(req, schemas.updateMember);
    if (b.name) m.name = b.name;
    if (b.customerContact !== undefined) m.customerContact = b.customerContact;
    if (b.directLeader) m.directLeader = b.directLeader;
    sandbox.changed(corp);
    return m;
  });
  app.post("/corps/:corpId/members/:userid/resign", async (req) =>
    actions.resignMember(sandbox, corpOf(req), param(req, "userid")),
  );

  app.post("/corps/:corpId/seed", async (req) =>
    actions.seedContacts(sandbox, corpOf(req), body(req, schemas.seed)),
  );

  app.get("/corps/:corpId/contacts", async (req) => {
    const corp = corpOf(req);
    const q = parse(schemas.listQuery, req.query);
    const added = q.userid
      ? (corp.followsByUser.get(q.userid) ?? []).map((f) => f.external_userid)
      : [...corp.followsByExternal.keys()];
    const source = q.order === "desc" ? added.reverse() : added;
    const page = source.slice(q.offset, q.offset + q.limit);
    return {
      total: source.length,
      contacts: page.map((ext) => ({
        ...contactJson(corp.contacts.get(ext)!),
        follow_user: corp.followsByExternal.get(ext) ?? [],
      })),
    };
  });
  app.get("/corps/:corpId/contacts/:externalUserId", async (req) => {
    const corp = corpOf(req);
    const ext = param(req, "externalUserId");
    const c = corp.contacts.get(ext);
    if (!c) throw new SimHttpError(404, "not_found", "no such external contact");
    return { ...contactJson(c), follow_user: corp.followsByExternal.get(ext) ?? [] };
  });
  app.get("/corps/:corpId/welcome-messages", async (req) => ({
    welcome_messages: corpOf(req).welcomeDeliveries,
  }));
  app.get("/corps/:corpId/tag-marks", async (req) => ({ tag_marks: corpOf(req).tagMarks }));

  // Client-side actions: each emits the callback WeCom would send.
  const act = <S extends z.ZodType>(
    path: string,
    schema: S,
    fn: (corp: Corp, input: z.infer<S>) => unknown,
  ) =>
    app.post(`/corps/:corpId/actions/${path}`, async (req) => {
      const corp = corpOf(req);
      const input = body(req, schema);
      sandbox.settle(corp);
      return fn(corp, input);
    });
  act("scan", schemas.scan, (corp, b) => actions.scanContactWay(sandbox, corp, b));
  act("add-contact", schemas.addContact, (corp, b) => actions.addContact(sandbox, corp, b));
  act("customer-deletes-member", schemas.relation, (corp, b) =>
    actions.customerDeletesMember(sandbox, corp, b),
  );
  act("member-deletes-customer", schemas.relation, (corp, b) =>
    actions.memberDeletesCustomer(sandbox, corp, b),
  );
  act("edit-contact", schemas.editContact, (corp, b) => actions.editContact(sandbox, corp, b));
  act("create-group", schemas.createGroup, (corp, b) => actions.createGroup(sandbox, corp, b));
  act("join-group", schemas.joinGroup, (corp, { chat_id, ...b }) =>
    actions.joinGroup(sandbox, corp, chat_id, b),
  );
  act("leave-group", schemas.leaveGroup, (corp, { chat_id, ...b }) =>
    actions.leaveGroup(sandbox, corp, chat_id, b),
  );
  act("update-group", schemas.updateGroup, (corp, { chat_id, ...b }) => ({
    callbacks: actions.updateGroup(sandbox, corp, chat_id, b),
  }));
  act("dismiss-group", schemas.chat, (corp, b) => actions.dismissGroup(sandbox, corp, b.chat_id));
  act("create-tags", schemas.createTags, (corp, b) => actions.consoleCreateTags(sandbox, corp, b));
  act("rename-tag", schemas.renameTag, (corp, b) => actions.consoleRenameTag(sandbox, corp, b));
  act("delete-tag", schemas.deleteTag, (corp, b) => actions.consoleDeleteTag(sandbox, corp, b.id));
  act("shuffle-tags", schemas.shuffleTags, (corp, b) =>
    actions.consoleShuffleTags(sandbox, corp, b.group_id),
  );
  act("confirm-mass-message", schemas.confirmMass, (corp, b) => actions.confirmMassMessage(sandbox, corp, b));
  act("refuse-transfer", schemas.refuseTransfer, (corp, b) => actions.refuseTransfer(sandbox, corp, b));

  // Callbacks: what was delivered, waiting for in-flight deliveries, URL verification.
  app.get("/corps/:corpId/callbacks", async (req) => {
    const corp = corpOf(req);
    const q = parse(z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) }), req.query);
    const all = sandbox.callbacks.deliveries(corp.corpId);
    return { total: all.length, deliveries: all.slice(-q.limit) };
  });
  app.post("/corps/:corpId/callbacks/flush", async (req) => {
    const corp = corpOf(req);
    await sandbox.callbacks.flush(corp.corpId);
    return { deliveries: sandbox.callbacks.deliveries(corp.corpId).length };
  });
  app.post("/corps/:corpId/callbacks/verify", async (req) => {
    const corp = corpOf(req);
    if (!corp.callback) throw new SimHttpError(409, "no_callback", "the corp has no callback config");
    return sandbox.callbacks.verifyUrl(corp);
  });

  // Faults.
  app.get("/corps/:corpId/faults", async (req) => {
    const f = corpOf(req).faults;
    return {
      rules: f.rules,
      rateLimits: { default: f.defaultRatePerMinute, perApi: Object.fromEntries(f.ratePerMinute) },
      callbacks: { duplicates: f.callbackDuplicates, reorderWindow: f.callbackReorderWindow },
    };
  });
  app.post("/corps/:corpId/faults", async (req, reply) => {
    const b = body(req, schemas.fault);
    const rule = corpOf(req).faults.arm(b);
    return reply.code(201).send(rule);
  });
  app.delete("/corps/:corpId/faults", async (req) => {
    corpOf(req).faults.clear();
    return { cleared: true };
  });
  app.post("/corps/:corpId/faults/expire-tokens", async (req) => ({
    expired: sandbox.expireTokens(corpOf(req).corpId),
  }));
  app.put("/corps/:corpId/faults/rate-limits", async (req) => {
    const f = corpOf(req).faults;
    const b = body(req, schemas.rateLimits);
    if (b.default !== undefined) f.defaultRatePerMinute = b.default;
    for (const [api, n] of Object.entries(b.perApi ?? {})) f.ratePerMinute.set(api, n);
    return { default: f.defaultRatePerMinute, perApi: Object.fromEntries(f.ratePerMinute) };
  });
  app.put("/corps/:corpId/faults/callbacks", async (req) => {
    const b = body(req, schemas.callbackFaults);
    return corpOf(req).faults.setCallbackFaults(b);
  });
}

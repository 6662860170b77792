/**
 * Flows (process engine, SPEC §6; CONTRACT "Flows"): the definition graph, the node type catalog's
 * params schemas, and the API DTOs. A draft is saved when it is structurally a graph; the deep checks
 * (params per node type and action, expressions, reachability, cycles) run at publish and validate.
 */
import { z } from "zod";
import { identityTypeSchema } from "./customers.ts";
import { isoDurationRe } from "./flow-expr.ts";

export const isoDuration = z.string().regex(isoDurationRe, "an ISO-8601 duration such as PT10M or P2D");
const name = z.string().trim().min(1).max(100);
const text = (max: number) => z.string().max(max);
/** An expression of the flow expression language (flow-expr.ts), checked at publish. */
const expression = z.string().trim().min(1).max(2000);

export const flowNodeTypes = [
  "trigger",
  "condition",
  "wait",
  "action",
  "approval",
  "task",
  "parallel",
  "join",
  "end",
] as const;
export type FlowNodeType = (typeof flowNodeTypes)[number];

// ── definition ─────────────────────────────────────────────────────────────────────────────────

export const flowNodeIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "1–64 letters, digits, _ . : -");

export const flowNodeSchema = z
  .object({
    id: flowNodeIdSchema.describe("Unique in the flow; edges and history name nodes by it."),
    /** One of `flowNodeTypes`; an unknown type is kept in a draft and refused at publish. */
    type: z
      .string()
      .min(1)
      .max(40)
      .describe(
        `One of ${flowNodeTypes.join(", ")} (an unknown type is kept in a draft, refused at publish).`,
      ),
    params: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        "The node type's params (GET /api/flow-node-types gives each type's JSON Schema; an action node's are `action` plus that action's own params). Checked at publish.",
      ),
    /** Designer canvas position. */
    position: z.object({ x: z.number(), y: z.number() }).optional().describe("Designer canvas position."),
    label: text(200).optional().describe("Name shown on the canvas and in the monitor."),
  })
  .describe("A step of the flow. See docs/flows.md for every node type and its params.");
export type FlowNode = z.infer<typeof flowNodeSchema>;

export const flowEdgeSchema = z
  .object({
    from: flowNodeIdSchema,
    to: flowNodeIdSchema,
    /**
     * Which outcome of `from` takes this edge: condition `true`/`false` or a branch name, wait
     * `event`/`timeout`, approval `approved`/`rejected`/`escalated`, task outcomes, any node `error`.
     * Absent: the node's normal way on.
     */
    when: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        "The outcome of `from` that takes this edge: condition true/false or a branch name (default), wait event/timeout, approval approved/rejected/escalated, task outcomes, flow.start with wait completed/failed/cancelled/timeout, action blocked, any node error. Absent: the normal way on.",
      ),
  })
  .describe("A directed edge between two nodes.");
export type FlowEdge = z.infer<typeof flowEdgeSchema>;

export const flowReentrySchema = z.discriminatedUnion("mode", [
  /** A customer enters this flow once, ever (default). */
  z.object({ mode: z.literal("once") }),
  /** Every trigger starts a new instance. */
  z.object({ mode: z.literal("every_time") }),
  /** Again only after `duration` since the last start. */
  z.object({ mode: z.literal("cooldown"), duration: isoDuration }),
]);
export type FlowReentry = z.infer<typeof flowReentrySchema>;

export const flowSettingsSchema = z.object({
  reentry: flowReentrySchema.default({ mode: "once" }),
  /** Instance variables with their initial values (`vars.<name>` in expressions). */
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.unknown()).default({}),
});
export type FlowSettings = z.infer<typeof flowSettingsSchema>;

export const flowDefinitionSchema = z
  .object({
    nodes: z.array(flowNodeSchema).max(500),
    edges: z.array(flowEdgeSchema).max(2000),
    settings: flowSettingsSchema
      .optional()
      .describe(
        'Re-entry rule ({"mode":"once"} default, "every_time", or "cooldown" with an ISO duration) and instance variables with their initial values.',
      ),
  })
  .describe(
    "A flow definition: a graph of nodes (trigger, condition, wait, action, approval, task, parallel, join, end) and edges. A draft is saved when it is structurally a graph; publish runs the deep checks (params per node type and action, expressions, reachability, cycles without a wait, sub-flow loops). Format and a worked example: docs/flows.md.",
  );
export type FlowDefinition = z.infer<typeof flowDefinitionSchema>;

// ── node params (the catalog) ──────────────────────────────────────────────────────────────────

/** Events a trigger can name besides domain events (`customer.tag_added`, `form.submitted`, …). */
export const flowTriggerKinds = ["schedule", "segment_entry", "webhook", "manual"] as const;

/**
 * `{"event":"customer.tag_added","tag":"VIP"}`. `event` is a domain event type or one of
 * `flowTriggerKinds`. `tag` narrows tag events; `filter` is an expression over `event`/`customer`;
 * any other string/number/boolean field must equal the event payload's field of that name.
 */
export const triggerParamsSchema = z.looseObject({
  event: z.string().min(1).max(100),
  tag: name.optional(),
  filter: expression.optional(),
  /** `schedule`: cron, 5 fields, in `tz` (default Asia/Shanghai). */
  cron: z.string().max(100).optional(),
  tz: z.string().max(64).optional(),
  /** `segment_entry` (and `schedule` for every member): the segment. */
  segmentId: z.string().max(100).optional(),
  /**
   * `segment_entry`: when the trigger is published (or its segment changes), start for the customers
   * already in the segment too. Default: only customers who enter from then on.
   */
  includeExisting: z.boolean().optional(),
  /** `form.submitted`: the form. */
  formId: z.string().max(100).optional(),
  /** Message events (`oa.message_received`): the text contains this, ignoring case. */
  keyword: z.string().min(1).max(100).optional(),
});

export const conditionParamsSchema = z.union([
  /** Outgoing edges `when: "true"` / `"false"`. */
  z.object({ expression }),
  /** First branch whose expression holds; edges `when: <branch name>`, else `when: "default"`. */
  z.object({
    branches: z
      .array(z.object({ name: z.string().min(1).max(64), expression }))
      .min(1)
      .max(20),
  }),
]);

export const waitParamsSchema = z.union([
  z.object({ duration: isoDuration }),
  /** An ISO time, or an expression giving epoch ms / an ISO time (e.g. `date(customer.attributes.birthday)`). */
  z.object({ until: z.string().min(1).max(2000) }),
  /** Until the customer's event (edge `event`) or the timeout (edge `timeout`). */
  z.object({ event: z.string().min(1).max(100), timeout: isoDuration, filter: expression.optional() }),
]);

export const retryParamsSchema = z.object({
  attempts: z.number().int().min(1).max(20).default(3),
  backoff: isoDuration.default("PT1S"),
});

/** `{"action":"customer.add_tag","tag":"VIP"}`: the action's own params sit beside `action`. */
export const actionParamsSchema = z.looseObject({
  action: z.string().min(1).max(100),
  /** Retries of a failing action (transient errors) before its `error` edge; default 3 from PT1S doubling. */
  retry: retryParamsSchema.optional(),
  /**
   * Marketing actions (a WeCom message, an OA template message) ask the contact policy first. When it
   * refuses the customer (opted out, over a cap): `branch` takes the node's `blocked` edge (else its
   * `error` edge), `skip` goes on by the normal edge without the touch. Default: `branch` when the node
   * has a `blocked` or `error` edge, else `skip`. Quiet hours never refuse: the token waits until they end.
   */
  onBlocked: z.enum(["skip", "branch"]).optional(),
});

export const assigneeRuleSchema = z.union([
  z.object({ role: z.string().min(1).max(40) }),
  z.object({ userId: z.string().min(1).max(100) }),
  z.object({ userIds: z.array(z.string().min(1).max(100)).min(1).max(50) }),
  /** The customer's owner staff. */
  z.object({ owner: z.literal(true) }),
  /** The manager of the customer's owner (`"owner"`) or of a user id. */
  z.object({ managerOf: z.string().min(1).max(100) }),
]);
export type AssigneeRule = z.infer<typeof assigneeRuleSchema>;

export const approvalParamsSchema = z.object({
  title: z.string().min(1).max(200),
  description: text(2000).optional(),
  assignee: assigneeRuleSchema,
  /** `any`: the first decision decides; `all`: `approvers` approvals needed, any rejection rejects. */
  mode: z.enum(["any", "all"]).default("any"),
  approvers: z.number().int().min(1).max(20).optional(),
  /** First matching threshold sets the approvals needed, e.g. `{"when":"event.amount > 5000000","approvers":2}`. */
  thresholds: z
    .array(z.object({ when: expression, approvers: z.number().int().min(1).max(20) }))
    .max(10)
    .optional(),
  /** Unhandled for `after` → reassigned to `to` (and the `escalated` edge taken when there is one). */
  escalation: z.object({ after: isoDuration, to: assigneeRuleSchema.optional() }).optional(),
});

export const taskParamsSchema = z.object({
  title: z.string().min(1).max(200),
  description: text(2000).optional(),
  assignee: assigneeRuleSchema,
  /** Outcomes the assignee picks from; each an edge `when`. Default `["done"]`. */
  outcomes: z.array(z.string().min(1).max(64)).min(1).max(10).optional(),
  due: isoDuration.optional(),
  escalation: z.object({ after: isoDuration, to: assigneeRuleSchema.optional() }).optional(),
});

export const parallelParamsSchema = z.object({});
export const joinParamsSchema = z.object({
  /** `all` (default): every incoming branch; `any`: the first arrival continues, later ones end. */
  mode: z.enum(["all", "any"]).default("all"),
});
export const endParamsSchema = z.object({ status: z.enum(["completed", "failed"]).default("completed") });

export const flowNodeParamsSchemas = {
  trigger: triggerParamsSchema,
  condition: conditionParamsSchema,
  wait: waitParamsSchema,
  action: actionParamsSchema,
  approval: approvalParamsSchema,
  task: taskParamsSchema,
  parallel: parallelParamsSchema,
  join: joinParamsSchema,
  end: endParamsSchema,
} satisfies Record<FlowNodeType, z.ZodType>;

// Built-in actions' params (the server's action registry holds these; modules add their own).
export const addTagActionSchema = z.object({ tag: name });
export const removeTagActionSchema = z.object({ tag: name });
export const setAttributeActionSchema = z.object({
  key: z.string().min(1).max(64),
  /** A literal, or with `expression: true` an expression evaluated at run time. */
  value: z.unknown(),
  expression: z.boolean().optional(),
});
export const setStageActionSchema = z.object({ stage: z.string().min(1).max(64).nullable() });
export const createTaskActionSchema = z.object({
  title: z.string().min(1).max(200),
  description: text(2000).optional(),
  assignee: assigneeRuleSchema,
  due: isoDuration.optional(),
});
export const webhookCallActionSchema = z.object({
  url: z.string().url().max(2048),
  method: z.enum(["POST", "PUT", "GET"]).default("POST"),
  headers: z.record(z.string(), z.string().max(1000)).optional(),
  /** Sent as JSON; default `{instanceId, flowId, customerId, vars, event}`. */
  body: z.unknown().optional(),
  timeoutMs: z.number().int().min(100).max(30_000).default(10_000),
});
/**
 * `flow.start`: starts the flow's published version for the instance's customer (child vars:
 * `parentInstanceId`). `wait: false` (default): fire and forget, the parent goes on at once.
 * `wait: true`: the parent's token waits (durably) until the child ends, then takes the edge
 * `completed`, `failed` or `cancelled` (a missing `cancelled` edge falls back to `failed`; a missing
 * one to the unlabelled edge) with `vars.subflow = {instanceId, status, vars}` (the child's final
 * vars). `timeout` (only with `wait`): after it the child is cancelled and the `timeout` edge (else
 * the unlabelled one) is taken. Sub-flows waited for nest at most `maxSubflowDepth` deep.
 */
export const startFlowActionSchema = z
  .object({
    flowId: z.string().min(1).max(100),
    wait: z.boolean().default(false),
    timeout: isoDuration.optional(),
  })
  .refine((p) => p.wait || p.timeout === undefined, {
    message: "timeout needs wait: true",
    path: ["timeout"],
  });
/** How deep sub-flows that are waited for may nest (a flow waiting for itself stops there). */
export const maxSubflowDepth = 5;
/** Outcome edges of `flow.start` with `wait: true`. */
export const subflowOutcomes = ["completed", "failed", "cancelled", "timeout"] as const;
export const setVarActionSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
  value: expression,
});
export const wecomSendMessageActionSchema = z.object({
  text: z.string().min(1).max(4000),
  /** `transactional` (service progress, a bill) is exempt from caps and quiet hours when the channel says so. */
  purpose: z.enum(["marketing", "transactional"]).default("marketing"),
});

/**
 * `oa.send_template` (registered by the Official Account module): one template message to the
 * instance's customer through the OA template send (a stored step per recipient). `data` values may
 * use `{{name}}` (the customer's name); `articleId` links a content-library article through a tracked
 * URL (wins over `url`).
 */
export const oaSendTemplateActionSchema = z.object({
  templateId: z.string().trim().min(1).max(128),
  data: z
    .record(z.string().regex(/^[A-Za-z0-9_]{1,40}$/, "a template keyword key"), z.string().max(200))
    .default({}),
  articleId: z.string().min(1).max(64).optional(),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  purpose: z.enum(["marketing", "transactional"]).default("marketing"),
});

// ── webhook triggers ───────────────────────────────────────────────────────────────────────────

/** Largest accepted body of `POST /hooks/flows/:token`, in bytes. */
export const flowWebhookBodyLimit = 64 * 1024;

/**
 * The body of `POST /hooks/flows/:token`: any JSON object, readable as `event.*` in expressions. The
 * customer is `customerId`, or found by `identity` (`{"type":"phone","value":"138…"}`, an external id
 * such as `{"type":"custom","scope":"erp","value":"A-17"}`), or none (an instance without customer).
 */
export const flowWebhookBodySchema = z.looseObject({
  customerId: z.string().min(1).max(100).optional(),
  identity: z
    .strictObject({
      type: identityTypeSchema,
      value: z.string().min(1).max(200),
      scope: z.string().max(100).optional(),
    })
    .optional(),
});
export const flowWebhookAcceptedSchema = z.object({ instanceIds: z.array(z.string()) });

/** A webhook trigger node's inbound URL (the token is its secret). */
export const flowWebhookSchema = z.object({
  nodeId: z.string(),
  token: z.string(),
  url: z.string(),
  createdAt: z.string(),
});
export type FlowWebhookDto = z.infer<typeof flowWebhookSchema>;

// ── API ────────────────────────────────────────────────────────────────────────────────────────

export const flowStatuses = ["draft", "active", "archived"] as const;
export const flowInstanceStatuses = ["running", "waiting", "completed", "failed", "cancelled"] as const;
export type FlowInstanceStatus = (typeof flowInstanceStatuses)[number];

export const flowCreateSchema = z.object({
  name,
  description: text(2000).optional(),
  definition: flowDefinitionSchema.default({ nodes: [], edges: [] }),
});
export const flowUpdateSchema = z.object({
  name: name.optional(),
  description: text(2000).optional(),
  definition: flowDefinitionSchema,
});

export const flowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  /** `draft` until first published, then `active`; `archived` stops its triggers. */
  status: z.enum(flowStatuses),
  /** The draft's version number: what publish will make (equals publishedVersion when unchanged). */
  version: z.number().int(),
  publishedVersion: z.number().int().nullable(),
  hasUnpublishedChanges: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type FlowDto = z.infer<typeof flowSchema>;

export const flowVersionSchema = z.object({
  version: z.number().int(),
  definition: flowDefinitionSchema,
  publishedAt: z.string(),
  publishedBy: z.string().nullable(),
});
export type FlowVersionDto = z.infer<typeof flowVersionSchema>;

export const flowDetailSchema = flowSchema.extend({
  definition: flowDefinitionSchema,
  versions: z.array(z.object({ version: z.number().int(), publishedAt: z.string() })),
});
export type FlowDetailDto = z.infer<typeof flowDetailSchema>;

export const flowValidationErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  edge: z.object({ from: z.string(), to: z.string(), when: z.string().optional() }).optional(),
});
export type FlowValidationError = z.infer<typeof flowValidationErrorSchema>;
export const flowValidationSchema = z.object({
  valid: z.boolean(),
  errors: z.array(flowValidationErrorSchema),
  /** Every node id some error names (also `details.nodeIds` of a refused publish). */
  nodeIds: z.array(z.string()),
});

export const flowInstanceSchema = z.object({
  id: z.string(),
  flowId: z.string(),
  customerId: z.string().nullable(),
  version: z.number().int(),
  status: z.enum(flowInstanceStatuses),
  paused: z.boolean(),
  currentNodes: z.array(z.string()),
  vars: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
});
export type FlowInstanceDto = z.infer<typeof flowInstanceSchema>;

export const flowNodeRunSchema = z.object({
  id: z.string(),
  tokenId: z.string(),
  nodeId: z.string(),
  nodeType: z.string(),
  status: z.enum(["active", "done", "failed", "cancelled"]),
  /** The edge taken out (`when`), or the action's outcome. */
  outcome: z.string().nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  enteredAt: z.string(),
  leftAt: z.string().nullable(),
});
export const flowInstanceDetailSchema = flowInstanceSchema.extend({
  history: z.array(flowNodeRunSchema),
  tokens: z.array(
    z.object({ id: z.string(), nodeId: z.string(), status: z.string(), wait: z.unknown().nullable() }),
  ),
});
export type FlowInstanceDetailDto = z.infer<typeof flowInstanceDetailSchema>;

export const flowStartSchema = z.object({
  customerId: z.string().min(1).max(100).nullable().optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  /** Start even when the re-entry rule would refuse. */
  force: z.boolean().optional(),
});

export const flowDryRunSchema = z.object({
  customerId: z.string().min(1).max(100).optional(),
  event: z
    .object({ type: z.string().max(100), payload: z.record(z.string(), z.unknown()).default({}) })
    .optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  /** Draft (default) or a published version. */
  version: z.number().int().min(1).optional(),
  /** Outcomes to assume at approvals/tasks/event waits by node id (default: the first edge). */
  choices: z.record(z.string(), z.string()).optional(),
});
export const flowDryRunResultSchema = z.object({
  path: z.array(z.string()),
  steps: z.array(
    z.object({ nodeId: z.string(), type: z.string(), outcome: z.string().nullable(), wouldDo: z.string() }),
  ),
  endedBy: z.enum(["end", "limit", "dead_end", "error"]),
});

export const flowAnalyticsSchema = z.object({
  version: z.number().int().nullable(),
  instances: z.object({
    total: z.number().int(),
    running: z.number().int(),
    waiting: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
  }),
  nodes: z.array(
    z.object({
      nodeId: z.string(),
      type: z.string(),
      entered: z.number().int(),
      left: z.number().int(),
      /** Instances that entered this node and went on to complete the flow. */
      converted: z.number().int(),
      failed: z.number().int(),
      medianMs: z.number().nullable(),
    }),
  ),
});

/**
 * `GET /api/flows/:id/lifecycle`: the lifecycle stage each of the flow's customers is in now (journeys
 * move it with `customer.set_stage`), split by whether the customer has a live (running or waiting)
 * instance of the flow or only finished ones. `stage: null`: no stage set.
 */
export const flowLifecycleSchema = z.object({
  /** Distinct customers with an instance of this flow (any version, any status). */
  customers: z.number().int(),
  /** Of those, customers with a running or waiting instance now. */
  running: z.number().int(),
  /** Customers whose instances have all ended (completed, failed or cancelled). */
  finished: z.number().int(),
  stages: z.array(
    z.object({
      stage: z.string().nullable(),
      customers: z.number().int(),
      running: z.number().int(),
      finished: z.number().int(),
    }),
  ),
});
export type FlowLifecycleDto = z.infer<typeof flowLifecycleSchema>;

export const flowMigrateSchema = z.object({
  toVersion: z.number().int().min(1),
  fromVersion: z.number().int().min(1).optional(),
  /** Old node id → new node id for nodes renamed or removed; others keep their id. */
  mapping: z.record(z.string(), z.string()).optional(),
});
export const flowMigratePlanSchema = z.object({
  toVersion: z.number().int(),
  moves: z.array(
    z.object({
      instanceId: z.string(),
      fromVersion: z.number().int(),
      from: z.array(z.string()),
      to: z.array(z.string()),
    }),
  ),
  /** Instances that cannot move (a current node has no counterpart), with the reason. */
  blocked: z.array(z.object({ instanceId: z.string(), nodeId: z.string(), reason: z.string() })),
  migrated: z.number().int().optional(),
});

export const flowNodeTypeInfoSchema = z.object({
  type: z.string(),
  /** JSON Schema of `params` (for the designer's property panels). */
  paramsSchema: z.unknown(),
  /** Outcome edges this type may have (`when` values); null = free (condition branches, tasks). */
  outcomes: z.array(z.string()).nullable(),
});
export const flowActionInfoSchema = z.object({
  action: z.string(),
  title: z.string(),
  paramsSchema: z.unknown(),
  /** Runs inside the instance's transaction (database effect) or outside (a call). */
  kind: z.enum(["transactional", "external"]),
});
export const flowCatalogSchema = z.object({
  nodeTypes: z.array(flowNodeTypeInfoSchema),
  actions: z.array(flowActionInfoSchema),
  triggerEvents: z.array(z.string()),
});

// ── tasks ──────────────────────────────────────────────────────────────────────────────────────

export const taskStatuses = ["open", "completed", "cancelled"] as const;
export const taskSchema = z.object({
  id: z.string(),
  type: z.enum(["approval", "task"]),
  title: z.string(),
  description: z.string(),
  customerId: z.string().nullable(),
  flowInstanceId: z.string().nullable(),
  flowId: z.string().nullable(),
  nodeId: z.string().nullable(),
  status: z.enum(taskStatuses),
  assigneeUserIds: z.array(z.string()),
  assigneeRoles: z.array(z.string()),
  outcomes: z.array(z.string()),
  outcome: z.string().nullable(),
  comment: z.string().nullable(),
  decisions: z.array(
    z.object({
      userId: z.string().nullable(),
      outcome: z.string(),
      comment: z.string().nullable(),
      at: z.string(),
    }),
  ),
  escalated: z.boolean(),
  dueAt: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  /**
   * What made the task: `flow` (an approval/task node or the `task.create` action of the instance
   * `flowInstanceId`, node `nodeId`), `oa_message` (the rule "OA message → follow-up for the owner
   * staff"), `manual` (no automation); other modules may add their own keys.
   */
  source: z.string(),
  /** The WeCom member (userid) the task is for, when it came from one (owner-staff follow-ups). */
  staffUserid: z.string().nullable(),
});
export type TaskDto = z.infer<typeof taskSchema>;
export const taskListQuerySchema = z.object({
  status: z.enum(taskStatuses).optional(),
  /** `mine` (default): assigned to the caller or their roles; `all`: every task (tasks.manage). */
  scope: z.enum(["mine", "all"]).default("mine"),
  customerId: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export const taskCompleteSchema = z.object({
  outcome: z.string().min(1).max(64),
  comment: z.string().max(2000).optional(),
});

import { z } from "zod";

/**
 * The segment expression language (SPEC §1), as the AST the server compiles and the web builder
 * produces. The text form is what users type, e.g.
 * `tag("VIP") AND NOT tag("流失") AND (attr.city = "上海" OR attr.age >= 30) AND has_event("order.paid", 30d)`;
 * the server parses it into this tree and prints a tree back as canonical text.
 */

/** Limits shared by the parser and the AST validator. */
export const segmentLimits = { maxLength: 4000, maxDepth: 20, maxPredicates: 100, maxString: 500 } as const;

/** Standard customer fields a predicate may name; custom attributes are `attr.<key>`. */
export const segmentStandardFields = ["name", "email", "source", "lifecycle_stage", "created_at"] as const;
export type SegmentStandardField = (typeof segmentStandardFields)[number];

/** `name` | `email` | `source` | `lifecycle_stage` | `created_at` | `attr.<key>` with key `[a-z][a-z0-9_]*`. */
export const segmentFieldSchema = z
  .string()
  .regex(/^(name|email|source|lifecycle_stage|created_at|attr\.[a-z][a-z0-9_]{0,63})$/, "unknown field");
export type SegmentField = z.infer<typeof segmentFieldSchema>;

/** A duration: whole days or hours, `30d`, `12h`. */
export const segmentDurationSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,5}[dh]$/, "a duration such as 30d or 12h");
export type SegmentDuration = z.infer<typeof segmentDurationSchema>;

export const segmentCompareOps = ["=", "!=", ">", ">=", "<", "<="] as const;
export const segmentCompareOpSchema = z.enum(segmentCompareOps);
export type SegmentCompareOp = z.infer<typeof segmentCompareOpSchema>;

const text = z.string().max(segmentLimits.maxString);
export const segmentValueSchema = z.union([text, z.number().finite(), z.boolean()]);
export type SegmentValue = z.infer<typeof segmentValueSchema>;

/** A leaf of the tree: one test on one customer. */
export type SegmentPredicate =
  | { type: "tag"; name: string }
  | { type: "has_event"; event: string; within: SegmentDuration | null }
  | {
      type: "count_event";
      event: string;
      within: SegmentDuration | null;
      op: SegmentCompareOp;
      value: number;
    }
  | { type: "compare"; field: SegmentField; op: SegmentCompareOp; value: SegmentValue }
  | { type: "contains"; field: SegmentField; value: string }
  | { type: "in"; field: SegmentField; values: Array<string | number> }
  | { type: "exists"; field: SegmentField }
  | { type: "within"; field: SegmentField; duration: SegmentDuration };

export type SegmentExpr =
  | SegmentPredicate
  | { type: "and"; items: SegmentExpr[] }
  | { type: "or"; items: SegmentExpr[] }
  | { type: "not"; item: SegmentExpr };

export const segmentPredicateSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("tag"), name: text.min(1) }),
  z.strictObject({
    type: z.literal("has_event"),
    event: text.min(1),
    within: segmentDurationSchema.nullable(),
  }),
  z.strictObject({
    type: z.literal("count_event"),
    event: text.min(1),
    within: segmentDurationSchema.nullable(),
    op: segmentCompareOpSchema,
    value: z.number().int().min(0).max(1_000_000_000),
  }),
  z.strictObject({
    type: z.literal("compare"),
    field: segmentFieldSchema,
    op: segmentCompareOpSchema,
    value: segmentValueSchema,
  }),
  z.strictObject({ type: z.literal("contains"), field: segmentFieldSchema, value: text.min(1) }),
  z.strictObject({
    type: z.literal("in"),
    field: segmentFieldSchema,
    values: z
      .array(z.union([text, z.number().finite()]))
      .min(1)
      .max(500),
  }),
  z.strictObject({ type: z.literal("exists"), field: segmentFieldSchema }),
  z.strictObject({ type: z.literal("within"), field: segmentFieldSchema, duration: segmentDurationSchema }),
]);

/** The whole tree. Depth and size limits and field/operator rules are checked by the server. */
export const segmentExprSchema: z.ZodType<SegmentExpr> = z.lazy(() =>
  z.union([
    segmentPredicateSchema,
    z.strictObject({ type: z.literal("and"), items: z.array(segmentExprSchema).min(2) }),
    z.strictObject({ type: z.literal("or"), items: z.array(segmentExprSchema).min(2) }),
    z.strictObject({ type: z.literal("not"), item: segmentExprSchema }),
  ]),
);

/** Something that compiles but probably is not what the user meant (e.g. a tag that does not exist). */
export const segmentWarningSchema = z.object({
  code: z.enum(["unknown_tag"]),
  message: z.string(),
  tag: z.string().optional(),
});
export type SegmentWarning = z.infer<typeof segmentWarningSchema>;

export const segmentKindSchema = z.enum(["dynamic", "snapshot"]);
export type SegmentKind = z.infer<typeof segmentKindSchema>;

export const segmentDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  expression: z.string(),
  ast: segmentExprSchema,
  kind: segmentKindSchema,
  memberCount: z.number().int().nullable(),
  countedAt: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SegmentDto = z.infer<typeof segmentDtoSchema>;

/** `POST /api/segments`: give the text `expression` (or, from the builder, the `ast`). */
export const segmentCreateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    expression: z.string().max(segmentLimits.maxLength).optional(),
    ast: segmentExprSchema.optional(),
    kind: segmentKindSchema.default("dynamic"),
  })
  .refine((b) => b.expression !== undefined || b.ast !== undefined, "expression or ast is required");
export type SegmentCreate = z.input<typeof segmentCreateSchema>;

export const segmentUpdateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  expression: z.string().max(segmentLimits.maxLength).optional(),
  ast: segmentExprSchema.optional(),
  kind: segmentKindSchema.optional(),
});
export type SegmentUpdate = z.input<typeof segmentUpdateSchema>;

/** A customer as segment members and previews show it (a fuller customer DTO comes later). */
export const segmentMemberSchema = z.object({ id: z.string(), name: z.string(), tags: z.array(z.string()) });
export type SegmentMember = z.infer<typeof segmentMemberSchema>;

export const segmentPreviewSchema = z.object({
  count: z.number().int(),
  sample: z.array(segmentMemberSchema),
  expression: z.string(),
  ast: segmentExprSchema,
  warnings: z.array(segmentWarningSchema),
});
export type SegmentPreview = z.infer<typeof segmentPreviewSchema>;

import type { Scope } from "../../platform/db/index.ts";
import { AppError } from "../../platform/errors.ts";
import { isDateOnly } from "./dates.ts";
import type { AttributeValue } from "./model.ts";

export type FieldType = "text" | "number" | "boolean" | "date" | "select" | "multiselect";

export interface FieldDef {
  id: string;
  key: string;
  label: string;
  type: FieldType;
  options: string[];
  standard: boolean;
}

/** Attributes every tenant has; custom fields add to them (SPEC §1 "standard and custom typed attributes"). */
export const standardFields: FieldDef[] = [
  { key: "city", label: "城市", type: "text" },
  { key: "province", label: "省份", type: "text" },
  { key: "district", label: "区县", type: "text" },
  { key: "address", label: "地址", type: "text" },
  { key: "gender", label: "性别", type: "select", options: ["男", "女", "未知"] },
  { key: "birthday", label: "生日", type: "date" },
  { key: "age", label: "年龄", type: "number" },
  { key: "company", label: "公司", type: "text" },
  { key: "job_title", label: "职位", type: "text" },
  { key: "remark", label: "备注", type: "text" },
  { key: "level", label: "会员等级", type: "text" },
].map((f) => ({ id: `std_${f.key}`, options: [], standard: true, ...f }) as FieldDef);

export async function loadFieldDefs(scope: Scope): Promise<Map<string, FieldDef>> {
  const rows = await scope.query<{
    id: string;
    key: string;
    label: string;
    type: FieldType;
    options: string[];
  }>("select id, key, label, type, options from custom_fields order by created_at");
  const defs = new Map(standardFields.map((f) => [f.key, f]));
  for (const r of rows) defs.set(r.key, { ...r, standard: false });
  return defs;
}

/** Checks attribute values against their field types; unknown keys and wrong types are 400s. */
export function validateAttributes(
  defs: Map<string, FieldDef>,
  attributes: Record<string, AttributeValue>,
): void {
  const problems: Array<{ field: string; message: string }> = [];
  for (const [key, value] of Object.entries(attributes)) {
    const def = defs.get(key);
    const field = `attributes.${key}`;
    if (!def) {
      problems.push({ field, message: "unknown attribute: define a custom field first" });
      continue;
    }
    if (value === null) continue;
    const bad = (expected: string) => problems.push({ field, message: `expected ${expected}` });
    switch (def.type) {
      case "text":
        if (typeof value !== "string") bad("text");
        break;
      case "number":
        if (typeof value !== "number" || !Number.isFinite(value)) bad("a number");
        break;
      case "boolean":
        if (typeof value !== "boolean") bad("true or false");
        break;
      case "date":
        if (typeof value !== "string" || !isDateOnly(value)) {
          bad("a date YYYY-MM-DD");
        }
        break;
      case "select":
        if (typeof value !== "string" || (def.options.length > 0 && !def.options.includes(value))) {
          bad(`one of ${def.options.join(", ")}`);
        }
        break;
      case "multiselect":
        if (
          !Array.isArray(value) ||
          (def.options.length > 0 && value.some((v) => !def.options.includes(v)))
        ) {
          bad(`a list of ${def.options.join(", ")}`);
        }
        break;
    }
  }
  if (problems.length) {
    throw new AppError(
      "validation_failed",
      problems.map((p) => `${p.field}: ${p.message}`).join("; "),
      problems,
    );
  }
}

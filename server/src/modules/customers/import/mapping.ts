import { identityTypes } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import { type FieldDef, loadFieldDefs, validateAttributes } from "../fields.ts";
import type { AttributeValue, IdentityInput } from "../model.ts";
import { cleanTagName } from "../tags.service.ts";

/** Column → target: "name" | "phone" | "email" | "tags" | "attr.<key>" | "identity.<type>" | "skip". */
export type Mapping = Record<string, string>;

const identitySet: ReadonlySet<string> = new Set(identityTypes);

/** Checks a mapping against the file's columns and the tenant's fields. */
export async function validateMapping(scope: Scope, columns: string[], mapping: Mapping): Promise<void> {
  const problems: string[] = [];
  const defs = await loadFieldDefs(scope);
  const once = new Map<string, string>();
  let strong = false;
  for (const [column, target] of Object.entries(mapping)) {
    if (!columns.includes(column)) {
      problems.push(`“${column}” is not a column of the file`);
      continue;
    }
    if (target === "skip" || target === "tags") continue;
    if (target === "name" || target === "phone" || target === "email") {
      const prev = once.get(target);
      if (prev) problems.push(`${target} is mapped twice (“${prev}” and “${column}”)`);
      once.set(target, column);
      strong = true;
    } else if (target.startsWith("attr.")) {
      if (!defs.has(target.slice(5)))
        problems.push(`${target}: unknown attribute, define a custom field first`);
    } else if (target.startsWith("identity.")) {
      if (!identitySet.has(target.slice(9))) problems.push(`${target}: unknown identity type`);
      strong = true;
    } else {
      problems.push(`“${column}”: unknown target ${target}`);
    }
  }
  if (!strong) problems.push("map at least one column to name, phone, email or an identity");
  if (problems.length) throw new AppError("validation_failed", problems.join("; "), { problems });
}

const guesses: Array<[RegExp, string]> = [
  [/^(name|姓名|名字|客户名称?|客户姓名|联系人)$/i, "name"],
  [/^(phone|mobile|tel|手机|手机号|手机号码|电话|电话号码|联系电话|联系方式)$/i, "phone"],
  [/^(e-?mail|邮箱|电子邮箱|邮件|电子邮件)$/i, "email"],
  [/^(tags?|标签|客户标签)$/i, "tags"],
  [/^(unionid)$/i, "identity.unionid"],
];

/** A first guess from the header names (the console lets the user correct it). */
export async function suggestMapping(scope: Scope, columns: string[]): Promise<Mapping> {
  const defs = await loadFieldDefs(scope);
  const out: Mapping = {};
  const used = new Set<string>();
  for (const column of columns) {
    const c = column.trim();
    let target = guesses.find(([re]) => re.test(c))?.[1];
    if (!target) {
      const key = c.startsWith("attr.") ? c.slice(5) : c;
      const def = [...defs.values()].find((d) => d.key === key || d.label === c);
      if (def) target = `attr.${def.key}`;
    }
    if (!target && c.startsWith("identity.") && identitySet.has(c.slice(9))) target = c;
    if (target && target !== "tags" && used.has(target)) target = undefined;
    if (target) used.add(target);
    out[column] = target ?? "skip";
  }
  return out;
}

/** What one CSV row says about a person. */
export interface RowInput {
  name?: string;
  phone?: string;
  email?: string;
  tags: string[];
  attributes: Record<string, AttributeValue>;
  identities: IdentityInput[];
}

export const tagSplit = /[,，;；|]/;

/** A compiled mapping: turns cells into a RowInput, or throws a message for the error report. */
export function compileMapping(columns: string[], mapping: Mapping, defs: Map<string, FieldDef>) {
  const plan = columns.map((c) => mapping[c] ?? "skip");
  const width = columns.length;
  return (cells: string[]): RowInput => {
    if (cells.length > width && cells.slice(width).some((c) => c.trim() !== "")) {
      throw new Error(`the row has ${cells.length} cells but the header has ${width} columns`);
    }
    const out: RowInput = { tags: [], attributes: {}, identities: [] };
    for (let i = 0; i < width; i++) {
      const target = plan[i]!;
      if (target === "skip") continue;
      const value = (cells[i] ?? "").trim();
      if (!value) continue;
      if (target === "name") {
        if ([...value].length > 100) throw new Error("the name is longer than 100 characters");
        out.name = value;
      } else if (target === "phone") out.phone = value;
      else if (target === "email") out.email = value;
      else if (target === "tags") {
        for (const t of value.split(tagSplit)) {
          if (!t.trim()) continue;
          try {
            out.tags.push(cleanTagName(t));
          } catch (err) {
            throw new Error(`tag “${t.trim().slice(0, 60)}”: ${(err as Error).message}`);
          }
        }
      } else if (target.startsWith("attr.")) {
        const key = target.slice(5);
        out.attributes[key] = convert(defs.get(key), value);
      } else if (target.startsWith("identity.")) {
        out.identities.push({ type: target.slice(9) as IdentityInput["type"], value });
      }
    }
    if (Object.keys(out.attributes).length) {
      try {
        validateAttributes(defs, out.attributes);
      } catch (err) {
        throw new Error((err as Error).message);
      }
    }
    return out;
  };
}

function convert(def: FieldDef | undefined, value: string): AttributeValue {
  switch (def?.type) {
    case "number": {
      const n = Number(value.replace(/,/g, ""));
      if (!Number.isFinite(n)) throw new Error(`${def.key}: “${value.slice(0, 40)}” is not a number`);
      return n;
    }
    case "boolean": {
      const v = value.toLowerCase();
      if (["true", "yes", "y", "1", "是", "对"].includes(v)) return true;
      if (["false", "no", "n", "0", "否", "不是"].includes(v)) return false;
      throw new Error(`${def.key}: “${value.slice(0, 40)}” is not yes/no`);
    }
    case "date": {
      const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(value);
      if (!m) throw new Error(`${def.key}: “${value.slice(0, 40)}” is not a date (YYYY-MM-DD)`);
      return `${m[1]}-${m[2]!.padStart(2, "0")}-${m[3]!.padStart(2, "0")}`;
    }
    case "multiselect":
      return value
        .split(tagSplit)
        .map((v) => v.trim())
        .filter(Boolean);
    default:
      return value;
  }
}

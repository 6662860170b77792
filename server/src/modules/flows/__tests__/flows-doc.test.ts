import { readFileSync } from "node:fs";
import { join } from "node:path";
import { flowDefinitionSchema, flowNodeTypes } from "@siyu/contracts";
import { describe, expect, it } from "vitest";
import type { Platform } from "../../../platform/platform.ts";
import { registerBuiltinActions } from "../actions/builtin.ts";
import { flowActions, flowTriggerEvents } from "../actions/registry.ts";
import { validateDefinition } from "../definition.ts";

const doc = readFileSync(join(import.meta.dirname, "../../../../../docs/flows.md"), "utf8");

/** The JSON code block right after `<!-- flow-example: name -->`. */
function example(name: string): unknown {
  const at = doc.indexOf(`<!-- flow-example: ${name} -->`);
  expect(at).toBeGreaterThanOrEqual(0);
  const block = /```json\n([\s\S]*?)\n```/.exec(doc.slice(at));
  expect(block).not.toBeNull();
  return JSON.parse(block![1]!);
}

/** The built-in actions on a registry of their own (the registry is keyed by the platform object). */
function registry() {
  const platform = {} as Platform;
  registerBuiltinActions(platform);
  return { actions: flowActions(platform), events: flowTriggerEvents(platform) };
}

describe("docs/flows.md", () => {
  it("the worked example passes the contracts schema and every publish check of the definition", () => {
    const def = flowDefinitionSchema.parse(example("complaint"));
    const { actions, events } = registry();
    expect(validateDefinition(def, actions, events)).toEqual([]);
    // It shows what it claims: a sub-flow waited for with its outcome edges, and every kind of wait.
    const types = new Set(def.nodes.map((n) => n.type));
    for (const t of ["trigger", "condition", "wait", "action", "approval", "task", "end"])
      expect(types).toContain(t);
    expect(def.nodes.find((n) => n.id === "refund")?.params).toMatchObject({
      action: "flow.start",
      wait: true,
    });
    expect(def.edges.filter((e) => e.from === "refund").map((e) => e.when)).toEqual([
      "completed",
      "failed",
      "timeout",
    ]);
  });

  it("a broken copy of the example is refused (the check above can fail)", () => {
    const def = flowDefinitionSchema.parse(example("complaint"));
    const { actions, events } = registry();
    const broken = {
      ...def,
      edges: def.edges.map((e) => (e.from === "refund" && e.when === "timeout" ? { ...e, when: "late" } : e)),
    };
    expect(validateDefinition(broken, actions, events).map((e) => e.code)).toEqual(["bad_edge"]);
  });

  it("documents every node type and every built-in action", () => {
    for (const t of flowNodeTypes) expect(doc).toContain(`### \`${t}\``);
    for (const a of registry().actions.keys()) expect(doc).toContain(`\`${a}\``);
  });
});

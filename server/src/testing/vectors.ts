import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface Vector {
  id: string;
  platform: string;
  input: Record<string, string>;
  expected: Record<string, string | number | boolean>;
}

let cache: Vector[] | undefined;

/** One verified protocol vector by id (server/test-vectors/vectors.json). */
export function loadVector(id: string): Vector {
  cache ??= (
    JSON.parse(readFileSync(resolve(import.meta.dirname, "../../test-vectors/vectors.json"), "utf8")) as {
      vectors: Vector[];
    }
  ).vectors;
  const vector = cache.find((v) => v.id === id);
  if (!vector) throw new Error(`no test vector ${id}`);
  return vector;
}

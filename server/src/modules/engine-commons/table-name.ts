/**
 * The shared pieces take the owning engine's table by name and put it into SQL text: only a plain
 * lower-case identifier is accepted, checked once when the engine builds its helper.
 */
export function tableName(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a table name: ${JSON.stringify(name)}`);
  return name;
}

/** The text of a failure as stored on a task or run row (bounded). */
export const failureText = (err: unknown): string =>
  String(err instanceof Error ? err.message : err).slice(0, 2000);

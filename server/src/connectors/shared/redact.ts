/** Query parameters whose values are credentials on the platforms we talk to. */
export const sensitiveParams = [
  "access_token",
  "corpsecret",
  "secret",
  "appsecret",
  "component_access_token",
];

/** The URL with credential parameter values replaced, fit for logs. */
export function redactUrl(url: URL | string, params: readonly string[] = sensitiveParams): string {
  const u = new URL(url.toString());
  for (const p of params) if (u.searchParams.has(p)) u.searchParams.set(p, "[redacted]");
  return u.toString();
}

/** Replaces every occurrence of the given secret values in a text (platform errmsgs may echo input). */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}

/**
 * The raw query of a callback URL, each value decoded with decodeURIComponent only: signatures,
 * echostr and base64 values keep a literal `+` (a form parser would turn it into a space).
 * Throws URIError on a malformed escape; the caller answers 400.
 */
export function rawQuery(url: string): Map<string, string> {
  const out = new Map<string, string>();
  const at = url.indexOf("?");
  if (at < 0) return out;
  for (const part of url.slice(at + 1).split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    out.set(decodeURIComponent(key), decodeURIComponent(value));
  }
  return out;
}

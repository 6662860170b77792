import { useQuery } from "@tanstack/react-query";
import { ApiError, http, type Page } from "../../api/client.ts";
import { getToken } from "../../api/session.ts";

export interface ImportUpload {
  id: string;
  columns: string[];
  sample: string[][];
  encoding: string;
}

export type ImportStatus = "uploaded" | "running" | "completed" | "failed";

export interface ImportJob {
  id: string;
  status: ImportStatus;
  rowsTotal: number | null;
  rowsDone: number;
  created: number;
  updated: number;
  failed: number;
  encoding: string;
  fileName?: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt?: string;
  /** Last progress: every committed batch moves it. */
  updatedAt?: string;
  error?: string | null;
}

/** The server lets a running import be retried after this long without progress (interrupted). */
export const importStallMs = 10 * 60_000;

/** Failed, or running without progress for the stall time: the retry button is offered. */
export function canRetry(job: ImportJob, now = Date.now()): boolean {
  if (job.status === "failed") return true;
  if (job.status !== "running" || !job.updatedAt) return false;
  return now - Date.parse(job.updatedAt) > importStallMs;
}

/** Target of a column: a standard field, `attr.<key>`, `identity.<type>` or `skip`. */
export type ColumnTarget = string;

const enc = encodeURIComponent;

/** The file goes up as the raw request body (`text/csv`), not as a form: the server streams it. */
export async function uploadCsv(file: File): Promise<ImportUpload> {
  const token = getToken();
  const response = await fetch(`/api/imports?filename=${enc(file.name)}`, {
    method: "POST",
    headers: {
      "Content-Type": "text/csv",
      Accept: "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: file,
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const error = (body as { error?: { code: string; message: string; details?: unknown } } | null)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? response.statusText,
      error?.details,
    );
  }
  return body as ImportUpload;
}

export const saveMapping = (id: string, mapping: Record<string, ColumnTarget>) =>
  http.put<ImportJob>(`/api/imports/${enc(id)}`, { mapping });
export const startImport = (id: string) => http.post<ImportJob>(`/api/imports/${enc(id)}/start`);
/** Restarts a failed or interrupted import from its checkpoint (rows already imported stay as they are). */
export const retryImport = (id: string) => http.post<ImportJob>(`/api/imports/${enc(id)}/retry`);

export function useImport(id: string | null) {
  return useQuery({
    queryKey: ["imports", id],
    queryFn: () => http.get<ImportJob>(`/api/imports/${enc(id ?? "")}`),
    enabled: id !== null,
    // Poll while the job runs; stop once it has finished either way.
    refetchInterval: (q) =>
      q.state.data && (q.state.data.status === "completed" || q.state.data.status === "failed")
        ? false
        : 1000,
  });
}

export function useImports() {
  return useQuery({
    queryKey: ["imports"],
    queryFn: () => http.get<Page<ImportJob>>("/api/imports", { limit: 20 }),
    // A retried import runs again from the list: follow it until nothing runs.
    refetchInterval: (q) => (q.state.data?.items.some((i) => i.status === "running") ? 2000 : false),
  });
}

const guesses: [RegExp, ColumnTarget][] = [
  [/^(姓名|名字|客户名|客户名称|联系人|name|full ?name|customer)$/i, "name"],
  [/(手机|电话|手机号|联系电话|phone|mobile|tel)/i, "phone"],
  [/(邮箱|电子邮件|e-?mail)/i, "email"],
  [/(标签|tags?)$/i, "tags"],
  [/(unionid)/i, "identity.unionid"],
  [/(openid)/i, "identity.oa_openid"],
  [/(external_?userid|企业微信)/i, "identity.wecom_external_userid"],
  [/(有赞|youzan)/i, "identity.youzan"],
  [/(淘宝|天猫|taobao)/i, "identity.taobao"],
  [/(抖音|抖店|douyin)/i, "identity.douyin"],
  [/(京东|jd ?pin|^jd$)/i, "identity.jd"],
];

/** A first guess from the header: 姓名/name, 手机/电话/phone/mobile, 邮箱/email, 标签/tags; else an attribute. */
export function guessTarget(header: string, customFieldKeys: { key: string; label: string }[]): ColumnTarget {
  const h = header.trim();
  for (const [pattern, target] of guesses) if (pattern.test(h)) return target;
  const field = customFieldKeys.find((f) => f.key.toLowerCase() === h.toLowerCase() || f.label === h);
  if (field) return `attr.${field.key}`;
  return "skip";
}

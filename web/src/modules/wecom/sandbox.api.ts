import type { WecomSettingsDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http } from "../../api/client.ts";
import { publicOrigin, saveWecomSettings } from "./wecom.api.ts";

/** Where the server mounts the WeCom simulator (server/src/sandbox/sandbox.module.ts). */
export const simPrefix = "/sandbox/wecom";
const sim = `${simPrefix}/_sim`;

export interface SimMember {
  userid: string;
  name: string;
  department: number[];
  status: 1 | 5;
  customerContact: boolean;
}

export interface SimContactWay {
  config_id: string;
  type: 1 | 2;
  remark: string;
  state: string;
  user: string[];
}

export interface SimCorp {
  corpId: string;
  corpName: string;
  agentId: number;
  appSecret: string;
  contactSecret: string;
  callback: { url: string; token: string; encodingAesKey: string } | null;
  counts: Record<string, number>;
}

export interface SimCorpState extends SimCorp {
  members: SimMember[];
  contactWays: SimContactWay[];
}

export interface SimFollow {
  userid: string;
  remark: string;
  state: string;
  createtime: number;
}

export interface SimContact {
  external_userid: string;
  name: string;
  follow_user: SimFollow[];
}

export interface SimDelivery {
  id: number;
  event: string;
  changeType: string;
  fields: Record<string, string | number | string[]>;
  createdAt: number;
  state: "held" | "pending" | "delivered" | "failed";
  attempts: Array<{
    at: number;
    status: number | null;
    error?: string;
    latencyMs: number;
    duplicate?: boolean;
  }>;
}

export interface SimWelcome {
  welcome_code: string;
  userid: string;
  external_userid: string;
  text?: { content: string };
  sent_at: number;
}

export interface SimFaultRule {
  id: number;
  api: string;
  remaining: number | null;
  errcode?: number;
  httpStatus?: number;
  delayMs?: number;
}

export interface SimAddResult {
  external_userid: string;
  userid: string;
  welcome_code: string;
}

export interface SimCustomer {
  name: string;
  gender?: 0 | 1 | 2;
  unionid?: string;
}

/** Whether this server runs the in-app simulator (SIYU_SANDBOX): its clock answers only then. */
export function useSandboxEnabled() {
  const q = useQuery({
    queryKey: ["sandbox", "enabled"],
    queryFn: async () => {
      try {
        // With the sandbox off a built console's SPA fallback may answer this path with HTML.
        const clock = await http.get<unknown>(`${sim}/clock`);
        return (
          typeof clock === "object" && clock !== null && typeof (clock as { now?: unknown }).now === "number"
        );
      } catch {
        return false;
      }
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
  return q.data === true;
}

const corpPath = (corpId: string) => `${sim}/corps/${encodeURIComponent(corpId)}`;

export const simApi = {
  corps: () => http.get<{ corps: SimCorp[] }>(`${sim}/corps`),
  state: (corpId: string) => http.get<SimCorpState>(`${corpPath(corpId)}/state`),
  contacts: (corpId: string) =>
    http.get<{ total: number; contacts: SimContact[] }>(`${corpPath(corpId)}/contacts`, {
      limit: 50,
      order: "desc",
    }),
  callbacks: (corpId: string) =>
    http.get<{ total: number; deliveries: SimDelivery[] }>(`${corpPath(corpId)}/callbacks`, { limit: 50 }),
  welcomes: (corpId: string) =>
    http.get<{ welcome_messages: SimWelcome[] }>(`${corpPath(corpId)}/welcome-messages`),
  faults: (corpId: string) => http.get<{ rules: SimFaultRule[] }>(`${corpPath(corpId)}/faults`),
  addFault: (corpId: string, rule: Omit<SimFaultRule, "id" | "remaining"> & { times: number | null }) =>
    http.post<SimFaultRule>(`${corpPath(corpId)}/faults`, rule),
  clearFaults: (corpId: string) => http.del<{ cleared: boolean }>(`${corpPath(corpId)}/faults`),
  expireTokens: (corpId: string) =>
    http.post<{ expired: number }>(`${corpPath(corpId)}/faults/expire-tokens`),
  addContact: (corpId: string, userid: string, customer: SimCustomer) =>
    http.post<SimAddResult>(`${corpPath(corpId)}/actions/add-contact`, { userid, customer, add_way: 1 }),
  scan: (corpId: string, configId: string, customer: SimCustomer) =>
    http.post<SimAddResult>(`${corpPath(corpId)}/actions/scan`, { config_id: configId, customer }),
  customerDeletesMember: (corpId: string, userid: string, externalUserid: string) =>
    http.post(`${corpPath(corpId)}/actions/customer-deletes-member`, {
      userid,
      external_userid: externalUserid,
    }),
  editContact: (corpId: string, userid: string, externalUserid: string, remark: string) =>
    http.post(`${corpPath(corpId)}/actions/edit-contact`, {
      userid,
      external_userid: externalUserid,
      remark,
    }),
};

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function randomAlnum(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => alnum[b % alnum.length]).join("");
}

/**
 * Points this tenant at the simulator: creates a simulated corp whose callbacks go to the tenant's
 * callback URL, then saves its secrets as the tenant's WeCom settings (apiBase = the simulator).
 */
export async function connectToSimulator(settings: WecomSettingsDto): Promise<SimCorp> {
  const corp = await http.post<SimCorp>(`${sim}/corps`, {
    corpName: "私域演示企业",
    callback: { url: settings.callbackUrl, token: randomAlnum(32), encodingAesKey: randomAlnum(43) },
  });
  const callback = corp.callback;
  if (!callback) throw new Error("the simulator did not keep the callback configuration");
  await saveWecomSettings({
    corpId: corp.corpId,
    agentId: String(corp.agentId),
    secret: corp.appSecret,
    contactSecret: corp.contactSecret,
    callbackToken: callback.token,
    encodingAesKey: callback.encodingAesKey,
    apiBase: `${publicOrigin(settings)}${simPrefix}`,
  });
  return corp;
}

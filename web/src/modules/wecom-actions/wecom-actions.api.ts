import type {
  WecomCorpTagDto,
  WecomGroupTransferInput,
  WecomMassMessageDto,
  WecomMassMessageInput,
  WecomMassRecipientDto,
  WecomMomentDto,
  WecomMomentInput,
  WecomStaffDto,
  WecomTransferDetailDto,
  WecomTransferDto,
  WecomTransferInput,
  WecomUnassignedDto,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

const enc = encodeURIComponent;

export type MassMessage = WecomMassMessageDto;
export type MassRecipient = WecomMassRecipientDto;
export type Moment = WecomMomentDto;
export type Transfer = WecomTransferDto;
export type TransferDetail = WecomTransferDetailDto;
export type Unassigned = WecomUnassignedDto;

export const createMassMessage = (input: WecomMassMessageInput) =>
  http.post<MassMessage>("/api/wecom/mass-messages", input);
export const refreshMassMessage = (id: string) =>
  http.post<MassMessage>(`/api/wecom/mass-messages/${enc(id)}/refresh`);
export const createMoment = (input: WecomMomentInput) => http.post<Moment>("/api/wecom/moments", input);
export const createTransfer = (input: WecomTransferInput) =>
  http.post<TransferDetail>("/api/wecom/transfers", input);
export const createGroupTransfer = (input: WecomGroupTransferInput) =>
  http.post<TransferDetail>("/api/wecom/group-transfers", input);
export const refreshTransfer = (id: string) =>
  http.post<TransferDetail>(`/api/wecom/transfers/${enc(id)}/refresh`);

/** Still moving (WeCom has not answered for every customer): such pages poll every few seconds. */
const live = (status: string | undefined) =>
  status === "queued" || status === "sending" || status === "running";

export function useMassMessage(id: string) {
  return useQuery({
    queryKey: ["wecom-mass-messages", id],
    queryFn: () => http.get<MassMessage>(`/api/wecom/mass-messages/${enc(id)}`),
    refetchInterval: (q) => (live(q.state.data?.status) || q.state.data?.status === "sent" ? 5000 : false),
  });
}

export function useTransfer(id: string | null) {
  return useQuery({
    queryKey: ["wecom-transfers", id],
    queryFn: () => http.get<TransferDetail>(`/api/wecom/transfers/${enc(id ?? "")}`),
    enabled: id !== null,
    refetchInterval: (q) => (live(q.state.data?.status) ? 5000 : false),
  });
}

export function useStaff() {
  return useQuery({
    queryKey: ["wecom-staff", "all"],
    queryFn: () => http.get<Page<WecomStaffDto>>("/api/wecom/staff", { limit: 500 }),
  });
}

export function useCorpTags() {
  return useQuery({
    queryKey: ["wecom-corp-tags"],
    queryFn: () => http.get<Page<WecomCorpTagDto>>("/api/wecom/corp-tags"),
  });
}

export function useUnassigned(enabled: boolean) {
  return useQuery({
    queryKey: ["wecom-unassigned"],
    queryFn: () => http.get<Page<Unassigned>>("/api/wecom/transfers/unassigned"),
    enabled,
  });
}

/** Customers for the target picker (`GET /api/customers?q=`). */
export function useCustomerSearch(q: string) {
  return useQuery({
    queryKey: ["customers", "wecom-picker", q],
    queryFn: () => http.get<Page<{ id: string; name: string }>>("/api/customers", { q, limit: 50 }),
  });
}

/** Status → antd tag colour, shared by the tables. */
export const statusColor: Record<string, string> = {
  queued: "default",
  pending: "default",
  sending: "processing",
  running: "processing",
  waiting: "processing",
  not_sent: "default",
  sent: "success",
  done: "success",
  completed: "success",
  confirmed: "success",
  created: "processing",
  failed: "error",
  not_friend: "warning",
  already_received: "warning",
  blocked: "magenta",
  skipped: "default",
  refused: "warning",
  over_quota: "error",
  no_record: "default",
};

import type { EncryptionStatus, KeyRotation, TenantSettings } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http } from "../../api/client.ts";

export function useTenantSettings() {
  return useQuery({
    queryKey: ["settings", "tenant"],
    queryFn: () => http.get<TenantSettings>("/api/settings/tenant"),
  });
}

export const saveTenantSettings = (input: Partial<Omit<TenantSettings, "id">>) =>
  http.put<TenantSettings>("/api/settings/tenant", input);

export function isRunning(rotation: KeyRotation): boolean {
  return rotation.status === "running" || rotation.status === "queued";
}

/** Polls every second while a rotation runs, so the progress bar moves; idle otherwise. */
export function useEncryption() {
  return useQuery({
    queryKey: ["settings", "encryption"],
    queryFn: () => http.get<EncryptionStatus>("/api/settings/encryption"),
    refetchInterval: (query) => (query.state.data?.rotations.some(isRunning) ? 1000 : false),
  });
}

export const rotateKeys = () => http.post<{ rotationId: string }>("/api/settings/encryption/rotate");

export function percent(rotation: KeyRotation): number {
  if (rotation.rowsTotal <= 0) return rotation.status === "completed" ? 100 : 0;
  return Math.min(100, Math.floor((rotation.rowsDone / rotation.rowsTotal) * 100));
}

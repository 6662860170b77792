/**
 * Cross-engine rules (SPEC §4) — a small rule list until the process engine generalises it — and the
 * follow-up tasks they create for owner staff (the process engine's tasks table takes these over).
 */
export { engagementModule } from "./engagement.module.ts";

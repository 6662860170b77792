import type { WecomMomentDto } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { notFound } from "../../../platform/errors.ts";

interface MomentRow {
  id: string;
  text: string;
  attachments: Array<Record<string, unknown>>;
  visible_range: Record<string, unknown>;
  jobid: string | null;
  status: WecomMomentDto["status"];
  moment_id: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const dto = (r: MomentRow): WecomMomentDto => ({
  id: r.id,
  text: r.text,
  attachments: r.attachments,
  visibleRange: r.visible_range,
  jobid: r.jobid,
  status: r.status,
  momentId: r.moment_id,
  result: r.result,
  error: r.error,
  createdAt: r.created_at.toISOString(),
  finishedAt: r.finished_at?.toISOString() ?? null,
});

export async function getMoment(scope: Scope, id: string): Promise<WecomMomentDto> {
  const [row] = await scope.query<MomentRow>("select * from wecom_moment_tasks where id = $1", [id]);
  if (!row) throw notFound("moment task");
  return dto(row);
}

export async function listMoments(scope: Scope, q: { limit: number; cursor?: string | undefined }) {
  const rows = await scope.query<MomentRow>(
    "select * from wecom_moment_tasks where ($2::text is null or id < $2) order by id desc limit $1",
    [q.limit + 1, q.cursor ?? null],
  );
  const page = rows.slice(0, q.limit);
  return { items: page.map(dto), nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
}

import { taskCompleteSchema, taskListQuerySchema, taskSchema } from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { completeTask, getTask, listTasks, toTaskDto } from "../tasks.service.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });
const tags = ["tasks"];
const resource = "task";

/** `/api/tasks` (CONTRACT "Flows"): the staff inbox of approvals and human tasks. */
export function tasksRoutes(api: Api, platform: Platform) {
  api.get(
    "/tasks",
    {
      config: { permission: "tasks.read" },
      schema: {
        tags,
        querystring: taskListQuerySchema,
        response: { 200: z.object({ items: z.array(taskSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => req.inTenant((s) => listTasks(s, req.caller(), req.query)),
  );

  api.get(
    "/tasks/:id",
    {
      config: { permission: "tasks.read", resource },
      schema: { tags, params: idParams, response: { 200: taskSchema } },
    },
    async (req) => toTaskDto(await req.inTenant((s) => getTask(s, req.caller(), req.params.id))),
  );

  api.post(
    "/tasks/:id/complete",
    {
      config: { permission: "tasks.read", resource },
      schema: { tags, params: idParams, body: taskCompleteSchema, response: { 200: taskSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const row = await completeTask(s, platform, req.caller(), req.params.id, req.body);
        await platform.audit.record(s, req.actor(), {
          action: "task.decided",
          targetType: "task",
          targetId: row.id,
          data: { outcome: req.body.outcome, status: row.status },
        });
        return toTaskDto(row);
      }),
  );
}

import { WecomError } from "../errcodes.ts";
import * as ids from "../ids.ts";
import {
  type ApiTable,
  attachments,
  type Json,
  optObject,
  optString,
  stringList,
  textContent,
} from "./params.ts";

/** A moment job is "running" for this long of simulator time, then done. */
export const momentJobMs = 1000;
const jobLifetimeMs = 24 * 3600 * 1000;

export const momentApis: ApiTable = {
  "externalcontact/add_moment_task": {
    method: "POST",
    handler: ({ corp, input, sandbox }) => {
      const text = textContent(input, 4000);
      const atts = attachments(input, 9);
      if (!text && atts.length === 0) throw new WecomError(44004, "text or attachments required");
      const kinds = new Set(atts.map((a) => a.msgtype));
      const onlyImages = kinds.size === 1 && kinds.has("image");
      const single = atts.length === 1 && (kinds.has("video") || kinds.has("link"));
      if (atts.length > 0 && !onlyImages && !single) {
        throw new WecomError(40058, "attachments: up to 9 images, or 1 video, or 1 link");
      }
      const range = optObject(input, "visible_range") ?? {};
      const senders = optObject(range, "sender_list") ?? {};
      const users = stringList(senders, "user_list");
      const depts = senders.department_list;
      const deptList = Array.isArray(depts) ? depts.filter((d): d is number => typeof d === "number") : [];
      const tags = stringList(optObject(range, "external_contact_list") ?? {}, "tag_list");
      const jobid = ids.momentJobId();
      corp.moments.set(jobid, {
        jobid,
        created_at: sandbox.clock.now(),
        moment_id: ids.momentId(),
        ...(text ? { text } : {}),
        attachments: atts,
        invalid_sender_list: {
          user_list: users.filter((u) => !corp.activeMember(u)?.customerContact),
          department_list: deptList.filter((d) => !corp.departments.some((x) => x.id === d)),
        },
        invalid_external_contact_list: { tag_list: tags.filter((t) => !corp.tag(t)) },
      });
      return { jobid };
    },
  },
  "externalcontact/get_moment_task_result": {
    method: "GET",
    handler: ({ corp, input, sandbox }) => {
      const jobid = optString(input, "jobid");
      const task = jobid ? corp.moments.get(jobid) : undefined;
      const now = sandbox.clock.now();
      if (!task || now - task.created_at > jobLifetimeMs) throw new WecomError(40088);
      const done = now - task.created_at >= momentJobMs;
      const result: Json = done
        ? {
            errcode: 0,
            errmsg: "ok",
            moment_id: task.moment_id,
            invalid_sender_list: task.invalid_sender_list,
            invalid_external_contact_list: task.invalid_external_contact_list,
          }
        : {};
      return { status: done ? 3 : 2, type: "add_moment_task", result };
    },
  },
};

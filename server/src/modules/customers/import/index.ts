import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { listQuerySchema } from "@siyu/contracts";
import { z } from "zod";
import { AppError } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { csvRows, utf8Bom } from "../export/csv.ts";
import {
  errorLines,
  getImport,
  listImports,
  markRetried,
  markStarted,
  sendImportJob,
  setMapping,
} from "./import.service.ts";
import { maxUploadBytes, stageUpload } from "./upload.ts";

export { defineImportJobs } from "./import.service.ts";
export { importTuning, processImport } from "./process.ts";
export { stageUpload } from "./upload.ts";

const importSchema = z.object({
  id: z.string(),
  status: z.enum(["uploaded", "running", "completed", "failed"]),
  encoding: z.string(),
  columns: z.array(z.string()),
  sample: z.array(z.array(z.string())),
  mapping: z.record(z.string(), z.string()).nullable(),
  rowsTotal: z.number(),
  rowsDone: z.number(),
  created: z.number(),
  updated: z.number(),
  failed: z.number(),
  error: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  /** Last progress (each committed batch moves it). */
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
const idParams = z.object({ id: z.string().min(1).max(100) });
const target = z
  .string()
  .regex(
    /^(name|phone|email|tags|skip|attr\.[a-z][a-z0-9_]{0,49}|identity\.[a-z_]{1,40})$/,
    "one of name, phone, email, tags, attr.<key>, identity.<type>, skip",
  );

export function importRoutes(api: Api, platform: Platform) {
  // The CSV body parser lives only in this sub-scope: other /api routes still answer 415 to CSV.
  api.register(async (sub: Api) => {
    sub.addContentTypeParser(["text/csv", "application/vnd.ms-excel"], (_req, payload, done) => {
      done(null, payload);
    });
    sub.post(
      "/imports",
      {
        bodyLimit: maxUploadBytes,
        config: { permission: "customers.write" },
        schema: {
          tags: ["customers"],
          description:
            "Upload a CSV file (UTF-8 or GBK, up to 200 MB) as the raw body (content-type text/csv).",
          response: {
            201: z.object({
              id: z.string(),
              columns: z.array(z.string()),
              sample: z.array(z.array(z.string())),
              encoding: z.string(),
              rowsTotal: z.number(),
              suggestedMapping: z.record(z.string(), z.string()),
            }),
          },
        },
      },
      async (req, reply) => {
        const length = Number(req.headers["content-length"] ?? 0);
        if (length > maxUploadBytes)
          throw new AppError("payload_too_large", "the file is larger than 200 MB");
        const body = req.body as IncomingMessage | string | Buffer | undefined;
        if (body === undefined || body === null) throw new AppError("bad_request", "the file is empty");
        // A JSON (or other parsed) body is not a file: only text/csv reaches here as a stream.
        const isFile =
          typeof body === "string" ||
          Buffer.isBuffer(body) ||
          typeof (body as IncomingMessage).pipe === "function";
        if (!isFile)
          throw new AppError(
            "unsupported_media_type",
            "upload the file as the raw body with content-type text/csv",
          );
        const stream: AsyncIterable<Buffer | string> =
          typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
        const auth = req.caller();
        const result = await stageUpload(
          platform,
          auth.tenantId,
          auth.userId ?? null,
          auth.dataScope === "own" && auth.userId ? [auth.userId] : [],
          stream,
        );
        return reply.status(201).send(result);
      },
    );
  });

  api.get(
    "/imports",
    {
      config: { permission: "customers.write" },
      schema: {
        tags: ["customers"],
        querystring: listQuerySchema,
        response: { 200: z.object({ items: z.array(importSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => req.inTenant((s) => listImports(s, req.query)),
  );

  api.get(
    "/imports/:id",
    {
      config: { permission: "customers.write", resource: "import" },
      schema: { tags: ["customers"], params: idParams, response: { 200: importSchema } },
    },
    async (req) => req.inTenant((s) => getImport(s, req.params.id)),
  );

  api.put(
    "/imports/:id",
    {
      config: { permission: "customers.write", resource: "import" },
      schema: {
        tags: ["customers"],
        params: idParams,
        body: z.strictObject({ mapping: z.record(z.string().max(200), target) }),
        response: { 200: importSchema },
      },
    },
    async (req) => req.inTenant((s) => setMapping(s, req.params.id, req.body.mapping)),
  );

  api.post(
    "/imports/:id/start",
    {
      config: { permission: "customers.write", resource: "import" },
      schema: { tags: ["customers"], params: idParams, response: { 202: importSchema } },
    },
    async (req, reply) => {
      const dto = await req.inTenant((s) => markStarted(s, platform, req.actor(), req.params.id));
      // After commit: the job must see the running status. A failed send is retried by calling
      // start again (the job key is the import id, so it never runs twice).
      await sendImportJob(platform, req.caller().tenantId, req.params.id);
      return reply.status(202).send(dto);
    },
  );

  api.post(
    "/imports/:id/retry",
    {
      config: { permission: "customers.write", resource: "import" },
      schema: {
        tags: ["customers"],
        description:
          "Restart a failed import, or one that made no progress for 10 minutes, from its checkpoint: rows already imported are not imported again. 409 when the import is not failed or stalled.",
        params: idParams,
        response: { 202: importSchema },
      },
    },
    async (req, reply) => {
      const { dto, jobKey } = await req.inTenant((s) => markRetried(s, platform, req.actor(), req.params.id));
      // After commit, like start: the job must see the running status.
      await sendImportJob(platform, req.caller().tenantId, req.params.id, jobKey);
      return reply.status(202).send(dto);
    },
  );

  api.get(
    "/imports/:id/errors.csv",
    {
      config: { permission: "customers.write", resource: "import" },
      schema: { tags: ["customers"], params: idParams },
    },
    async (req, reply) => {
      const tenantId = req.caller().tenantId;
      const imp = await req.inTenant((s) => getImport(s, req.params.id));
      async function* lines() {
        yield utf8Bom + csvRows([["line", "message", ...imp.columns]]);
        for await (const e of errorLines(platform, tenantId, imp.id))
          yield csvRows([[String(e.line), e.message, ...e.cells]]);
      }
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${imp.id}-errors.csv"`)
        .send(Readable.from(lines()));
    },
  );
}

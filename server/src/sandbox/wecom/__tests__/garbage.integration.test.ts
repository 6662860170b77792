import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wecomApis } from "../wecom-sandbox.plugin.ts";
import { type Booted, bootSandbox, corpWithToken } from "./helpers.ts";

// Garbage into every WeCom path and every sim route: WeCom paths answer HTTP 200 with a non-zero
// errcode, sim routes a 4xx in the error shape — never a 5xx, never a hang.
const bodies: unknown[] = [
  '{"unterminated": ',
  "[]",
  '"a string"',
  "123",
  "",
  {
    userid: ["array"],
    userid_list: "not-a-list",
    external_userid: 42,
    limit: "many",
    cursor: "%%%",
    tag: [null, 1],
    text: { content: 5 },
    attachments: [{ msgtype: "rocket" }],
    chat_id_list: [{}],
    visible_range: [],
    config_id: { x: 1 },
    welcome_code: true,
  },
  { limit: -1, cursor: "x".repeat(600), msgid: "'; drop table", chat_id: "😀", jobid: "../../etc" },
];
const queries = [
  "",
  "userid=%00",
  "userid=a&userid=b",
  `external_userid=${"x".repeat(2000)}`,
  "id=abc",
  "cursor=eyJhIjoiZ2V0IiwiaSI6LTF9",
  "jobid=",
];

describe("the WeCom simulator never answers 5xx to garbage", () => {
  let b: Booted;
  let token: string;
  let corpId: string;
  beforeAll(async () => {
    b = await bootSandbox();
    const c = await corpWithToken(b);
    token = c.token;
    corpId = c.corp.corpId;
    await b.sim("POST", `/corps/${corpId}/seed`, { count: 5 });
  });
  afterAll(async () => {
    await b.close();
  });

  it("WeCom paths", async () => {
    const failures: string[] = [];
    for (const [path, route] of Object.entries(wecomApis)) {
      const variants =
        route.method === "GET"
          ? queries.map((q) => ({ url: `/cgi-bin/${path}?access_token=${token}&${q}` }))
          : bodies.map((body) => ({ url: `/cgi-bin/${path}?access_token=${token}`, body }));
      for (const v of variants) {
        const r = await b.call(route.method, v.url, "body" in v ? v.body : undefined);
        if (r.status !== 200 || typeof r.json.errcode !== "number") {
          failures.push(`${route.method} ${path} → ${r.status} ${JSON.stringify(r.json).slice(0, 100)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("sim routes", async () => {
    const posts = [
      "/corps",
      "/clock/advance",
      ...[
        "members",
        "members/zhangsan/resign",
        "seed",
        "faults",
        "faults/expire-tokens",
        "callbacks/flush",
        "callbacks/verify",
        ...[
          "scan",
          "add-contact",
          "customer-deletes-member",
          "member-deletes-customer",
          "edit-contact",
          "create-group",
          "join-group",
          "leave-group",
          "update-group",
          "dismiss-group",
          "create-tags",
          "rename-tag",
          "delete-tag",
          "shuffle-tags",
          "confirm-mass-message",
          "refuse-transfer",
        ].map((a) => `actions/${a}`),
      ].map((p) => `/corps/${corpId}/${p}`),
    ];
    const puts = [`/corps/${corpId}/faults/rate-limits`, `/corps/${corpId}/faults/callbacks`];
    const patches = [
      `/corps/${corpId}`,
      `/corps/${corpId}/members/zhangsan`,
      "/corps/nope",
      `/corps/${corpId}/members/%27`,
    ];
    const gets = [
      "/corps/%00",
      `/corps/${corpId}/contacts?limit=abc`,
      `/corps/${corpId}/contacts?offset=-1`,
      `/corps/${corpId}/contacts/😀`,
      `/corps/${corpId}/callbacks?limit=0`,
    ];
    const failures: string[] = [];
    const check = (label: string, r: { status: number; json: Record<string, unknown> }) => {
      const err = r.json.error as { code?: unknown; message?: unknown } | undefined;
      if (
        r.status >= 500 ||
        (r.status >= 400 && (typeof err?.code !== "string" || typeof err?.message !== "string"))
      ) {
        failures.push(`${label} → ${r.status} ${JSON.stringify(r.json).slice(0, 100)}`);
      }
    };
    for (const [method, urls] of [
      ["POST", posts],
      ["PUT", puts],
      ["PATCH", patches],
    ] as const) {
      for (const url of urls)
        for (const body of bodies) check(`${method} ${url}`, await b.sim(method, url, body));
    }
    for (const url of gets) check(`GET ${url}`, await b.sim("GET", url));
    expect(failures).toEqual([]);
  });
});

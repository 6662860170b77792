import { cursorNumber, decodeCursor, encodeCursor } from "../cursor.ts";
import { WecomError } from "../errcodes.ts";
import type { Transfer } from "../model.ts";
import {
  type ApiContext,
  type ApiTable,
  boundedInt,
  type Json,
  optString,
  reqString,
  stringList,
} from "./params.ts";

const ninetyDaysMs = 90 * 86400 * 1000;

function transferCustomers(kind: Transfer["kind"]): ApiTable[string] {
  return {
    method: "POST",
    handler: (ctx) => {
      const { corp, input, sandbox } = ctx;
      const handover = reqString(input, "handover_userid", 41009);
      const takeover = reqString(input, "takeover_userid", 41009);
      const h = corp.members.get(handover);
      if (!h) throw new WecomError(40003, handover);
      const t = corp.activeMember(takeover);
      if (!t) throw new WecomError(40003, takeover);
      if (!t.customerContact) throw new WecomError(84074, takeover);
      if (handover === takeover) throw new WecomError(40130);
      if (kind === "resigned" && h.status !== 5) throw new WecomError(40097);
      if (kind === "onjob" && h.status !== 1) throw new WecomError(40003, `${handover} has resigned`);
      const externals = stringList(input, "external_userid", 100);
      if (externals.length === 0) throw new WecomError(41035);
      const message = optString(input, "transfer_success_msg", 200);
      const now = sandbox.clock.now();
      const customer = externals.map((ext) => {
        let errcode = 0;
        if (!corp.contacts.has(ext)) errcode = 40096;
        else if (!corp.follow(ext, handover)) errcode = 40131;
        else if (corp.transfers.some((x) => x.external_userid === ext && x.status === 2)) errcode = 40129;
        else if (
          kind === "onjob" &&
          corp.transfers.filter(
            (x) => x.kind === "onjob" && x.external_userid === ext && now - x.started_at < ninetyDaysMs,
          ).length >= 2
        ) {
          errcode = 40128;
        }
        if (errcode === 0) {
          corp.transfers.push({
            kind,
            handover_userid: handover,
            takeover_userid: takeover,
            external_userid: ext,
            status: 2,
            started_at: now,
            ...(message ? { transfer_success_msg: message } : {}),
          });
        }
        return { external_userid: ext, errcode };
      });
      return { customer };
    },
  };
}

function transferResult(kind: Transfer["kind"]): ApiTable[string] {
  return {
    method: "POST",
    handler: (ctx: ApiContext) => {
      const { corp, input } = ctx;
      const handover = reqString(input, "handover_userid", 41009);
      const takeover = reqString(input, "takeover_userid", 41009);
      if (!corp.members.has(handover)) throw new WecomError(40003, handover);
      if (!corp.members.has(takeover)) throw new WecomError(40003, takeover);
      const api = `${kind}result`;
      const from = cursorNumber(decodeCursor(api, optString(input, "cursor")), "i");
      const all = corp.transfers.filter(
        (t) => t.kind === kind && t.handover_userid === handover && t.takeover_userid === takeover,
      );
      const size = 1000;
      return {
        customer: all.slice(from, from + size).map((t) => ({
          external_userid: t.external_userid,
          status: t.status,
          ...(t.takeover_time ? { takeover_time: t.takeover_time } : {}),
        })),
        next_cursor: from + size < all.length ? encodeCursor(api, { i: from + size }) : "",
      };
    },
  };
}

export const transferApis: ApiTable = {
  "externalcontact/transfer_customer": transferCustomers("onjob"),
  "externalcontact/transfer_result": transferResult("onjob"),
  "externalcontact/resigned/transfer_customer": transferCustomers("resigned"),
  "externalcontact/resigned/transfer_result": transferResult("resigned"),
  "externalcontact/get_unassigned_list": {
    method: "POST",
    handler: ({ corp, input }) => {
      const size = boundedInt(input, "page_size", { min: 1, max: 1000, default: 1000 });
      const from = cursorNumber(decodeCursor("unassigned", optString(input, "cursor")), "i");
      const inTransfer = new Set(
        corp.transfers
          .filter((t) => t.kind === "resigned" && t.status === 2)
          .map((t) => `${t.handover_userid}|${t.external_userid}`),
      );
      const all: Json[] = [];
      for (const m of corp.members.values()) {
        if (m.status !== 5) continue;
        for (const f of corp.followsByUser.get(m.userid) ?? []) {
          if (inTransfer.has(`${m.userid}|${f.external_userid}`)) continue;
          all.push({
            handover_userid: m.userid,
            external_userid: f.external_userid,
            dimission_time: m.resignedAt ?? 0,
          });
        }
      }
      const page = all.slice(from, from + size);
      const last = from + size >= all.length;
      return {
        info: page,
        is_last: last,
        next_cursor: last ? "" : encodeCursor("unassigned", { i: from + size }),
      };
    },
  },
};

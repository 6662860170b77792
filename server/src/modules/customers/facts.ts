import type { Scope } from "../../platform/db/index.ts";
import { type AttributeValue, type CustomerRow, customerColumns } from "./model.ts";
import { tagsByNums } from "./tags.service.ts";

/** What automation (flows, conditions) may read about a customer: no phone, tags by name. */
export interface CustomerFacts {
  id: string;
  name: string;
  email: string | null;
  tags: string[];
  attributes: Record<string, AttributeValue>;
  stage: string | null;
  ownerUserIds: string[];
  source: string | null;
  createdAt: string;
}

/** The customer's facts, or null when it is gone (erased, merged away, another tenant's). */
export async function customerFacts(scope: Scope, id: string): Promise<CustomerFacts | null> {
  const [row] = await scope.query<CustomerRow>(
    `select ${customerColumns} from customers where id = $1 and merged_into is null and deleted_at is null`,
    [id],
  );
  if (!row) return null;
  const tags = await tagsByNums(scope, row.tag_nums);
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    tags: row.tag_nums.map((n) => tags.get(n)?.name).filter((t): t is string => t !== undefined),
    attributes: row.attributes,
    stage: row.lifecycle_stage,
    ownerUserIds: row.owner_user_ids,
    source: row.source,
    createdAt: row.created_at.toISOString(),
  };
}

import type { CryptoService } from "../../../platform/crypto/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { IdentityInput } from "../model.ts";
import { customersByIdentity, identityKeys } from "../resolve.ts";

/**
 * The live customer a caller names from outside (an inbound webhook): by id (a profile merged into
 * another answers the one it became), or by one identity — a phone, an e-mail, an external id —
 * normalised and matched as upserts match. Null when nobody matches. Throws `validation_failed` on
 * an identity that cannot be normalised (a bad phone).
 */
export async function findCustomer(
  scope: Scope,
  crypto: CryptoService,
  q: { customerId?: string | undefined; identity?: IdentityInput | undefined },
): Promise<string | null> {
  if (q.customerId) {
    const [row] = await scope.query<{ id: string }>(
      `select coalesce(m.id, c.id) as id from customers c
         left join customers m on m.id = c.merged_into and m.merged_into is null and m.deleted_at is null
        where c.id = $1 and c.deleted_at is null and (c.merged_into is null or m.id is not null)`,
      [q.customerId],
    );
    return row?.id ?? null;
  }
  if (!q.identity) return null;
  const { keys } = identityKeys(crypto, { identities: [q.identity] });
  const [first] = await customersByIdentity(scope, keys);
  return first ?? null;
}

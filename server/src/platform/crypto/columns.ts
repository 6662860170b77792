/** A column that holds ciphertexts (`enc:v1:…`), re-encrypted by key rotation. */
export interface EncryptedColumn {
  table: string;
  idColumn: string;
  column: string;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;
const registry: EncryptedColumn[] = [];

/**
 * Modules call this once at load time for each encrypted column they own. Names are checked
 * because rotation puts them into SQL text.
 */
export function registerEncryptedColumn(col: EncryptedColumn): void {
  for (const name of [col.table, col.idColumn, col.column]) {
    if (!identifier.test(name)) throw new Error(`invalid SQL identifier "${name}" for an encrypted column`);
  }
  const known = registry.some((c) => c.table === col.table && c.column === col.column);
  if (!known) registry.push({ ...col });
}

/** Registered columns, in registration order. */
export function encryptedColumns(): EncryptedColumn[] {
  return registry.map((c) => ({ ...c }));
}

import { stringify } from "csv-stringify/sync";

/** Excel opens a UTF-8 CSV as UTF-8 (and shows Chinese correctly) only with this mark first. */
export const utf8Bom = "\uFEFF";

/** CSV text of rows (quoted where needed, CRLF line ends as Excel writes them). */
export function csvRows(rows: unknown[][]): string {
  return stringify(rows as string[][], { record_delimiter: "windows" });
}

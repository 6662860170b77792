import dayjs from "dayjs";

/** `2025-03-01 14:05:09` in the browser's zone; an em dash for missing values. */
export function formatTime(value: string | null | undefined): string {
  return value ? dayjs(value).format("YYYY-MM-DD HH:mm:ss") : "—";
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat().format(value);
}

import { Table, type TableProps } from "antd";
import type { CursorPage } from "../api/use-cursor-page.ts";
import { CursorPager } from "./cursor-pager.tsx";
import { QueryError } from "./query-error.tsx";

/**
 * The frame of a cursor list (`useCursorPage`): the table of the current page and the pager under it,
 * or the load error with a retry in their place. Other table props (columns, rowKey, testid…) pass through.
 */
export function CursorTable<T extends object>({
  list,
  ...table
}: { list: CursorPage<T> } & Omit<TableProps<T>, "dataSource" | "loading" | "pagination">) {
  if (list.query.isError) {
    return <QueryError error={list.query.error} onRetry={() => void list.query.refetch()} />;
  }
  return (
    <>
      <Table<T> {...table} loading={list.query.isFetching} dataSource={list.items} pagination={false} />
      <CursorPager
        page={list.page}
        hasPrev={list.hasPrev}
        hasNext={list.hasNext}
        onPrev={list.prev}
        onNext={list.next}
      />
    </>
  );
}

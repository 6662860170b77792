/**
 * Walks a cursor-paged API: `fetchPage(cursor)` until the platform returns an empty
 * `next_cursor`. A cursor that comes back unchanged stops the walk instead of looping forever.
 */
export async function* paginate<P extends { next_cursor?: string }, I>(
  fetchPage: (cursor: string | undefined) => Promise<P>,
  itemsOf: (page: P) => readonly I[] | undefined,
): AsyncGenerator<I, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    for (const item of itemsOf(page) ?? []) yield item;
    const next = page.next_cursor;
    if (!next || next === cursor) return;
    cursor = next;
  }
}

import { expect } from 'vitest';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Numbers by value, anything else by its text: how a test orders the values a list was sorted by. */
export const compareValues = (a: string | number, b: string | number) => (typeof a === 'number' && typeof b === 'number' ? a - b : a < b ? -1 : a > b ? 1 : 0);
export const orderedValues = (values: (string | number)[], order: 'asc' | 'desc') => [...values].sort((a, b) => (order === 'asc' ? compareValues(a, b) : compareValues(b, a)));

/**
 * Walks every page of a paged list (docs/api-conventions.md), `pageSize` items a page: each page
 * says its place (`total` the same on every page, `limit` and `offset` as asked, `nextOffset` null
 * only on the last), and the items of all pages are returned in the order they came.
 */
export async function walkPages(
  name: string,
  items: string,
  pageSize: number,
  page: (position: { limit: number; offset: number }) => Promise<{ status: number; body: Json }>,
): Promise<{ seen: Json[]; total: number }> {
  const seen: Json[] = [];
  let offset: number | null = 0;
  let total: number | null = null;
  for (let pages = 0; offset !== null; pages++) {
    expect(pages, `${name}: more pages than items`).toBeLessThan(20);
    const res = await page({ limit: pageSize, offset });
    expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(200);
    const body = res.body;
    total ??= body.total as number;
    expect(body.total, name).toBe(total);
    expect([body.limit, body.offset], name).toEqual([pageSize, offset]);
    expect(body[items].length, name).toBe(Math.min(pageSize, total - offset));
    expect(body.nextOffset, name).toBe(offset + pageSize < total ? offset + pageSize : null);
    seen.push(...(body[items] as Json[]));
    offset = body.nextOffset as number | null;
  }
  return { seen, total: total! };
}

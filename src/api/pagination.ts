import { z } from 'zod';
import type { ListOrder } from '../projections/sorted-page.js';

/**
 * The one pagination style of list routes (docs/api-conventions.md): `limit` and `offset` in the
 * query, and beside the page's items `total` (items matching the filter), the `limit` and
 * `offset` applied, and `nextOffset` (null on the last page). Sorting is `sort` (a field the
 * route names) and `order` (`asc` or `desc`).
 */
export const MAX_PAGE_SIZE = 500;

export const pageQuery = (defaultLimit = 50) => ({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(defaultLimit).describe(`Items per page, at most ${MAX_PAGE_SIZE}`),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe('Items to skip: the `nextOffset` of the previous page'),
});

export const sortQuery = <const F extends readonly [string, ...string[]]>(fields: F, defaults: { sort: F[number]; order: 'asc' | 'desc' }) => ({
  sort: z.enum(fields).default(defaults.sort).describe(`Field to sort by (default ${defaults.sort}); rows that tie are ordered by their id in the same direction`),
  order: z.enum(['asc', 'desc']).default(defaults.order).describe(`Sort direction (default ${defaults.order})`),
});

/** `sort` and `order` of a read model's list: its sort fields, allowed and no others, and its default order. */
export const sortQueryOf = <F extends string>(order: ListOrder<F>) => sortQuery(Object.keys(order.columns) as [F, ...F[]], { sort: order.defaultSort, order: order.defaultOrder });

export const pageFields = {
  total: z.number().int().describe('Items matching the filter, on every page'),
  limit: z.number().int(),
  offset: z.number().int(),
  nextOffset: z.number().int().nullable().describe('The offset of the next page, null on the last one'),
};

export type Page = { total: number; limit: number; offset: number; nextOffset: number | null };

export const pageOf = (query: { limit: number; offset: number }, total: number): Page => ({
  total,
  limit: query.limit,
  offset: query.offset,
  nextOffset: query.offset + query.limit < total ? query.offset + query.limit : null,
});

/**
 * The sort fields of a list built in memory (replayed from the ledger, not read from a table):
 * each field's value per item, the item's id for ties, and the default order.
 */
export type ListInMemoryOrder<T, F extends string> = { fields: Readonly<Record<F, (item: T) => string | number>>; id: (item: T) => string; defaultSort: NoInfer<F>; defaultOrder: 'asc' | 'desc' };

export const sortQueryInMemory = <T, F extends string>(order: ListInMemoryOrder<T, F>) => sortQuery(Object.keys(order.fields) as [F, ...F[]], { sort: order.defaultSort, order: order.defaultOrder });

/** One page of `items` in the asked order (ties by id, same direction), with its page fields. */
export function sortedSlice<T, F extends string>(items: readonly T[], query: { limit: number; offset: number; sort?: F | undefined; order?: 'asc' | 'desc' | undefined }, order: ListInMemoryOrder<T, F>): { items: T[]; page: Page } {
  const value = order.fields[query.sort ?? order.defaultSort];
  const sign = (query.order ?? order.defaultOrder) === 'desc' ? -1 : 1;
  const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...items].sort((a, b) => sign * (compare(value(a), value(b)) || compare(order.id(a), order.id(b))));
  return { items: sorted.slice(query.offset, query.offset + query.limit), page: pageOf(query, items.length) };
}

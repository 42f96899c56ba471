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

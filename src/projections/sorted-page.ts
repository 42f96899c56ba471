import type { Knex } from '../platform/database.js';

/**
 * How a read model's list may be sorted: the sort fields a client names and the column (or SQL
 * expression of ours, written `raw:<sql>`, never the client's) behind each, the unique column (or
 * columns) that orders rows which tie, and the default order.
 */
export type ListOrder<F extends string> = { columns: Readonly<Record<F, string>>; unique: string | readonly string[]; defaultSort: NoInfer<F>; defaultOrder: 'asc' | 'desc' };

export const listOrder = <F extends string>(order: ListOrder<F>): ListOrder<F> => order;

/** What a list route asks of a read model: a page of rows, in the list's default order unless it names one. */
export type PageRequest<F extends string> = { limit: number; offset: number; sort?: F | undefined; order?: 'asc' | 'desc' | undefined };

/**
 * Orders `query` by the column behind the asked sort field, then by the unique column in the same
 * direction, and cuts the page: without the unique column rows that tie (same name, same instant)
 * may come back in another order per query, and offset pages would repeat or skip them.
 */
export function sortedPage<Q extends Knex.QueryBuilder, F extends string>(query: Q, page: PageRequest<F>, order: ListOrder<F>): Q {
  const column = order.columns[page.sort ?? order.defaultSort];
  const direction = (page.order ?? order.defaultOrder) === 'desc' ? 'desc' : 'asc';
  if (column.startsWith('raw:')) void query.orderByRaw(`${column.slice(4)} ${direction}`);
  else void query.orderBy(column, direction);
  for (const unique of typeof order.unique === 'string' ? [order.unique] : order.unique) void query.orderBy(unique, direction);
  return query.limit(page.limit).offset(page.offset) as Q;
}

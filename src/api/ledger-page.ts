import type { StoredEvent } from '../events/envelope.js';
import type { AllFilter, EventStore } from '../events/event-store.js';
import { pageOf, sortQuery, type Page } from './pagination.js';

/** `sort`/`order` of a list read from the ledger: by position, the order events were recorded. */
export const ledgerSortQuery = (defaultOrder: 'asc' | 'desc') => sortQuery(['position'], { sort: 'position', order: defaultOrder });

/**
 * One page of the ledger events matching `filter` (up to position `to` when given), in position
 * order, counted and cut by the store rather than in memory.
 */
export async function ledgerPage(store: EventStore, range: { filter: AllFilter; to?: number }, page: { limit: number; offset: number; order: 'asc' | 'desc' }): Promise<{ events: StoredEvent[] } & Page> {
  const total = await store.countAll(range);
  const events = page.offset < total ? await store.readAll({ ...range, direction: page.order === 'desc' ? 'backwards' : 'forwards', limit: page.limit, offset: page.offset }) : [];
  return { events, ...pageOf(page, total) };
}

/**
 * One page of a stream's events, which the caller read whole (one resource's stream: its state or
 * view needs every event): in stream order (position ascending, as read) or reversed, cut after
 * reading, so pages follow that one stable order.
 */
export function streamPage<T>(events: readonly T[], page: { limit: number; offset: number; order: 'asc' | 'desc' }): { items: T[] } & Page {
  const ordered = page.order === 'desc' ? [...events].reverse() : events;
  return { items: ordered.slice(page.offset, page.offset + page.limit), ...pageOf(page, events.length) };
}

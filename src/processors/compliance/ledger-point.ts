import type { EventStore } from '../../events/event-store.js';
import { ledgerPointAt, LedgerPointOutOfRange } from '../../projections/as-of/ledger-point.js';

/** A ledger position and the instant it stands for (freshness windows are measured to that instant). */
export type LedgerPoint = { position: number; at: Date };

export { LedgerPointOutOfRange };

/**
 * The ledger as a compliance answer reads it: at a position, as of an instant (both through the
 * as-of reads' ledgerPointAt), position 0 (before the first event), or now.
 */
export async function resolveLedgerPoint(store: EventStore, query: { asOf?: Date; atPosition?: number }, now = new Date()): Promise<LedgerPoint> {
  if (query.asOf && query.atPosition !== undefined) throw new LedgerPointOutOfRange('atPosition', 'give asOf or atPosition, not both');
  if (query.atPosition === 0) return { position: 0, at: new Date(0) };
  if (query.asOf || query.atPosition !== undefined) {
    const point = await ledgerPointAt(store, query.asOf ? { asOf: query.asOf } : { atPosition: query.atPosition! }, now);
    return { position: point.position, at: point.occurredAt };
  }
  return { position: (await store.head()).position, at: now };
}

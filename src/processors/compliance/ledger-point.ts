import type { EventStore } from '../../events/event-store.js';

/** A ledger position and the instant it stands for (freshness windows are measured to that instant). */
export type LedgerPoint = { position: number; at: Date };

/** An as-of request the ledger cannot answer: the field and why. */
export class LedgerPointRefused extends Error {
  constructor(
    readonly field: 'asOf' | 'atPosition',
    message: string,
  ) {
    super(message);
    this.name = 'LedgerPointRefused';
  }
}

/**
 * The ledger as it stood: at a position (the instant its event was recorded), as of an instant
 * (the last event recorded at or before it: `occurredAt` never decreases along positions, so that
 * is a prefix of the ledger), or now.
 */
export async function resolveLedgerPoint(store: EventStore, query: { asOf?: Date; atPosition?: number }, now = new Date()): Promise<LedgerPoint> {
  if (query.asOf && query.atPosition !== undefined) throw new LedgerPointRefused('atPosition', 'give asOf or atPosition, not both');
  if (query.atPosition !== undefined) {
    const head = await store.head();
    if (query.atPosition > head.position) throw new LedgerPointRefused('atPosition', `is beyond the ledger head (${head.position})`);
    if (query.atPosition === 0) return { position: 0, at: new Date(0) };
    const [event] = await store.readAll({ after: query.atPosition - 1, to: query.atPosition, limit: 1 });
    return { position: query.atPosition, at: event!.occurredAt };
  }
  if (query.asOf) {
    if (query.asOf.getTime() > now.getTime()) throw new LedgerPointRefused('asOf', 'is in the future');
    const [last] = await store.readAll({ direction: 'backwards', limit: 1, filter: { to: query.asOf } });
    return { position: last?.position ?? 0, at: query.asOf };
  }
  return { position: (await store.head()).position, at: now };
}

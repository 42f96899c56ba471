import type { EventStore } from '../../events/event-store.js';
import type { StoredEvent } from '../../events/envelope.js';

/**
 * A point of the ledger: every event at or below `position` counts, none after. `occurredAt` is
 * the instant it stands for (the time asked, or the time of the event at `position`). Appends
 * stamp `occurredAt` never backwards along the chain, so "as of an instant" is a prefix of $all.
 */
export type LedgerPoint = { position: number; occurredAt: Date };

/** The point asked for lies beyond what the ledger can answer for (a future instant, a position past its head). */
export class LedgerPointOutOfRange extends Error {
  readonly code = 'LEDGER_POINT_OUT_OF_RANGE';
  constructor(
    readonly field: 'asOf' | 'atPosition',
    message: string,
  ) {
    super(message);
    this.name = 'LedgerPointOutOfRange';
  }
}

/**
 * The ledger point of an instant (the last position recorded at or before it; 0 before the first
 * event) or of a position. An instant after `now` is refused: events may still be recorded before
 * it, so an answer "as of" it could change and would attest nothing.
 */
export async function ledgerPointAt(store: EventStore, at: { asOf: Date } | { atPosition: number }, now: Date): Promise<LedgerPoint> {
  if ('asOf' in at) {
    if (at.asOf.getTime() > now.getTime()) throw new LedgerPointOutOfRange('asOf', `is in the future (the server's time is ${now.toISOString()}); the ledger cannot say yet how it will stand then`);
    return { position: await lastPositionBy(store, at.asOf), occurredAt: at.asOf };
  }
  const [event] = await store.readAll({ after: at.atPosition - 1, to: at.atPosition, limit: 1 });
  if (!event) throw new LedgerPointOutOfRange('atPosition', `is beyond the ledger's head (position ${(await store.head()).position})`);
  return { position: event.position, occurredAt: event.occurredAt };
}

/**
 * The last position recorded at or before `instant` (0 if none). Positions are dense and their
 * times never decrease, so a binary search over positions finds it in O(log n) reads by position,
 * where a filter on time ordered by position may scan every event after the instant.
 */
async function lastPositionBy(store: EventStore, instant: Date): Promise<number> {
  const head = await store.head();
  if (head.occurredAt === null || head.occurredAt.getTime() <= instant.getTime()) return head.position;
  const recordedBy = async (position: number) => {
    const [event] = await store.readAll({ after: position - 1, to: position, limit: 1 });
    return event !== undefined && event.occurredAt.getTime() <= instant.getTime();
  };
  // Invariant: `low` is 0 or recorded by the instant; `high` is not.
  let [low, high] = [0, head.position];
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await recordedBy(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/** A stream's events at a point, oldest first: those recorded by `point.occurredAt`, cut at its position. */
export async function streamEventsAt(store: EventStore, streamId: string, point: LedgerPoint): Promise<StoredEvent[]> {
  // The instant bounds the read; the position decides (events of the same millisecond may fall after it).
  return (await store.readStream(streamId, { asOf: point.occurredAt })).filter((e) => e.position <= point.position);
}

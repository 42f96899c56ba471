import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { NewEvent, StoredEvent } from './envelope.js';

/** prevHash of the first event in the ledger. */
export const GENESIS_HASH = '0'.repeat(64);

/** The envelope fields covered by the hash, in a canonical (RFC 8785 JCS) serialisation. */
export function canonicalEnvelope(event: Omit<StoredEvent, 'hash'>): string {
  const text = canonicalize({
    id: event.id,
    type: event.type,
    schemaVersion: event.schemaVersion,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    position: event.position,
    occurredAt: event.occurredAt.toISOString(),
    actor: event.actor,
    correlationId: event.correlationId,
    causationId: event.causationId,
    data: event.data,
    metadata: event.metadata,
    prevHash: event.prevHash,
  });
  if (text === undefined) throw new Error('event is not serialisable');
  return text;
}

/** hash = SHA-256(prevHash ‖ canonical JSON of the envelope without hash). Personal fields are ciphertext here. */
export function eventHash(event: Omit<StoredEvent, 'hash'>): string {
  return createHash('sha256').update(event.prevHash, 'utf8').update(canonicalEnvelope(event), 'utf8').digest('hex');
}

export type ChainBreak = { position: number; reason: string };

/**
 * Checks a contiguous run of events against the hash expected before its first one.
 * Returns the first break, or null.
 */
export function findChainBreak(events: StoredEvent[], expectedPrev: { position: number; hash: string }): ChainBreak | null {
  let prev = expectedPrev;
  for (const event of events) {
    if (event.position !== prev.position + 1) {
      return { position: prev.position + 1, reason: `position ${prev.position + 1} is missing (next stored is ${event.position})` };
    }
    if (event.prevHash !== prev.hash) return { position: event.position, reason: 'prevHash does not match the previous event' };
    if (eventHash(event) !== event.hash) return { position: event.position, reason: 'hash does not match the event content' };
    prev = { position: event.position, hash: event.hash };
  }
  return null;
}

/**
 * Stamps validated new events with their stream versions (after `current`), global positions and
 * hashes (after `head`): the one place the chain is extended, whichever adapter stores it.
 */
export function chainEvents(
  streamId: string,
  events: NewEvent[],
  current: number | null,
  head: { position: number; hash: string },
  occurredAt: Date,
): StoredEvent[] {
  let version = current ?? -1;
  let position = head.position;
  let prevHash = head.hash;
  return events.map((e) => {
    const event: Omit<StoredEvent, 'hash'> = {
      id: e.id,
      type: e.type,
      schemaVersion: e.schemaVersion,
      streamId,
      streamVersion: ++version,
      position: ++position,
      occurredAt,
      actor: e.actor,
      correlationId: e.correlationId ?? null,
      causationId: e.causationId ?? null,
      data: e.data,
      metadata: e.metadata ?? {},
      prevHash,
    };
    const hash = eventHash(event);
    prevHash = hash;
    return { ...event, hash };
  });
}

import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { StoredEvent } from './envelope.js';

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

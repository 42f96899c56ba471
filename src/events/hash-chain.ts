import { hash as oneShotHash } from 'node:crypto';
import { canonicalJson, quote } from './canonical-json.js';
import type { NewEvent, StoredEvent } from './envelope.js';

/** prevHash of the first event in the ledger. */
export const GENESIS_HASH = '0'.repeat(64);

/** Canonical (RFC 8785 JCS) text of the parts of a new event that do not depend on its place in the chain. */
export type CanonicalParts = { actor: string; data: string; metadata: string };

const jcs = (value: unknown): string => {
  const text = canonicalJson(value);
  if (text === undefined) throw new Error('event is not serialisable');
  return text;
};

export const canonicalParts = (e: Pick<StoredEvent, 'actor' | 'data' | 'metadata'>): CanonicalParts => ({
  actor: jcs(e.actor),
  data: jcs(e.data),
  metadata: jcs(e.metadata),
});

/** JSON.stringify of a string or null. */
const str = (s: string | null): string => (s === null ? 'null' : quote(s));

/** The events of a group share their timestamp: its ISO text is formatted once. */
let lastDate: Date | null = null;
let lastTime = NaN;
let lastIso = '';
function isoText(date: Date): string {
  const time = date.getTime();
  if (date !== lastDate || time !== lastTime) {
    lastIso = date.toISOString();
    lastDate = date;
    lastTime = time;
  }
  return lastIso;
}

/**
 * The envelope fields covered by the hash, in canonical JSON. Written out in JCS key order so the
 * costly parts (data, actor, metadata) can be canonicalised before the append lock is taken;
 * a test proves the text equals RFC 8785 canonicalisation of the whole envelope.
 */
export function canonicalEnvelope(event: Omit<StoredEvent, 'hash'>, parts: CanonicalParts = canonicalParts(event)): string {
  return (
    `{"actor":${parts.actor},"causationId":${str(event.causationId)},"correlationId":${str(event.correlationId)},"data":${parts.data},` +
    `"id":${str(event.id)},"metadata":${parts.metadata},"occurredAt":"${isoText(event.occurredAt)}","position":${event.position},` +
    `"prevHash":${str(event.prevHash)},"schemaVersion":${event.schemaVersion},"streamId":${str(event.streamId)},` +
    `"streamVersion":${event.streamVersion},"type":${str(event.type)}}`
  );
}

/** hash = SHA-256(prevHash ‖ canonical JSON of the envelope without hash). Personal fields are ciphertext here. */
export function eventHash(event: Omit<StoredEvent, 'hash'>, parts?: CanonicalParts): string {
  return oneShotHash('sha256', event.prevHash + canonicalEnvelope(event, parts), 'hex');
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
 * Events may carry their `canonical` parts, computed outside the adapter's critical section.
 */
export function chainEvents(
  streamId: string,
  events: (NewEvent & { canonical?: CanonicalParts })[],
  current: number | null,
  head: { position: number; hash: string },
  occurredAt: Date,
): StoredEvent[] {
  let version = current ?? -1;
  let position = head.position;
  let prevHash = head.hash;
  return events.map((e) => {
    const event: StoredEvent = {
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
      hash: '',
    };
    event.hash = prevHash = eventHash(event, e.canonical);
    return event;
  });
}

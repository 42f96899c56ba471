import type { NewEvent } from './envelope.js';
import { InvalidEvent } from './event-store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;

export function validateStreamId(streamId: string): void {
  if (!STREAM_ID.test(streamId)) throw new InvalidEvent(`invalid stream id "${streamId.slice(0, 40)}"`);
}

/**
 * Checks envelopes before they reach an adapter and normalises data/metadata to exactly what
 * JSON storage returns, so the hash computed at append equals the hash recomputed on read.
 */
export function validateNewEvents(events: NewEvent[]): NewEvent[] {
  if (events.length === 0) throw new InvalidEvent('an append needs at least one event');
  const seen = new Set<string>();
  return events.map((e, i) => {
    if (!UUID.test(e.id)) throw new InvalidEvent(`events[${i}].id must be a UUID`);
    const id = e.id.toLowerCase();
    if (seen.has(id)) throw new InvalidEvent(`events[${i}].id is repeated in the append`);
    seen.add(id);
    if (!EVENT_TYPE.test(e.type)) throw new InvalidEvent(`events[${i}].type "${e.type}" must look like "aggregate.past-tense-verb"`);
    if (!Number.isInteger(e.schemaVersion) || e.schemaVersion < 1) throw new InvalidEvent(`events[${i}].schemaVersion must be a positive integer`);
    if (e.causationId !== undefined && !UUID.test(e.causationId)) throw new InvalidEvent(`events[${i}].causationId must be a UUID`);
    if (e.correlationId !== undefined && !UUID.test(e.correlationId)) throw new InvalidEvent(`events[${i}].correlationId must be a UUID`);
    return { ...e, id, data: normaliseJson(e.data, `events[${i}].data`), metadata: normaliseJson(e.metadata ?? {}, `events[${i}].metadata`) };
  });
}

function normaliseJson<T>(value: T, field: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidEvent(`${field} must be a JSON object`);
  const text = JSON.stringify(value);
  // PostgreSQL's jsonb cannot hold NUL characters or lone UTF-16 surrogates.
  if (/(?<!\\)\\u(0000|d[89a-f])/i.test(text)) throw new InvalidEvent(`${field} contains a NUL character or an unpaired surrogate`);
  return JSON.parse(text) as T;
}

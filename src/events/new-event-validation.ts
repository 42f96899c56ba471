import { canonicalJsonOf } from './canonical-json.js';
import type { JsonObject, NewEvent } from './envelope.js';
import type { CanonicalParts } from './hash-chain.js';
import { InvalidEvent } from './event-store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;

export function validateStreamId(streamId: string): void {
  if (!STREAM_ID.test(streamId)) throw new InvalidEvent(`invalid stream id "${streamId.slice(0, 40)}"`);
}

/**
 * Checks envelopes before they reach an adapter, normalises actor/data/metadata to exactly what
 * JSON storage returns (so the hash computed at append equals the hash recomputed on read), and
 * keeps their canonical text for the hash, computed once and outside any lock.
 */
export type ValidatedEvent = NewEvent & { metadata: JsonObject; canonical: CanonicalParts };

export function validateNewEvents(events: NewEvent[]): ValidatedEvent[] {
  if (events.length === 0) throw new InvalidEvent('an append needs at least one event');
  const seen = new Set<string>();
  return events.map((e, i) => {
    if (!UUID.test(e.id)) throw new InvalidEvent(`events[${i}].id must be a UUID`);
    const id = e.id.toLowerCase();
    if (seen.has(id)) throw new InvalidEvent(`events[${i}].id is repeated in the append`);
    seen.add(id);
    if (!EVENT_TYPE.test(e.type)) throw new InvalidEvent(`events[${i}].type "${e.type}" must look like "aggregate.past-tense-verb"`);
    if (!Number.isInteger(e.schemaVersion) || e.schemaVersion < 1) throw new InvalidEvent(`events[${i}].schemaVersion must be a positive integer`);
    validateActor(e.actor, `events[${i}].actor`);
    if (e.causationId !== undefined && !UUID.test(e.causationId)) throw new InvalidEvent(`events[${i}].causationId must be a UUID`);
    if (e.correlationId !== undefined && !UUID.test(e.correlationId)) throw new InvalidEvent(`events[${i}].correlationId must be a UUID`);
    const data = normaliseJson(e.data, `events[${i}].data`);
    const metadata = normaliseJson(e.metadata ?? {}, `events[${i}].metadata`);
    const actor = normaliseJson(e.actor, `events[${i}].actor`);
    // Built field by field (not spread from the input): one object shape for every validated event.
    return {
      id,
      type: e.type,
      schemaVersion: e.schemaVersion,
      actor: actor.value as NewEvent['actor'],
      correlationId: e.correlationId,
      causationId: e.causationId,
      data: data.value,
      metadata: metadata.value,
      canonical: { actor: actor.text, data: data.text, metadata: metadata.text },
    };
  });
}

const NUL_OR_SURROGATE = /(?<!\\)\\u(0000|d[89a-f])/i;

const ACTOR_KINDS = new Set(['user', 'service', 'system']);
// eslint-disable-next-line no-control-regex -- control characters are what it rejects
const ACTOR_TEXT = /^[^\u0000-\u001f]{1,200}$/;

function validateActor(actor: NewEvent['actor'], field: string): void {
  if (typeof actor !== 'object' || actor === null || !ACTOR_KINDS.has(actor.kind)) throw new InvalidEvent(`${field}.kind must be user, service or system`);
  if (typeof actor.id !== 'string' || !ACTOR_TEXT.test(actor.id)) throw new InvalidEvent(`${field}.id must be 1 to 200 printable characters`);
  if ('role' in actor && (typeof actor.role !== 'string' || !ACTOR_TEXT.test(actor.role))) throw new InvalidEvent(`${field}.role must be 1 to 200 printable characters`);
  if ('apiKeyId' in actor && (typeof actor.apiKeyId !== 'string' || !ACTOR_TEXT.test(actor.apiKeyId))) throw new InvalidEvent(`${field}.apiKeyId must be 1 to 200 printable characters`);
}

/** The value as JSON storage will return it, and its canonical text (what the hash covers). */
function normaliseJson(value: unknown, field: string): { value: JsonObject; text: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidEvent(`${field} must be a JSON object`);
  let text: string | undefined;
  let isJsonValue: boolean;
  try {
    ({ text, isJsonValue } = canonicalJsonOf(value));
  } catch (error) {
    throw new InvalidEvent(`${field} is not serialisable as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === undefined || text.charCodeAt(0) !== 0x7b /* { */) throw new InvalidEvent(`${field} must be a JSON object`);
  if (text === '{}') return { value: {}, text };
  // PostgreSQL's jsonb cannot hold NUL characters or lone UTF-16 surrogates (both only ever written as \u escapes).
  if (text.includes('\\u') && NUL_OR_SURROGATE.test(text)) throw new InvalidEvent(`${field} contains a NUL character or an unpaired surrogate`);
  // A value that already is plain JSON is kept as given (parsing its text would only copy it).
  return { value: isJsonValue ? (value as JsonObject) : (JSON.parse(text) as JsonObject), text };
}

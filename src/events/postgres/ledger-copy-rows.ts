import { streamCategory, type StoredEvent } from '../envelope.js';
import type { ValidatedEvent } from '../new-event-validation.js';
import { COPY_NULL, copyField } from '../../platform/copy-text-format.js';

/**
 * The ledger's rows in COPY's text format, which is how appends write them: COPY skips the SQL
 * parser (an INSERT carrying the rows as literals had them lexed and copied first), inserts the
 * heap tuples in batches (fewer WAL records), and needs almost no escaping (an INSERT's array
 * literals needed every quote of every JSON document escaped).
 *
 * Columns are ordered so each row is its place in the chain (made under the append lock or by the
 * drain) followed by the columns that do not depend on it, which are made once per event before.
 */
export const LEDGER_COPY_COLUMNS = [
  'position', 'stream_id', 'stream_category', 'stream_version', 'occurred_at', 'prev_hash', 'hash',
  'id', 'type', 'schema_version', 'actor_id', 'correlation_id', 'causation_id', 'actor', 'data', 'metadata',
] as const;

const NULL_FIELD = COPY_NULL;

/**
 * The fields of an event that do not depend on its place in the chain, tab-separated. Ids are
 * validated UUIDs and types a restricted alphabet; the actor id and the canonical JSON texts may
 * hold backslashes (JSON escapes its control characters, so never a raw tab or newline).
 */
export function unchainedFields(e: ValidatedEvent): string {
  return [
    e.id,
    e.type,
    String(e.schemaVersion),
    copyField(e.actor.id),
    e.correlationId ?? NULL_FIELD,
    e.causationId ?? NULL_FIELD,
    copyField(e.canonical.actor),
    copyField(e.canonical.data),
    copyField(e.canonical.metadata),
  ].join('\t');
}

/**
 * The rows of chained events; `unchainedOf` gives each event's `unchainedFields` by id. The
 * timestamp and stream shared by consecutive events are formatted once. Stream ids are validated
 * (no character COPY escapes) and positions, versions, ISO times and hex hashes hold none.
 */
export function copyRows(events: readonly StoredEvent[], unchainedOf: ReadonlyMap<string, string>): string {
  let rows = '';
  let occurredAt: Date | null = null;
  let occurredAtText = '';
  let streamId: string | null = null;
  let streamText = '';
  for (const e of events) {
    if (e.occurredAt !== occurredAt) {
      occurredAt = e.occurredAt;
      occurredAtText = occurredAt.toISOString();
    }
    if (e.streamId !== streamId) {
      streamId = e.streamId;
      streamText = `${streamId}\t${streamCategory(streamId)}`;
    }
    rows += `${e.position}\t${streamText}\t${e.streamVersion}\t${occurredAtText}\t${e.prevHash}\t${e.hash}\t${unchainedOf.get(e.id)!}\n`;
  }
  return rows;
}

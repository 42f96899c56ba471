import { streamCategory, type StoredEvent } from '../envelope.js';
import type { ValidatedEvent } from '../new-event-validation.js';

/**
 * The ledger's rows as one `INSERT … SELECT FROM ROWS FROM (…)` statement: how appends write on
 * PGlite. (PostgreSQL takes them by COPY, see ledger-copy-rows.ts; PGlite's COPY reads its input
 * from an in-memory file, and with the ledger's indexes its appends slowed as the table grew:
 * eight-writer batches fell from 6,400 to 2,500 events/s between the first 20,000 events and the
 * next, where this statement held ~8,500.)
 */

/**
 * A text as an element of an array literal that is dollar-quoted as it is (`$j$…$j$`): always
 * double-quoted (so no text reads as NULL), with `"`, `\` and `$` backslash-escaped (the array
 * parser reads `\$` as `$`, and no `$j$` can then end the quote early). For the texts that may hold
 * them (actor ids); ids, stream ids and types are validated on append, and hex hashes, ISO times
 * and numbers hold no character an array literal escapes.
 */
const arrayElement = (text: string): string => `"${/["\\$]/.test(text) ? text.replace(/["\\$]/g, '\\$&') : text}"`;

/**
 * Canonical JSON as an element of a JSON array that is dollar-quoted as it is: a `$` only occurs
 * inside JSON strings, where `\u0024` means the same. No other escaping: JSON texts joined by commas
 * inside brackets are a JSON array, which is why the JSON columns travel as JSON arrays rather than
 * as array literals (those need every quote of every document escaped).
 */
const jsonElement = (text: string): string => (text.includes('$') ? text.replaceAll('$', '\\u0024') : text);

const ARRAY_COLUMNS = ['position', 'id', 'stream_id', 'stream_category', 'stream_version', 'type', 'schema_version', 'occurred_at', 'actor_id', 'correlation_id', 'causation_id', 'prev_hash', 'hash'];
const ARRAY_TYPES = ['bigint', 'uuid', 'text', 'text', 'integer', 'text', 'integer', 'timestamptz', 'text', 'text', 'text', 'text', 'text'];
const INSERT_COLUMNS = [...ARRAY_COLUMNS, 'actor', 'data', 'metadata'].join(', ');

/**
 * The insert of chained events (`validatedOf` gives each one's canonical texts by id): the scalar
 * columns as one array literal each, the JSON columns as one JSON array each, zipped by
 * `ROWS FROM` (which steps the functions in lockstep; joining them by ordinality cost two merge
 * joins and their materialisation). PostgreSQL parses each value once with its type's input
 * function; the JSON bodies are the canonical texts, not serialised again. The timestamp and
 * stream shared by consecutive events are formatted once, as in `copyRows`.
 */
export function insertRowsStatement(table: string, events: readonly StoredEvent[], validatedOf: ReadonlyMap<string, ValidatedEvent>): string {
  const columns: string[][] = ARRAY_TYPES.map(() => []);
  const [position, id, stream, category, version, type, schemaVersion, occurred, actorId, correlation, causation, prevHash, hash] = columns as [
    string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[],
  ];
  const actors: string[] = [];
  const data: string[] = [];
  const metadata: string[] = [];
  let occurredAt: Date | null = null;
  let occurredAtText = '';
  let streamId: string | null = null;
  let streamText = '';
  let categoryText = '';
  for (const e of events) {
    const v = validatedOf.get(e.id)!;
    if (e.occurredAt !== occurredAt) {
      occurredAt = e.occurredAt;
      occurredAtText = `"${occurredAt.toISOString()}"`;
    }
    if (e.streamId !== streamId) {
      streamId = e.streamId;
      streamText = `"${streamId}"`;
      categoryText = `"${streamCategory(streamId)}"`;
    }
    position.push(String(e.position));
    id.push(`"${e.id}"`);
    stream.push(streamText);
    category.push(categoryText);
    version.push(String(e.streamVersion));
    type.push(`"${e.type}"`);
    schemaVersion.push(String(e.schemaVersion));
    occurred.push(occurredAtText);
    actorId.push(arrayElement(e.actor.id));
    correlation.push(e.correlationId === null ? 'NULL' : `"${e.correlationId}"`);
    causation.push(e.causationId === null ? 'NULL' : `"${e.causationId}"`);
    prevHash.push(`"${e.prevHash}"`);
    hash.push(`"${e.hash}"`);
    actors.push(jsonElement(v.canonical.actor));
    data.push(jsonElement(v.canonical.data));
    metadata.push(jsonElement(v.canonical.metadata));
  }
  const arrays = columns.map((values, i) => `unnest($j$\{${values.join(',')}}$j$::${ARRAY_TYPES[i]}[])`);
  const json = (texts: string[]) => `jsonb_array_elements($j$[${texts.join(',')}]$j$::jsonb)`;
  return `INSERT INTO ${table} (${INSERT_COLUMNS})
    SELECT * FROM ROWS FROM (${[...arrays, json(actors), json(data), json(metadata)].join(', ')}) AS r(${INSERT_COLUMNS})`;
}

/**
 * An event's CSV record rendered by PostgreSQL, so a bulk CSV export receives one string per event
 * instead of seventeen: the columns of an audit-log export (processors/exports/export-builders.ts
 * EVENT_COLUMNS, in that order), each field as `csv-format.ts` `csvRecordInto` writes it (RFC 4180
 * quoting of `"`, `,`, CR and LF; text that a spreadsheet would read as a formula prefixed with
 * `'`), CRLF-terminated. Tests compare it byte for byte with the JavaScript writer.
 */

/** The time as `Date#toISOString` writes it (the ledger keeps milliseconds). */
export const OCCURRED_AT_TEXT = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The columns the record is rendered from, each renamed (so ORDER BY position sorts the number, not text). */
export const CSV_SOURCE_COLUMNS = `position, position::text AS position_text, id::text AS id_text, stream_id, stream_version::text AS stream_version_text,
  type, schema_version::text AS schema_version_text, ${OCCURRED_AT_TEXT} AS occurred_at_text, actor->>'kind' AS actor_kind,
  actor->>'id' AS actor_id, actor->>'role' AS actor_role, actor->>'apiKeyId' AS actor_api_key_id, correlation_id, causation_id,
  data::text AS data_text, metadata::text AS metadata_text, prev_hash, hash`;

/** `'` before text starting like a formula (csv-format.ts FORMULA_START: = + - @ tab CR); a first UTF-16 unit there is always one ASCII character. */
const formulaGuard = (x: string) => `CASE WHEN left(${x}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' ELSE '' END`;

/** A text field (NULL and '' alike empty), quoted when it holds `"`, `,`, CR or LF, quotes doubled. */
const textField = (x: string) =>
  `CASE WHEN ${x} IS NULL OR ${x} = '' THEN ''
    WHEN strpos(${x}, '"') > 0 OR strpos(${x}, ',') > 0 OR strpos(${x}, E'\\r') > 0 OR strpos(${x}, E'\\n') > 0
      THEN '"' || ${formulaGuard(x)} || replace(${x}, '"', '""') || '"'
    ELSE ${formulaGuard(x)} || ${x} END`;

/** Integers are written as numbers: never quoted, never prefixed. */
const integerField = (x: string) => x;

/** The record of the columns above: position, occurred at, id, type, schema version, stream, stream version, actor kind/id/role, correlation, causation, data, metadata, previous hash, hash. */
const RECORD = [
  integerField('position_text'),
  textField('occurred_at_text'),
  textField('id_text'),
  textField('type'),
  integerField('schema_version_text'),
  textField('stream_id'),
  integerField('stream_version_text'),
  textField('actor_kind'),
  textField('actor_id'),
  // A user's role ('' when absent); other actors have none.
  textField(`CASE WHEN actor_kind = 'user' THEN actor_role END`),
  textField('correlation_id'),
  textField('causation_id'),
  textField('data_text'),
  textField('metadata_text'),
  textField('prev_hash'),
  textField('hash'),
]
  .map((field) => `(${field})`)
  .join(` || ',' || `);

/** The columns of `readAllText` (postgres-event-store.ts TEXT_COLUMNS), in its order, from the source columns. */
const TEXT_ORDER = ['position_text', 'id_text', 'stream_id', 'stream_version_text', 'type', 'schema_version_text', 'occurred_at_text', 'actor_kind', 'actor_id', 'actor_role', 'actor_api_key_id', 'correlation_id', 'causation_id', 'data_text', 'metadata_text', 'prev_hash', 'hash'];
/** Always present: what the Merkle tree and the range's checks need. */
const ALWAYS = new Set(['position_text', 'hash']);

/**
 * The query over a page (`page`, a subquery selecting CSV_SOURCE_COLUMNS, in position order): per
 * event the 17 text columns, all but position and hash NULL unless the event must be disclosed,
 * then its CSV record, NULL when it must. Three bindings: the classified `type@version` keys as a
 * JSON array, then the sealed-value marker twice. OFFSET 0 keeps PostgreSQL from merging the
 * subqueries into one: merged, each reference to a column repeats its expression, and jsonb's text
 * (referenced about ten times by a field's rendering) was computed ten times per event.
 */
export const csvPageQuery = (page: string) => `SELECT ${TEXT_ORDER.map((c) => (ALWAYS.has(c) ? c : `CASE WHEN must_disclose THEN ${c} END`)).join(', ')},
  CASE WHEN NOT must_disclose THEN ${RECORD} || E'\\r\\n' END
FROM (SELECT page.*, (type || '@' || schema_version_text) IN (SELECT jsonb_array_elements_text(?::jsonb)) OR strpos(data_text, ?) > 0 OR strpos(metadata_text, ?) > 0 AS must_disclose
  FROM (${page}) AS page OFFSET 0) AS checked
ORDER BY position`;

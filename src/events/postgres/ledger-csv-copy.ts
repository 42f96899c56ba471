import { OCCURRED_AT_TEXT } from './ledger-csv-record.js';

/**
 * The audit-log CSV records of a range written by PostgreSQL's own CSV writer:
 * `COPY (…) TO STDOUT (FORMAT csv)`. The query gives each field as `csv-format.ts` `csvField`
 * would write it before quoting (the `'` before formula-like text, NULL for both NULL and '',
 * integers bare); COPY then quotes exactly as `csvField` does: a field holding `"`, `,`, CR or LF
 * is quoted with its quotes doubled (PostgreSQL's CopyAttributeOutCSV; a non-NULL '' would be
 * written `""`, hence the NULLs). What COPY writes differently is the record's end, LF where the
 * export wants CRLF: the reader (ledger-csv-copy-pages.ts) finds each record by its LF and writes it
 * with CRLF, which is sound because no field of a record holds an LF: `data` and `metadata` are
 * jsonb's text (control characters escaped); ids, hashes and times have none; type, stream,
 * correlation and causation ids are held to patterns without them when appended
 * (new-event-validation.ts); and the actor's id and role, free text held to printable characters
 * there too, send their event to the whole-event path below if one ever holds an LF all the same.
 * The reader checks every record's shape besides (position first, hash last).
 *
 * An event whose shown form may differ from its stored one (classified fields in its
 * `type@version`, a sealed value in its data or metadata) is written as a marker record instead:
 * its position, `*` where the time would be (a time always starts with a digit), empty fields and
 * its hash, for the reader to replace with the disclosed event's record written by JavaScript.
 */

/** The columns the record is built from (ledger-csv-record.ts CSV_SOURCE_COLUMNS, without the text casts COPY does itself). */
export const COPY_SOURCE_COLUMNS = `position, ${OCCURRED_AT_TEXT} AS occurred_at_text, id, type, schema_version, stream_id, stream_version,
  actor->>'kind' AS actor_kind, actor->>'id' AS actor_id, actor->>'role' AS actor_role, correlation_id, causation_id,
  data::text AS data_text, metadata::text AS metadata_text, prev_hash, hash`;

/** The code points of csv-format.ts FORMULA_START: = + - @ tab CR. */
const FORMULA_START_CODES = '61, 43, 45, 64, 9, 13';
/**
 * Text as `csvField` writes it before quoting: `'` before a formula start, '' as NULL. `ascii` (the
 * first character's code, 0 for '') is compared as integers: comparing `left(x, 1)` as text with
 * six strings cost PostgreSQL about a microsecond per event over the record's nine text fields.
 */
const textField = (x: string) => `CASE WHEN ascii(${x}) IN (${FORMULA_START_CODES}) THEN '''' || ${x} WHEN ${x} <> '' THEN ${x} END`;

/** The record's fields: position, occurred at, id, type, schema version, stream, stream version, actor kind/id/role, correlation, causation, data, metadata, previous hash, hash (export-builders.ts EVENT_COLUMNS). */
const FIELDS = [
  'position',
  `CASE WHEN must_disclose THEN '*' ELSE occurred_at_text END`,
  'id',
  textField('type'),
  'schema_version',
  textField('stream_id'),
  'stream_version',
  textField('actor_kind'),
  textField('actor_id'),
  // A user's role ('' when absent); other actors have none.
  textField(`CASE WHEN actor_kind = 'user' THEN actor_role END`),
  textField('correlation_id'),
  textField('causation_id'),
  textField('data_text'),
  textField('metadata_text'),
  'prev_hash',
  'hash',
];
/** Kept for a marker record: its position, its `*`, its hash. */
const MARKER_KEEPS = new Set([0, 1, FIELDS.length - 1]);

/**
 * The COPY statement over `page` (a query selecting COPY_SOURCE_COLUMNS in position order), with
 * the disclosure rule given as SQL literals: `classifiedTypes`, a text[] of `type@version` keys,
 * and `sealedMarker`, a text. COPY takes no bind parameters, so every value in it is a literal
 * (database.ts `sqlText`). OFFSET 0 keeps PostgreSQL from merging the subqueries: merged, each
 * reference to `data_text` would render the jsonb again.
 */
export function ledgerCsvCopy(page: string, rule: { classifiedTypeNames: string; classifiedTypes: string; sealedMarker: string }): string {
  const fields = FIELDS.map((f, i) => (MARKER_KEEPS.has(i) ? f : `CASE WHEN NOT must_disclose THEN ${f} END`));
  return `COPY (SELECT ${fields.join(',\n  ')}
FROM (SELECT page.*, COALESCE((type = ANY (${rule.classifiedTypeNames}) AND (type || '@' || schema_version) = ANY (${rule.classifiedTypes}))
    OR strpos(data_text, ${rule.sealedMarker}) > 0 OR strpos(metadata_text, ${rule.sealedMarker}) > 0
    OR strpos(actor_id, E'\\n') > 0 OR strpos(actor_role, E'\\n') > 0, false) AS must_disclose
  FROM (${page}) AS page ORDER BY position OFFSET 0) AS checked
ORDER BY position) TO STDOUT (FORMAT csv)`;
}

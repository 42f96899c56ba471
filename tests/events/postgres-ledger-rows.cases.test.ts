import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { validateNewEvents, type ValidatedEvent } from '../../src/events/new-event-validation.js';
import { copyRows, LEDGER_COPY_COLUMNS, unchainedFields } from '../../src/events/postgres/ledger-copy-rows.js';
import { insertRowsStatement } from '../../src/events/postgres/ledger-insert-rows.js';
import { EVENTS_TABLE } from '../../src/events/postgres/ledger-schema.js';
import { CsvCopyPageReader, type CsvCopyPage } from '../../src/events/postgres/ledger-csv-copy-pages.js';
import { decideOnView, type LedgerView } from '../../src/events/postgres/ledger-view.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent } from '../support/events.js';

const uuid = (n: number) => `00000000-0000-7000-8000-${n.toString().padStart(12, '0')}`;
const hexOf = (n: number) => n.toString(16).padStart(64, '0');

// ---------------------------------------------------------------------------------------------
// The rows appends write: COPY text rows (PostgreSQL) and the INSERT … ROWS FROM statement (PGlite).
// ---------------------------------------------------------------------------------------------

/** One event's envelope as validated, and as stored at `position` (built by hand, not chained: neither writer checks hashes). */
function ledgerEvent(
  n: number,
  place: { position: number; streamId: string; streamVersion: number; occurredAt: Date },
  fields: Partial<Parameters<typeof newEvent>[1]> & { data?: StoredEvent['data'] } = {},
): { validated: ValidatedEvent; stored: StoredEvent } {
  const { data = {}, ...overrides } = fields;
  const [validated] = validateNewEvents([newEvent(data, { id: uuid(n), ...overrides })]);
  const v = validated!;
  const stored: StoredEvent = {
    id: v.id,
    type: v.type,
    schemaVersion: v.schemaVersion,
    ...place,
    actor: v.actor,
    correlationId: v.correlationId ?? null,
    causationId: v.causationId ?? null,
    data: v.data,
    metadata: v.metadata,
    prevHash: hexOf(place.position - 1),
    hash: hexOf(place.position),
  };
  return { validated: v, stored };
}

const MAX = Number.MAX_SAFE_INTEGER;
const t1 = new Date('2026-11-23T10:00:00.123Z');
// Equal to t1 but another object, then a later time: the writers must not confuse a time by identity.
const t1Again = new Date(t1.getTime());
const t2 = new Date('2026-11-23T10:00:01.000Z');

/**
 * Five events of two streams, the first stream coming back after the second, sharing times by
 * object and by value; actor ids and JSON that COPY, array literals and dollar quotes must escape;
 * a correlation id present and absent; positions near 2^53.
 */
const ledger = [
  ledgerEvent(1, { position: MAX - 4, streamId: 'case-7', streamVersion: 0, occurredAt: t1 }, {
    type: 'case.opened',
    schemaVersion: 3,
    actor: { kind: 'service', id: 'svc\\x "q" $j$ é' },
    correlationId: uuid(900),
    data: { 'k\tey': 'a\tb\nc\\d\r', n: 1, u: 'é漢🎉\u2028' },
    metadata: { $: '$5' },
  }),
  ledgerEvent(2, { position: MAX - 3, streamId: 'case-7', streamVersion: 1, occurredAt: t1 }, {
    actor: { kind: 'user', id: '\\N', role: 'auditor' },
    causationId: uuid(901),
    data: { copy: ['\\N', '\\.', 'x,y', '{a,b}', 'NULL'] },
  }),
  ledgerEvent(3, { position: MAX - 2, streamId: 'ledger', streamVersion: 0, occurredAt: t1Again }, {
    // Only characters an array literal escapes: an id no unescaped element could carry.
    actor: { kind: 'system', id: '"\\$"' },
    data: { end: '$j$', dollar: '$$' },
  }),
  ledgerEvent(4, { position: MAX - 1, streamId: 'case-7', streamVersion: 2, occurredAt: t2 }, {
    actor: { kind: 'service', id: 'NULL' },
  }),
  ledgerEvent(5, { position: MAX, streamId: 'case-7', streamVersion: 3, occurredAt: t2 }, {
    actor: { kind: 'service', id: '$' },
    data: { note: 'tab\tand "quote"' },
  }),
];
const storedEvents = ledger.map((e) => e.stored);
const validatedById = new Map(ledger.map((e) => [e.validated.id, e.validated]));

describe('the COPY text rows of appended events', () => {
  // PostgreSQL's COPY text format (COPY, "Text Format"): fields separated by tab, rows by newline,
  // \N is NULL, and a backslash, tab, newline or carriage return inside a field is written \\, \t,
  // \n, \r. The canonical JSON is RFC 8785 (sorted keys, no spaces, JSON.stringify's string escapes).
  it('writes the fields that do not depend on the chain, escaped as COPY reads them back', () => {
    const [first, second] = ledger;
    expect(unchainedFields(first!.validated)).toBe(
      [
        uuid(1),
        'case.opened',
        '3',
        String.raw`svc\\x "q" $j$ é`,
        uuid(900),
        String.raw`\N`,
        String.raw`{"id":"svc\\\\x \\"q\\" $j$ é","kind":"service"}`,
        String.raw`{"k\\tey":"a\\tb\\nc\\\\d\\r","n":1,"u":"é漢🎉` + '\u2028"}',
        '{"$":"$5"}',
      ].join('\t'),
    );
    // An actor id that reads `\N` is the text, not NULL: its backslash is doubled.
    expect(unchainedFields(second!.validated)).toBe(
      [
        uuid(2),
        'test.happened',
        '1',
        String.raw`\\N`,
        String.raw`\N`,
        uuid(901),
        String.raw`{"id":"\\\\N","kind":"user","role":"auditor"}`,
        String.raw`{"copy":["\\\\N","\\\\.","x,y","{a,b}","NULL"]}`,
        '{}',
      ].join('\t'),
    );
  });

  it('writes each row as position, stream, category, version, time, hashes and the unchained fields', () => {
    const unchained = new Map(ledger.map((e) => [e.validated.id, `U${e.validated.id.slice(-1)}`]));
    expect(copyRows(storedEvents, unchained)).toBe(
      [
        `9007199254740987\tcase-7\tcase\t0\t2026-11-23T10:00:00.123Z\t${hexOf(MAX - 5)}\t${hexOf(MAX - 4)}\tU1\n`,
        `9007199254740988\tcase-7\tcase\t1\t2026-11-23T10:00:00.123Z\t${hexOf(MAX - 4)}\t${hexOf(MAX - 3)}\tU2\n`,
        // A stream id without a dash is its own category.
        `9007199254740989\tledger\tledger\t0\t2026-11-23T10:00:00.123Z\t${hexOf(MAX - 3)}\t${hexOf(MAX - 2)}\tU3\n`,
        `9007199254740990\tcase-7\tcase\t2\t2026-11-23T10:00:01.000Z\t${hexOf(MAX - 2)}\t${hexOf(MAX - 1)}\tU4\n`,
        `9007199254740991\tcase-7\tcase\t3\t2026-11-23T10:00:01.000Z\t${hexOf(MAX - 1)}\t${hexOf(MAX)}\tU5\n`,
      ].join(''),
    );
    expect(copyRows([], unchained)).toBe('');
  });
});

/** The ledger's rows as the database holds them, every column as text (JSON columns parsed). */
async function rowsOf(db: TestDatabase) {
  const rows = await db.queryTextRows(
    `SELECT position::text, id::text, stream_id, stream_category, stream_version::text, type, schema_version::text,
       to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), actor_id, correlation_id, causation_id,
       prev_hash, hash, actor::text, data::text, metadata::text
     FROM ${EVENTS_TABLE} ORDER BY position`,
    [],
  );
  return rows.map((r) => [...r.slice(0, 13), ...r.slice(13).map((json) => JSON.parse(json!) as unknown)]);
}

/** What each row must hold: the appended event's own values. */
const expectedRows = storedEvents.map((e) => [
  String(e.position),
  e.id,
  e.streamId,
  e.streamId === 'ledger' ? 'ledger' : 'case',
  String(e.streamVersion),
  e.type,
  String(e.schemaVersion),
  e.occurredAt.toISOString(),
  e.actor.id,
  e.correlationId,
  e.causationId,
  e.prevHash,
  e.hash,
  e.actor,
  e.data,
  e.metadata,
]);

describe.each(dialects)('the rows written to the ledger table on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('COPY of copyRows stores every event as appended: escapes undone, NULLs only where absent', async () => {
    await db.knex.raw(`TRUNCATE ${EVENTS_TABLE}`);
    const unchained = new Map(ledger.map((e) => [e.validated.id, unchainedFields(e.validated)]));
    await db.withScriptConnection((_run, runCopy) => runCopy(`COPY ${EVENTS_TABLE} (${LEDGER_COPY_COLUMNS.join(', ')}) FROM STDIN`, copyRows(storedEvents, unchained)));
    expect(await rowsOf(db)).toEqual(expectedRows);
  });

  it('the INSERT statement stores every event as appended: array-literal and dollar-quote lookalikes intact', async () => {
    await db.knex.raw(`TRUNCATE ${EVENTS_TABLE}`);
    await db.withScriptConnection((run) => run(insertRowsStatement(EVENTS_TABLE, storedEvents, validatedById)));
    expect(await rowsOf(db)).toEqual(expectedRows);
  });

  it('the INSERT statement stores a lone event whose actor id is only characters an array literal escapes', async () => {
    await db.knex.raw(`TRUNCATE ${EVENTS_TABLE}`);
    for (const id of ['\\', '"', '$', '""', '\\\\$$']) {
      const e = ledgerEvent(10, { position: 1, streamId: 'solo-1', streamVersion: 0, occurredAt: t2 }, { actor: { kind: 'service', id } });
      await db.withScriptConnection((run) => run(insertRowsStatement(EVENTS_TABLE, [e.stored], new Map([[e.validated.id, e.validated]]))));
      const [row] = await db.queryTextRows(`SELECT actor_id, actor->>'id' FROM ${EVENTS_TABLE}`, []);
      expect(row).toEqual([id, id]);
      await db.knex.raw(`TRUNCATE ${EVENTS_TABLE}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The ledger view's decisions.
// ---------------------------------------------------------------------------------------------

describe('deciding appends to streams the view knows to be empty', () => {
  const at = new Date('2026-11-23T10:00:00.000Z');
  const view = (): LedgerView => ({ head: { position: 9, hash: 'cd'.repeat(32), occurredAt: at }, versions: new Map([['fresh', null]]) });
  const append = (count: number, expectedVersion: 'any' | 'no_stream' | number) => ({
    streamId: 'fresh',
    events: validateNewEvents(Array.from({ length: count }, () => newEvent())),
    expectedVersion,
  });

  it('counts an empty stream from -1: two events make version 1, so the next append of the group expects 1', () => {
    const v = view();
    const decided = decideOnView(v, [append(2, 'no_stream'), append(1, 1)], at);
    expect(decided).not.toBeNull();
    expect(decided!.inserts.map((e) => [e.streamVersion, e.position])).toEqual([
      [0, 10],
      [1, 11],
      [2, 12],
    ]);
    expect(v.versions.get('fresh')).toBe(2);
  });

  it('leaves to the database an append expecting more than the empty stream will have', () => {
    const v = view();
    // After one event the stream is at version 0; an append expecting 2 needs the database's refusal.
    expect(decideOnView(v, [append(1, 'no_stream'), append(1, 2)], at)).toBeNull();
    expect(v.versions.get('fresh')).toBeNull();
    expect(v.head.position).toBe(9);
  });
});

// ---------------------------------------------------------------------------------------------
// The CSV COPY stream read into pages.
// ---------------------------------------------------------------------------------------------

const HASH = 'a1'.repeat(32);
/** The shortest record: a one-digit position, a one-character second field, thirteen empty fields and the hash (82 bytes with its LF). */
const shortest = (position: number, second: string) => `${position},${second}${','.repeat(14)}${HASH}`;
const records = (page: CsvCopyPage) => page.records.toString('utf8');

describe('reading CSV COPY records into pages', () => {
  it('fills a page whose chunk is nothing but shortest records: every position, hash and CRLF record kept', () => {
    for (const n of [1, 2, 9]) {
      const lines = Array.from({ length: n }, (_, i) => shortest(i + 1, '2'));
      expect(lines[0]!.length + 1).toBe(82);
      const page = new CsvCopyPageReader().read(Buffer.from(lines.map((l) => `${l}\n`).join('')))!;
      expect(page.count).toBe(n);
      expect([...page.positions]).toEqual(lines.map((_, i) => i + 1));
      expect(page.hashes.toString('hex')).toBe(HASH.repeat(n));
      expect(records(page)).toBe(lines.map((l) => `${l}\r\n`).join(''));
      expect(page.disclosed).toEqual([]);
      // A page's arrays live as long as it does: sized for the most records its bytes can hold (one per 82 bytes, plus one).
      expect(page.positions.buffer.byteLength).toBeLessThanOrEqual(8 * (n + 1));
    }
  });

  it('joins a record cut between chunks and sizes the page by the bytes it holds, not by where the cut fell', () => {
    const lines = Array.from({ length: 5 }, (_, i) => shortest(i + 1, '2'));
    const stream = lines.map((l) => `${l}\n`).join('');
    const reader = new CsvCopyPageReader();
    expect(reader.read(Buffer.from(stream.slice(0, 1)))).toBeNull();
    const page = reader.read(Buffer.from(stream.slice(1)))!;
    expect([...page.positions]).toEqual([1, 2, 3, 4, 5]);
    expect(records(page)).toBe(lines.map((l) => `${l}\r\n`).join(''));
    expect(page.positions.buffer.byteLength).toBeLessThanOrEqual(8 * (5 + 1));
    expect(() => reader.end()).not.toThrow();
  });

  it('completes a cut record with a chunk that starts with its LF', () => {
    const line = shortest(4, '2');
    const reader = new CsvCopyPageReader();
    expect(reader.read(Buffer.from(line))).toBeNull();
    const page = reader.read(Buffer.from('\n'));
    expect(page?.count).toBe(1);
    expect([...page!.positions]).toEqual([4]);
    expect(records(page!)).toBe(`${line}\r\n`);
    expect(() => reader.end()).not.toThrow();

    // The same with the next record following the LF in that chunk.
    const next = shortest(5, '2');
    const again = new CsvCopyPageReader();
    expect(again.read(Buffer.from(line))).toBeNull();
    expect(records(again.read(Buffer.from(`\n${next}\n`))!)).toBe(`${line}\r\n${next}\r\n`);
  });

  it('answers null, not an empty page, for chunks that complete no record', () => {
    const reader = new CsvCopyPageReader();
    expect(reader.read(Buffer.from('12,'))).toBeNull();
    expect(reader.read(Buffer.from('x,'))).toBeNull();
    expect(new CsvCopyPageReader().read(Buffer.alloc(0))).toBeNull();
    expect(() => reader.end()).toThrow('the COPY output ended inside a record: "12,x,"');
  });

  it('leaves out exactly the records whose second field is `*`, noting where each belongs', () => {
    const lines = [shortest(1, '2'), shortest(2, '*'), `3,**${','.repeat(14)}${HASH}`, `4,*x${','.repeat(14)}${HASH}`, shortest(5, '*')];
    const page = new CsvCopyPageReader().read(Buffer.from(lines.map((l) => `${l}\n`).join('')))!;
    expect([...page.positions]).toEqual([1, 2, 3, 4, 5]);
    expect(page.hashes.toString('hex')).toBe(HASH.repeat(5));
    expect(records(page)).toBe(`${lines[0]}\r\n${lines[2]}\r\n${lines[3]}\r\n`);
    // Record 1 takes 83 bytes with its CRLF; 3 and 4 take 84 each.
    expect(page.disclosed).toEqual([
      { position: 2, at: 83 },
      { position: 5, at: 83 + 84 + 84 },
    ]);
  });

  it('refuses records that do not start with a position, naming the record', () => {
    const read = (text: string) => () => new CsvCopyPageReader().read(Buffer.from(text));
    // An empty line, at the start of the stream.
    expect(read('\n')).toThrow('a COPY record does not start with a position: ""');
    // An empty first field, a sign, a space: no position.
    expect(read(`,2,${HASH}\n`)).toThrow(`a COPY record does not start with a position: ",2,${HASH}"`);
    expect(read(`-5,2,${HASH}\n`)).toThrow(/^a COPY record does not start with a position: "-5,2,/);
    expect(read(`1 ,2,${HASH}\n`)).toThrow(/does not start with a position/);
  });

  it('refuses a record whose last field is not exactly 64 hex digits after a comma', () => {
    const read = (text: string) => () => new CsvCopyPageReader().read(Buffer.from(text));
    expect(read(`1,2,a${HASH}\n`)).toThrow(/does not end with a hash/);
    expect(read(`1,2${HASH}\n`)).toThrow(/does not end with a hash/);
    expect(read(`1,${HASH}\n`)).not.toThrow();
  });

  it('names a refused record by its first 80 bytes at most', () => {
    const good = `${shortest(1, '2')}\n`;
    const short = '7,"x,y",é';
    expect(() => new CsvCopyPageReader().read(Buffer.from(`${good}${short}\n`))).toThrow(`a COPY record does not end with a hash: ${JSON.stringify(short)}`);
    const long = `8,${'z'.repeat(100)},${HASH.slice(1)}`;
    expect(() => new CsvCopyPageReader().read(Buffer.from(`${good}${long}\n`))).toThrow(`a COPY record does not end with a hash: "8,${'z'.repeat(78)}"`);
  });
});

describe("reading PostgreSQL's own CSV COPY output into pages", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('keeps the records as COPY (FORMAT csv) quotes them, with CRLF ends, across the chunks it sends', async () => {
    // 16 fields: position, time or `*`, thirteen texts, hash. Each text field's value, then its CSV
    // by hand (CopyAttributeOutCSV: NULL empty; quoted when it holds a quote, comma, CR or LF, quotes doubled; '' quoted).
    const texts: [sql: string, csv: string][] = [
      [`'a"b'`, `"a""b"`],
      [`'x,y'`, `"x,y"`],
      [`E'c\\rd'`, '"c\rd"'],
      [`'é漢🎉'`, 'é漢🎉'],
      ['NULL', ''],
      [`''`, '""'],
      [`'{"k": "v, w"}'`, `"{""k"": ""v, w""}"`],
      [`' lead'`, ' lead'],
      [`'=1+2'`, '=1+2'],
      [`E'\\\\'`, '\\'],
      [`'*'`, '*'],
      [`E'\\t'`, '\t'],
      [`'''quote'`, "'quote"],
    ];
    const count = 3000;
    const query = `SELECT n, CASE WHEN n % 7 = 0 THEN '*' ELSE '2026-11-23T10:00:00.000Z' END,
      ${texts.map(([sql]) => sql).join(', ')}, lpad(to_hex(n), 64, '0')
      FROM generate_series(1, ${count}) AS n ORDER BY n`;
    const reader = new CsvCopyPageReader();
    const pages: CsvCopyPage[] = [];
    for await (const chunk of db.copyOut!(`COPY (${query}) TO STDOUT (FORMAT csv)`)) {
      const page = reader.read(chunk);
      if (page) pages.push(page);
    }
    reader.end();
    expect(pages.length).toBeGreaterThan(1); // the output came in several chunks
    const positions = pages.flatMap((p) => [...p.positions]);
    expect(positions).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(pages.map((p) => p.hashes.toString('hex')).join('')).toBe(positions.map(hexOf).join(''));
    const csvTexts = texts.map(([, csv]) => csv).join(',');
    const kept = positions.filter((n) => n % 7 !== 0);
    expect(pages.map(records).join('')).toBe(kept.map((n) => `${n},2026-11-23T10:00:00.000Z,${csvTexts},${hexOf(n)}\r\n`).join(''));
    expect(pages.flatMap((p) => p.disclosed.map((d) => d.position))).toEqual(positions.filter((n) => n % 7 === 0));
  });
});

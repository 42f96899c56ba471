import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CopyBinaryWriter } from '../../src/platform/copy-binary-format.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Rows written in COPY's binary format must read back, through the database's own text output,
 * as the values that were meant: every field type the writer has, with its edge values
 * (NaN and infinities, a timestamp before 2000, text beyond ASCII, an empty bytea, NULL).
 */
describe.each(dialects)('COPY binary format on %s', (dialect) => {
  let db: TestDatabase;
  const COPY = 'COPY binary_target (id, n, x, at, label, doc, raw) FROM STDIN (FORMAT binary)';
  const read = async () =>
    (await db.knex.raw(`SELECT id::text AS id, n, x::text AS x, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at, label, doc::text AS doc, encode(raw, 'hex') AS raw FROM binary_target ORDER BY n`)).rows as Record<string, unknown>[];

  beforeAll(async () => {
    db = await openTestDatabase(dialect, { migrate: false });
    await db.knex.raw('CREATE TABLE binary_target (id uuid, n integer PRIMARY KEY, x double precision, at timestamptz, label text, doc jsonb, raw bytea)');
  });
  beforeEach(async () => {
    await db.knex.raw('TRUNCATE binary_target');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('reads back every field type as meant', async () => {
    const copy = new CopyBinaryWriter(16); // smaller than the rows: the buffer grows
    const shared = CopyBinaryWriter.field((w) => w.timestamptz(new Date('2026-12-07T05:30:00.123Z')));
    copy.row(7).uuid('0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0').int4(-2147483648).float8(NaN).encoded(shared).text('Zürich ✓ 𝄞').jsonb('{"b": [1, 2.5], "a": "é"}').bytea(Uint8Array.from([0, 255, 16]));
    copy.row(7).uuid('00000000-0000-0000-0000-000000000000').int4(2).float8(-Infinity).timestamptz(new Date('1999-12-31T23:59:59.999Z')).null().null().bytea(new Uint8Array(0));
    // Part of a larger buffer: bytes 1..2 of [9, 0xab, 0xcd, 9].
    copy.row(7).uuid('11111111-1111-1111-1111-111111111111').int4(4).null().null().null().null().bytea(Uint8Array.from([9, 0xab, 0xcd, 9]), 1, 2);
    copy.row(7).null().int4(2147483647).float8(0.1).encoded(shared).text('').jsonb('null').null();
    copy.row(7).uuidBytes(Buffer.from('00ffffffffffffffffffffffffffffffffff', 'hex'), 1).int4(3).float8(Infinity).null().null().null().null();
    await db.withScriptConnection((_run, runCopy) => runCopy(COPY, copy.finish()));
    expect(await read()).toEqual([
      { id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', n: -2147483648, x: 'NaN', at: '2026-12-07T05:30:00.123000', label: 'Zürich ✓ 𝄞', doc: '{"a": "é", "b": [1, 2.5]}', raw: '00ff10' },
      { id: '00000000-0000-0000-0000-000000000000', n: 2, x: '-Infinity', at: '1999-12-31T23:59:59.999000', label: null, doc: null, raw: '' },
      { id: 'ffffffff-ffff-ffff-ffff-ffffffffffff', n: 3, x: 'Infinity', at: null, label: null, doc: null, raw: null },
      { id: '11111111-1111-1111-1111-111111111111', n: 4, x: null, at: null, label: null, doc: null, raw: 'abcd' },
      { id: null, n: 2147483647, x: '0.1', at: '2026-12-07T05:30:00.123000', label: '', doc: 'null', raw: null },
    ]);
  });

  it('a row the table refuses fails the whole copy: nothing written', async () => {
    const copy = new CopyBinaryWriter();
    for (const n of [1, 2, 1]) copy.row(7).null().int4(n).null().null().null().null().null();
    const error = await db.withScriptConnection((_run, runCopy) => runCopy(COPY, copy.finish())).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('23505');
    expect(await read()).toEqual([]);
  });

  it('refuses text that is not a uuid before anything is sent', () => {
    const copy = new CopyBinaryWriter();
    for (const bad of ['0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f', '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0a', 'zf1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fé']) {
      expect(() => copy.uuid(bad), bad).toThrow(`not a uuid: ${bad}`);
    }
  });
});

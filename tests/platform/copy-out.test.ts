import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * `copyOut` streams `COPY … TO STDOUT` as bytes (PostgreSQL only). Besides the bytes: settings hold
 * for that statement alone, and a reader that stops early leaves no broken connection in the pool.
 */
describe('COPY TO STDOUT as bytes (postgres)', () => {
  let db: TestDatabase;
  const text = async (chunks: AsyncIterable<Buffer>) => {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    return Buffer.concat(parts).toString('utf8');
  };

  beforeAll(async () => {
    // A pool of one: a connection left broken would be the one every later query gets.
    db = await openTestDatabase('postgres', { migrate: false, poolSize: 1 });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('yields the CSV PostgreSQL writes, quoting as RFC 4180 does', async () => {
    const out = await text(db.copyOut!(`COPY (SELECT n, CASE WHEN n = 2 THEN 'a,"b"' END, '' FROM generate_series(1, 3) AS n) TO STDOUT (FORMAT csv)`));
    expect(out).toBe('1,,""\n2,"a,""b""",""\n3,,""\n');
  });

  it('applies settings to its statement only', async () => {
    const out = await text(db.copyOut!(`COPY (SELECT current_setting('enable_sort')) TO STDOUT (FORMAT csv)`, { settings: { enable_sort: 'off' } }));
    expect(out).toBe('off\n');
    const after = (await db.knex.raw(`SELECT current_setting('enable_sort') AS s`)) as { rows: { s: string }[] };
    expect(after.rows[0]!.s).toBe('on');
    await expect(text(db.copyOut!('COPY (SELECT 1) TO STDOUT', { settings: { 'enable_sort; DROP': 'off' } }))).rejects.toThrow(/not a setting/);
  });

  it('closes the connection of a COPY left unfinished, and the pool goes on', async () => {
    let chunks = 0;
    for await (const chunk of db.copyOut!(`COPY (SELECT repeat('x', 1000) FROM generate_series(1, 200000)) TO STDOUT`)) {
      expect(chunk.length).toBeGreaterThan(0);
      if (++chunks === 2) break;
    }
    const again = (await db.knex.raw('SELECT 41 + 1 AS n')) as { rows: { n: number }[] };
    expect(again.rows[0]!.n).toBe(42);
    expect(await text(db.copyOut!('COPY (SELECT 7) TO STDOUT'))).toBe('7\n');
  });

  it('fails with the database error, and the pool goes on', async () => {
    await expect(text(db.copyOut!('COPY (SELECT 1 / 0) TO STDOUT'))).rejects.toThrow(/division by zero/);
    expect(await text(db.copyOut!('COPY (SELECT 8) TO STDOUT', { settings: { enable_sort: 'off' } }))).toBe('8\n');
  });
});

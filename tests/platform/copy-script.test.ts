import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * `runCopy` runs a script holding one `COPY … FROM STDIN` with its rows sent along (PostgreSQL:
 * PostgresCopyScript, in one message; PGlite: the rows as /dev/blob). What matters besides the
 * happy path is failure: nothing half-written and the connection usable for the next script.
 */
describe.each(dialects)('copy scripts on %s', (dialect) => {
  let db: TestDatabase;
  const rowsOf = async () => (await db.knex('copy_target').select('n', 'label', 'body').orderBy('n')) as { n: number; label: string | null; body: unknown }[];

  beforeAll(async () => {
    db = await openTestDatabase(dialect, { migrate: false });
    await db.knex.raw('CREATE TABLE copy_target (n integer PRIMARY KEY, label text, body jsonb NOT NULL)');
  });
  beforeEach(async () => {
    await db.knex.raw('TRUNCATE copy_target');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('copies the rows between the statements around the COPY, in one transaction', async () => {
    await db.withScriptConnection((_run, runCopy) =>
      runCopy(
        `BEGIN; SELECT 1; COPY copy_target (n, label, body) FROM STDIN; UPDATE copy_target SET label = label || '!' WHERE n = 2; COMMIT`,
        '1\t\\N\t{"a":1}\n2\ttab\\there\t{"b":"x\\\\ny"}\n',
      ),
    );
    expect(await rowsOf()).toEqual([
      { n: 1, label: null, body: { a: 1 } },
      { n: 2, label: 'tab\there!', body: { b: 'x\ny' } },
    ]);
  });

  it('a statement failing before the COPY: refused, no row written, the connection takes the next script', async () => {
    const outcome = await db.withScriptConnection(async (run, runCopy) => {
      const error = await runCopy(`BEGIN; SELECT 1 / 0; COPY copy_target (n, label, body) FROM STDIN; COMMIT`, '1\tx\t{}\n').catch((e: unknown) => e);
      await run('ROLLBACK');
      const [[after]] = (await run('SELECT count(*)::int AS n FROM copy_target')) as [[{ n: number }]];
      return { error, after };
    });
    expect(String(outcome.error)).toMatch(/division by zero/);
    expect(outcome.after).toEqual({ n: 0 });
    expect(await rowsOf()).toEqual([]);
  });

  it('a row the table refuses: the whole script is refused, with the database error code', async () => {
    await db.knex('copy_target').insert({ n: 2, label: 'kept', body: '{}' });
    const error = await db.withScriptConnection(async (run, runCopy) => {
      const e = await runCopy(`BEGIN; COPY copy_target (n, label, body) FROM STDIN; COMMIT`, '1\tnew\t{}\n2\tclash\t{}\n').catch((x: unknown) => x);
      await run('ROLLBACK');
      return e;
    });
    expect((error as { code?: string }).code).toBe('23505');
    expect(await rowsOf()).toEqual([{ n: 2, label: 'kept', body: {} }]);
  });

  it('malformed rows are refused and leave nothing', async () => {
    const error = await db.withScriptConnection(async (run, runCopy) => {
      const e = await runCopy(`BEGIN; COPY copy_target (n, label, body) FROM STDIN; COMMIT`, '1\tok\t{}\nnot-a-number\tx\t{}\n').catch((x: unknown) => x);
      await run('ROLLBACK');
      return e;
    });
    expect(String(error)).toMatch(/integer/);
    expect(await rowsOf()).toEqual([]);
  });

  it.runIf(dialect === 'postgres')('a script with a second COPY FROM STDIN is refused rather than left waiting for rows', async () => {
    const error = await db.withScriptConnection(async (run, runCopy) => {
      const e = await runCopy(
        `BEGIN; COPY copy_target (n, label, body) FROM STDIN; COPY copy_target (n, label, body) FROM STDIN; COMMIT`,
        '1\tonce\t{}\n',
      ).catch((x: unknown) => x);
      await run('ROLLBACK');
      return e;
    });
    expect(String(error)).toMatch(/one COPY FROM STDIN/);
    expect(await rowsOf()).toEqual([]);
  });
});

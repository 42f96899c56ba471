import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { PersonalDataVault } from '../../src/events/personal-data.js';
import { eventsForProjection, ProjectionRunner } from '../../src/projections/projection-runner.js';
import { defineProjection, type Projection } from '../../src/projections/projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent, sleep } from '../support/events.js';

/** A read model of `test.kept` events, refusing those whose note is `failOn`. */
const kept = (name: string, options: { version?: number; failOn?: string; brokenTable?: boolean } = {}) =>
  defineProjection({
    name,
    version: options.version ?? 1,
    handles: ['test.kept'],
    tables: {
      [name]: (t: { text(c: string): { primary(): unknown } }) => {
        if (options.brokenTable) throw new Error(`no table for ${name}`);
        t.text('event_id').primary();
      },
    },
    async apply(trx, events, tables) {
      for (const e of events) {
        if (e.data.note === options.failOn) throw new Error(`${name} refuses ${String(e.data.note)}`);
        await trx(tables[name]!).insert({ event_id: e.id });
      }
    },
  }) as Projection;

const until = async (check: () => Promise<boolean>, ms = 5_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (await check()) return true;
  return check();
};

describe('projection runner states on postgres', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let vault: PersonalDataVault;
  const catalogue = raiaEventCatalogue();

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    store = new PostgresEventStore(db, { pollIntervalMs: 50 });
    vault = new PersonalDataVault(db.knex, randomBytes(32));
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('refuses two projections of the same name', () => {
    expect(() => new ProjectionRunner({ knex: db.knex, store, catalogue }, [kept('test_twice'), kept('test_once'), kept('test_twice')])).toThrow('projection test_twice is defined twice');
  });

  it('reports name, version, position, lag, status and error of each projection, in name order', async () => {
    await store.append('kept-1', [newEvent({ note: 'a' }, { type: 'test.kept' })]);
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 2 }, [kept('test_status_b'), kept('test_status_a', { version: 3 })]);
    await runner.start();
    await runner.ready();
    const head = (await store.head()).position;
    expect(await runner.waitFor(head, 5_000)).toBe(true);
    expect(await runner.status()).toEqual([
      { name: 'test_status_a', version: 3, position: head, lag: 0, status: 'running', lastError: null },
      { name: 'test_status_b', version: 1, position: head, lag: 0, status: 'running', lastError: null },
    ]);
    expect(await runner.positionOf('test_status_a')).toEqual({ version: 3, checkpoint: head, position: head, current: true });
    await runner.stop();
    await store.append('kept-2', [newEvent({ note: 'b' }, { type: 'test.kept' }), newEvent({ note: 'c' }, { type: 'test.kept' })]);
    // This code's version of test_status_a is 4: its row (of version 3) is behind whatever its position.
    const lagging = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, [kept('test_status_b'), kept('test_status_a', { version: 4 })]);
    expect(await lagging.status()).toEqual([
      { name: 'test_status_a', version: 3, position: head, lag: 2, status: 'running', lastError: null },
      { name: 'test_status_b', version: 1, position: head, lag: 2, status: 'running', lastError: null },
    ]);
    // Past the head (another process's row): no negative lag.
    await db.knex('raia_projections').where('name', 'test_status_b').update({ position: head + 10 });
    expect((await lagging.status())[1]!.lag).toBe(0);
    await db.knex('raia_projections').where('name', 'test_status_b').update({ position: head });
    // Only the named projections are waited for.
    expect(await lagging.waitFor(head, 50, ['test_status_b'])).toBe(true);
    expect(await lagging.waitFor(head + 1, 50, ['test_status_b'])).toBe(false);
    expect(await lagging.waitFor(head, 50, ['test_status_a'])).toBe(false);
    expect(await lagging.waitFor(head, 50)).toBe(false);
    expect(await lagging.positionOf('test_status_a')).toEqual({ version: 3, checkpoint: head, position: head, current: false });
  });

  it('marks a projection failed with its error when applying fails, and keeps its checkpoint', async () => {
    const before = (await store.head()).position;
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, [kept('test_failing', { failOn: 'poison' })]);
    await runner.start();
    await runner.ready();
    expect(await runner.waitFor(before, 5_000)).toBe(true);
    const { position } = await store.append('kept-3', [newEvent({ note: 'poison' }, { type: 'test.kept' })]);
    expect(await until(async () => (await runner.status())[0]!.status === 'failed')).toBe(true);
    expect((await runner.status())[0]).toEqual({ name: 'test_failing', version: 1, position: before, lag: position - before, status: 'failed', lastError: 'test_failing refuses poison' });
    expect(await runner.waitFor(position, 100)).toBe(false);
    await runner.stop();
  });

  it('marks a rebuild that cannot create its tables failed, and leaves no table behind', async () => {
    const errors: unknown[] = [];
    const logger = { error: (...args: unknown[]) => errors.push(args), info: () => undefined, warn: () => undefined, debug: () => undefined } as unknown as ConstructorParameters<typeof ProjectionRunner>[0]['logger'];
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, ...(logger ? { logger } : {}) }, [kept('test_broken', { brokenTable: true })]);
    await runner.start();
    await runner.ready();
    expect((await runner.status())[0]).toMatchObject({ name: 'test_broken', version: -1, status: 'failed', lastError: 'no table for test_broken' });
    expect(errors).toEqual([[expect.objectContaining({ projection: 'test_broken' }), 'projection rebuild failed']]);
    const left = await db.knex('information_schema.tables').where('table_name', 'like', 'test_broken%').count({ n: '*' }).first();
    expect(Number(left?.n)).toBe(0);
    await expect(runner.rebuild('test_broken')).rejects.toThrow('no table for test_broken');
    await runner.stop();
  });

  it('rebuilds once when asked twice at once, and swaps the tables in with the checkpoint', async () => {
    const head = (await store.head()).position;
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 2 }, [kept('test_rebuilt')]);
    await runner.start();
    const first = runner.rebuild('test_rebuilt');
    expect(runner.rebuild('test_rebuilt')).toBe(first);
    await first;
    const row = await db.knex('raia_projections').where('name', 'test_rebuilt').first();
    expect([row.version, Number(row.position), row.status, row.last_error]).toEqual([1, head, 'running', null]);
    const keptEvents = (await store.readAll({ limit: 1000 })).filter((e) => e.type === 'test.kept');
    expect((await db.knex('test_rebuilt').select('event_id')).map((r) => r.event_id).sort()).toEqual(keptEvents.map((e) => e.id).sort());
    await runner.stop();
  });

  it('counts the quiet events whose checkpoint move is put off in its position, not its checkpoint, and moves it at stop', async () => {
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, idleMoveDelayMs: 60_000 }, [kept('test_quiet')]);
    await runner.start();
    await runner.ready();
    const start = (await store.head()).position;
    expect(await runner.waitFor(start, 5_000)).toBe(true);
    const row = async () => Number((await db.knex('raia_projections').where('name', 'test_quiet').first()).position);
    expect(await row()).toBe(start);
    for (let i = 0; i < 3; i++) await store.append(`quiet-${i}`, [newEvent({}, { type: 'test.other' })]);
    const quietHead = (await store.head()).position;
    expect(await runner.waitFor(quietHead, 5_000)).toBe(true);
    expect(await runner.positionOf('test_quiet')).toEqual({ version: 1, checkpoint: start, position: quietHead, current: true });
    expect((await runner.status())[0]).toMatchObject({ position: quietHead, lag: 0 });
    const { position: keptAt } = await store.append('kept-quiet', [newEvent({ note: 'k' }, { type: 'test.kept' })]);
    expect(await runner.waitFor(keptAt, 5_000)).toBe(true);
    expect(await runner.positionOf('test_quiet')).toEqual({ version: 1, checkpoint: keptAt, position: keptAt, current: true });
    const { position: last } = await store.append('quiet-last', [newEvent({}, { type: 'test.other' })]);
    expect(await runner.waitFor(last, 5_000)).toBe(true);
    expect(await row()).toBe(keptAt);
    await runner.stop();
    expect(await row()).toBe(last);
  });

  it('moves put-off checkpoints after the delay', async () => {
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, idleMoveDelayMs: 30 }, [kept('test_quiet_soon')]);
    await runner.start();
    await runner.ready();
    for (let i = 0; i < 2; i++) await store.append(`quiet-soon-${i}`, [newEvent({}, { type: 'test.other' })]);
    const head = (await store.head()).position;
    expect(await runner.waitFor(head, 5_000)).toBe(true);
    expect(await until(async () => Number((await db.knex('raia_projections').where('name', 'test_quiet_soon').first()).position) === head)).toBe(true);
    expect(await runner.positionOf('test_quiet_soon')).toEqual({ version: 1, checkpoint: head, position: head, current: true });
    await runner.stop();
  });

  it('reveals personal fields only for projections that read them, and only handled events', async () => {
    const { events } = await store.append('kept-4', [newEvent({ note: await vault.seal('subject-1', 'in clear') }, { type: 'test.kept' }), newEvent({ note: 'other' }, { type: 'test.other' })]);
    const reading = kept('test_reads');
    const notReading = { ...kept('test_reads_not'), readsPersonalData: false } as Projection;
    expect((await eventsForProjection({ catalogue, vault }, reading, events)).map((e) => e.data.note)).toEqual(['in clear']);
    expect((await eventsForProjection({ catalogue, vault }, notReading, events)).map((e) => e.data.note)).toEqual([expect.objectContaining({ $pii: 'v1' })]);
    expect((await eventsForProjection({ catalogue }, reading, events)).map((e) => e.data.note)).toEqual([expect.objectContaining({ $pii: 'v1' })]);
    expect(await eventsForProjection({ catalogue, vault }, reading, events.slice(1))).toEqual([]);
  });
});

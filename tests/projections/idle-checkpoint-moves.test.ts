import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { PersonalDataVault } from '../../src/events/personal-data.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { defineProjection, type Projection } from '../../src/projections/projection.js';
import { newEvent, sleep } from '../support/events.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

/** A read model of `test.counted` events: one row per event. */
const counted = (name: string) =>
  defineProjection({
    name,
    version: 1,
    handles: ['test.counted'],
    tables: { [name]: (t: { text(c: string): { primary(): unknown } }) => void t.text('event_id').primary() },
    async apply(trx, events, tables) {
      for (const e of events) await trx(tables[name]!).insert({ event_id: e.id });
    },
  }) as Projection;

const rowOf = async (db: TestDatabase, name: string) => Number((await db.knex('raia_projections').where('name', name).first()).position);

describe.each(dialects)('checkpoint moves put off for projections with nothing to apply, on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let vault: PersonalDataVault;
  const catalogue = raiaEventCatalogue();

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { pollIntervalMs: 60_000 });
    vault = new PersonalDataVault(db.knex, randomBytes(32));
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('leaves the row behind quiet events while waitFor and status count them, moves it exactly with the next applied page, and at stop', async () => {
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, idleMoveDelayMs: 60_000 }, [counted('test_counted_a')]);
    await runner.start();
    await runner.ready();
    const before = await rowOf(db, 'test_counted_a');
    for (let i = 0; i < 3; i++) await store.append(`quiet-a-${i}`, [newEvent()]);
    const head = (await store.head()).position;
    expect(await runner.waitFor(head, 5_000)).toBe(true);
    expect(await rowOf(db, 'test_counted_a')).toBe(before);
    expect((await runner.status())[0]).toMatchObject({ position: head, lag: 0 });

    const { position: countedAt } = await store.append('counted-a', [newEvent({}, { type: 'test.counted' })]);
    expect(await runner.waitFor(countedAt, 5_000)).toBe(true);
    expect(await rowOf(db, 'test_counted_a')).toBe(countedAt);
    expect((await db.knex('test_counted_a').select('event_id')).length).toBe(1);

    const { position: last } = await store.append('quiet-a-last', [newEvent()]);
    expect(await runner.waitFor(last, 5_000)).toBe(true);
    expect(await rowOf(db, 'test_counted_a')).toBe(countedAt);
    await runner.stop();
    expect(await rowOf(db, 'test_counted_a')).toBe(last);
  });

  it('moves the rows after the delay, and re-reads from a row found behind its quiet events', async () => {
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, idleMoveDelayMs: 100 }, [counted('test_counted_b')]);
    await runner.start();
    await runner.ready();
    const { position: countedAt } = await store.append('counted-b', [newEvent({}, { type: 'test.counted' })]);
    for (let i = 0; i < 3; i++) await store.append(`quiet-b-${i}`, [newEvent()]);
    let head = (await store.head()).position;
    expect(await runner.waitFor(head, 5_000)).toBe(true);
    for (let i = 0; i < 50 && (await rowOf(db, 'test_counted_b')) !== head; i++) await sleep(20);
    expect(await rowOf(db, 'test_counted_b')).toBe(head);

    // As if the counted event had never been applied: the put-off move must not carry the row past it.
    await db.knex('test_counted_b').delete();
    await db.knex('raia_projections').where('name', 'test_counted_b').update({ position: countedAt - 1 });
    await store.append('quiet-b-after', [newEvent()]);
    head = (await store.head()).position;
    for (let i = 0; i < 100 && (await rowOf(db, 'test_counted_b')) !== head; i++) await sleep(20);
    expect(await rowOf(db, 'test_counted_b')).toBe(head);
    expect((await db.knex('test_counted_b').select('event_id')).length).toBe(1);
    await runner.stop();
  });
});

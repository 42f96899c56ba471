import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { PersonalDataVault, REDACTED } from '../../src/events/personal-data.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { streamCatalog } from '../../src/projections/stream-catalog.projection.js';
import { defineProjection, type Projection } from '../../src/projections/projection.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent } from '../support/events.js';

/** A read model holding a personal field, as identity's user list will. */
const people = (version = 1) =>
  defineProjection({
    name: 'test_people',
    version,
    handles: ['test.person-added', 'test.person-renamed'],
    tables: {
      test_people: (t) => {
        t.text('person_id').primary();
        t.text('email').notNullable();
        t.integer('renames').notNullable().defaultTo(0);
      },
    },
    async apply(trx, events, tables) {
      for (const e of events) {
        if (e.type === 'test.person-added') await trx(tables.test_people).insert({ person_id: e.data.personId, email: e.data.email });
        else await trx(tables.test_people).where('person_id', e.data.personId as string).increment('renames', 1);
      }
    },
  }) as Projection;

const rowsOf = async (db: TestDatabase, table: string, orderBy: string) => db.knex(table).select('*').orderBy(orderBy);

describe.each(dialects)('projection runner on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let vault: PersonalDataVault;
  const catalogue = raiaEventCatalogue();

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { pollIntervalMs: 50 });
    vault = new PersonalDataVault(db.knex, randomBytes(32));
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const addPeople = async (n: number, offset = 0) => {
    for (let i = offset; i < offset + n; i++) {
      const personId = `p${i}`;
      await store.append(`person-${personId}`, [
        newEvent({ personId, email: await vault.seal(personId, `${personId}@example.org`) }, { type: 'test.person-added' }),
        ...Array.from({ length: i % 3 }, () => newEvent({ personId }, { type: 'test.person-renamed' })),
      ]);
    }
  };

  it('catches up, follows live, and answers waitFor once the position is applied', async () => {
    await addPeople(30);
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 7 }, [streamCatalog, people()] as Projection[]);
    await runner.start();
    await runner.ready();
    const head = await store.head();
    expect(await runner.waitFor(head.position, 10_000)).toBe(true);
    expect(await db.knex('test_people').count({ n: '*' }).first()).toMatchObject({ n: 30 });
    expect((await db.knex('test_people').where('person_id', 'p4').first()).email).toBe('p4@example.org');

    const { position } = await store.append('person-live', [newEvent({ personId: 'live', email: 'live@example.org' }, { type: 'test.person-added' })]);
    expect(await runner.waitFor(position, 10_000)).toBe(true);
    expect((await db.knex('stream_catalog').where('stream_id', 'person-live').first()).event_count).toBe(1);
    const status = await runner.status();
    expect(status.every((s) => s.status === 'running' && s.lag === 0)).toBe(true);
    expect(await runner.waitFor(position + 1000, 100)).toBe(false);
    await runner.stop();
  });

  it('rebuilds identical rows after its tables are dropped', async () => {
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 11 }, [streamCatalog, people()] as Projection[]);
    await runner.start();
    await runner.ready();
    expect(await runner.waitFor((await store.head()).position, 10_000)).toBe(true);
    const before = { catalog: await rowsOf(db, 'stream_catalog', 'stream_id'), people: await rowsOf(db, 'test_people', 'person_id') };
    await runner.stop();

    await db.knex.schema.dropTable('stream_catalog');
    await db.knex.schema.dropTable('test_people');
    const again = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 5 }, [streamCatalog, people()] as Projection[]);
    await again.start();
    await again.ready();
    expect(await again.waitFor((await store.head()).position, 10_000)).toBe(true);
    expect(await rowsOf(db, 'stream_catalog', 'stream_id')).toEqual(before.catalog);
    expect(await rowsOf(db, 'test_people', 'person_id')).toEqual(before.people);
    await again.stop();
  });

  it('rebuilds online when the version is bumped, while events keep arriving', async () => {
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 13 }, [people(2)] as Projection[]);
    await runner.start();
    const writing = addPeople(20, 100);
    await Promise.all([runner.ready(), writing]);
    expect(await runner.waitFor((await store.head()).position, 10_000)).toBe(true);
    const count = await db.knex('test_people').count({ n: '*' }).first();
    expect(Number(count?.n)).toBe(51);
    expect((await runner.status())[0]).toMatchObject({ version: 2, status: 'running', lag: 0 });
    await runner.stop();
  });

  it('moves the checkpoint past events it handles none of, and re-reads from its row when the row is behind them', async () => {
    const counted = defineProjection({
      name: 'test_counted',
      version: 1,
      handles: ['test.counted'],
      tables: { test_counted: (t) => void t.text('event_id').primary() },
      async apply(trx, events, tables) {
        for (const e of events) await trx(tables.test_counted).insert({ event_id: e.id });
      },
    }) as Projection;
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, [counted]);
    await runner.start();
    await runner.ready();
    const { position: countedAt } = await store.append('counted-1', [newEvent({}, { type: 'test.counted' })]);
    for (let i = 0; i < 5; i++) await store.append(`quiet-${i}`, [newEvent()]);
    const head = (await store.head()).position;
    expect(await runner.waitFor(head, 10_000)).toBe(true);
    expect(Number((await db.knex('raia_projections').where('name', 'test_counted').first()).position)).toBe(head);
    // As if the counted event had never been applied: the next batch, which it handles none of, must not move the row past it.
    await db.knex('test_counted').delete();
    await db.knex('raia_projections').where('name', 'test_counted').update({ position: countedAt - 1 });
    const { position } = await store.append('quiet-after', [newEvent()]);
    expect(await runner.waitFor(position, 10_000)).toBe(true);
    expect((await db.knex('test_counted').select('event_id')).length).toBe(1);
    await runner.stop();
  });

  it('reveals personal fields to a projection unless it says it reads no personal data', async () => {
    const seenBy = (name: string, readsPersonalData?: false) => {
      const seen: unknown[] = [];
      const projection = defineProjection({
        name,
        version: 1,
        handles: ['test.sealed-note'],
        ...(readsPersonalData === false ? { readsPersonalData } : {}),
        tables: { [name]: (t: { text(c: string): unknown }) => void t.text('id') },
        async apply(_trx, events) {
          for (const e of events) seen.push(e.data.note);
        },
      }) as Projection;
      return { projection, seen };
    };
    const revealed = seenBy('test_notes_revealed');
    const sealed = seenBy('test_notes_sealed', false);
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, [revealed.projection, sealed.projection]);
    await runner.start();
    await runner.ready();
    const { position } = await store.append('note-1', [newEvent({ note: await vault.seal('note-author', 'in clear') }, { type: 'test.sealed-note' })]);
    expect(await runner.waitFor(position, 10_000)).toBe(true);
    expect(revealed.seen).toEqual(['in clear']);
    expect(sealed.seen).toEqual([expect.objectContaining({ $pii: 'v1', subject: 'note-author' })]);
    await runner.stop();
  });

  it('two runners applying the same projection never apply an event twice', async () => {
    const a = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 3 }, [streamCatalog] as Projection[]);
    const b = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, batchSize: 4 }, [streamCatalog] as Projection[]);
    await a.start();
    await b.start();
    await addPeople(10, 500);
    expect(await a.waitFor((await store.head()).position, 10_000)).toBe(true);
    const sum = await db.knex('stream_catalog').sum({ n: 'event_count' }).first();
    expect(Number(sum?.n)).toBe((await store.head()).position);
    await a.stop();
    await b.stop();
  });

  it('after a subject is shredded the chain still verifies and rebuilt read models show the field redacted', async () => {
    await vault.erase('p4');
    const [event] = await store.readAll({ filter: { streamId: 'person-p4' }, limit: 1 });
    const [revealed] = await vault.reveal([event!]);
    expect(revealed!.data.email).toBe(REDACTED);
    expect((await vault.reveal([(await store.readAll({ filter: { streamId: 'person-p5' }, limit: 1 }))[0]!]))[0]!.data.email).toBe('p5@example.org');
    expect((await store.verify()).ok).toBe(true);
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, [people(3)] as Projection[]);
    await runner.start();
    await runner.ready();
    expect((await db.knex('test_people').where('person_id', 'p4').first()).email).toBe(REDACTED);
    expect((await db.knex('test_people').where('person_id', 'p5').first()).email).toBe('p5@example.org');
    await runner.stop();
    await expect(vault.seal('p4', 'again@example.org')).rejects.toThrow(/erased/);
  });
});

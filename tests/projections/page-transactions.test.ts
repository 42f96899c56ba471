import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import type { Knex } from '../../src/platform/database.js';
import { PersonalDataVault } from '../../src/events/personal-data.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { pageTransactions, type PageApply } from '../../src/projections/page-transactions.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { defineProjection, type Projection } from '../../src/projections/projection.js';
import { newEvent } from '../support/events.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

/** A read model of notes that keeps each note's text; `change` lets it alter the events it is given, `failOn` makes it refuse a text. */
const notes = (name: string, options: { change?: boolean; failOn?: string } = {}) =>
  defineProjection({
    name,
    version: 1,
    handles: ['test.note-added'],
    tables: {
      [name]: (t: Knex.CreateTableBuilder) => {
        t.text('event_id').primary();
        t.text('note');
      },
    },
    async apply(trx, events, tables) {
      for (const e of events) {
        if (e.data.note === options.failOn) throw new Error(`${name} refuses ${String(e.data.note)}`);
        await trx(tables[name]!).insert({ event_id: e.id, note: e.data.note });
        if (options.change) e.data.note = 'changed by another projection';
      }
    },
  }) as Projection;

const checkpointOf = async (db: TestDatabase, name: string) => Number((await db.knex('raia_projections').where('name', name).first()).position);

describe.each(dialects)('projections handling one page, on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let vault: PersonalDataVault;
  const catalogue = raiaEventCatalogue();

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    // No polling: every projection is woken by the append itself, at the same moment.
    store = new PostgresEventStore(db, { pollIntervalMs: 60_000 });
    vault = new PersonalDataVault(db.knex, randomBytes(32));
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('apply it in one transaction, each with its own copy of the events, and each checkpoint moves to the page', async () => {
    const projections = [notes('test_notes_a', { change: true }), notes('test_notes_b'), notes('test_notes_c', { change: true })];
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, projections);
    await runner.start();
    await runner.ready();
    expect(await runner.waitFor((await store.head()).position, 10_000)).toBe(true);
    const transactions = vi.spyOn(db.knex, 'transaction');
    const reveals = vi.spyOn(vault, 'reveal');
    try {
      const { position } = await store.append('note-1', [newEvent({ note: await vault.seal('note-author', 'in clear') }, { type: 'test.note-added' })]);
      expect(await runner.waitFor(position, 10_000)).toBe(true);
      // One transaction and one key lookup for the three, not one each.
      expect(transactions).toHaveBeenCalledTimes(1);
      expect(reveals).toHaveBeenCalledTimes(1);
    } finally {
      transactions.mockRestore();
      reveals.mockRestore();
    }
    const head = (await store.head()).position;
    for (const p of projections) {
      expect(await checkpointOf(db, p.name)).toBe(head);
      expect((await db.knex(p.name).select('note')).map((r) => r.note)).toEqual(['in clear']);
    }
    await runner.stop();
  });

  it('a projection whose apply fails fails alone: the others apply the page and move their checkpoints', async () => {
    const projections = [notes('test_notes_d'), notes('test_notes_e', { failOn: 'poison' }), notes('test_notes_f')];
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, projections);
    await runner.start();
    await runner.ready();
    const before = (await store.head()).position;
    expect(await runner.waitFor(before, 10_000)).toBe(true);
    const { position } = await store.append('note-2', [newEvent({ note: 'poison' }, { type: 'test.note-added' })]);
    expect(await runner.waitFor(position, 10_000, ['test_notes_d', 'test_notes_f'])).toBe(true);
    expect(await runner.waitFor(position, 300, ['test_notes_e'])).toBe(false);
    expect(await checkpointOf(db, 'test_notes_e')).toBe(before);
    expect(await db.knex('test_notes_e').where('note', 'poison').first()).toBeUndefined();
    expect((await db.knex('raia_projections').where('name', 'test_notes_e').first()).last_error).toContain('test_notes_e refuses poison');
    for (const name of ['test_notes_d', 'test_notes_f']) expect((await db.knex(name).where('note', 'poison')).length).toBe(1);
    await runner.stop();
  });

  it('a projection asking twice in one moment has its second page applied apart, so no event is applied twice', async () => {
    const projection = notes('test_notes_g');
    const runner = new ProjectionRunner({ knex: db.knex, store, catalogue, vault }, [projection]);
    await runner.start();
    await runner.ready();
    await runner.stop();
    const { position } = await store.append('note-3', [newEvent({ note: 'once' }, { type: 'test.note-added' })]);
    const events = await store.readAll({ after: position - 1, limit: 1 });
    const alone: PageApply[] = [];
    const applyPage = pageTransactions({
      knex: db.knex,
      reveal: async (e) => e,
      applyAlone: async (request) => {
        alone.push(request);
        return { position: null, resync: 'applied apart in this test' };
      },
    });
    const request = (): PageApply => ({ projection, events: structuredClone(events), handled: structuredClone(events), tables: { test_notes_g: 'test_notes_g' } });
    const outcomes = await Promise.all([applyPage(request()), applyPage(request())]);
    expect(outcomes[0]).toEqual({ position, resync: null });
    expect(alone).toHaveLength(1);
    expect((await db.knex('test_notes_g').where('note', 'once')).length).toBe(1);
    expect(await checkpointOf(db, 'test_notes_g')).toBe(position);
  });
});

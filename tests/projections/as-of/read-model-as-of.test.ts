import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { raiaEventCatalogue } from '../../../src/events/catalogue/raia-event-catalogue.js';
import { PersonalDataVault } from '../../../src/events/personal-data.js';
import { queryReadModelAt, rowsAt } from '../../../src/projections/as-of/read-model-as-of.js';
import { ledgerPointAt, LedgerPointOutOfRange } from '../../../src/projections/as-of/ledger-point.js';
import { defineRowProjection } from '../../../src/projections/row-projection.js';
import { listModels, modelInRows, modelRegistry } from '../../../src/projections/model-registry.projection.js';
import { datasetCatalog, listDatasets } from '../../../src/projections/dataset-catalog.projection.js';
import { ProjectionRunner } from '../../../src/projections/projection-runner.js';
import { cachedReadModelQuery } from '../../../src/projections/cached-read-model-query.js';
import { memoryCacheBackend, QueryCache } from '../../../src/platform/query-cache.js';
import { openTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { newEvent } from '../../support/events.js';
import { freshTables } from '../read-model-harness.js';

const M1 = '00000000-0000-4000-8000-000000000701';
const M2 = '00000000-0000-4000-8000-000000000702';
const registered = (modelId: string, name: unknown) => newEvent({ modelId, name: name as string, type: 'classification', ownerId: 'owner-1', description: 'd', tags: [], riskTier: 'high', intendedUse: 'u' }, { type: 'model.registered' });

describe('read models as of a ledger point on postgres', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let vault: PersonalDataVault;
  const catalogue = raiaEventCatalogue();
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    store = new PostgresEventStore(db);
    vault = new PersonalDataVault(db.knex, randomBytes(32));
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  // First: the ledger is still empty.
  it('finds position 0 on an empty ledger, accepts the present instant, and refuses the future or a position past the head', async () => {
    const now = new Date('2026-05-01T12:00:00.000Z');
    expect(await ledgerPointAt(store, { asOf: now }, now)).toEqual({ position: 0, occurredAt: now });
    const future = await ledgerPointAt(store, { asOf: new Date(now.getTime() + 1) }, now).catch((e: unknown) => e);
    expect(future).toBeInstanceOf(LedgerPointOutOfRange);
    expect(future).toMatchObject({ name: 'LedgerPointOutOfRange', code: 'LEDGER_POINT_OUT_OF_RANGE', field: 'asOf', message: "is in the future (the server's time is 2026-05-01T12:00:00.000Z); the ledger cannot say yet how it will stand then" });
    await expect(ledgerPointAt(store, { atPosition: 1 }, now)).rejects.toMatchObject({ name: 'LedgerPointOutOfRange', field: 'atPosition', message: "is beyond the ledger's head (position 0)" });
  });

  it('folds the handled events up to the point, of one stream or of the ledger, with personal fields revealed', async () => {
    await freshTables(db.knex, modelRegistry);
    const deps = { knex: db.knex, store, catalogue, vault };
    const { position: p1 } = await store.append(`model-${M1}`, [registered(M1, await vault.seal('owner-1', 'sealed name'))]);
    await store.append('other-1', [newEvent({ note: 'not the registry' })]);
    const { position: p3 } = await store.append(`model-${M2}`, [registered(M2, 'second')]);
    const { position: p4, events } = await store.append(`model-${M1}`, [newEvent({ modelId: M1, changes: { name: 'renamed' } }, { type: 'model.updated' })]);
    const at = (position: number) => ({ position, occurredAt: events[0]!.occurredAt });

    const ledgerAt3 = await rowsAt(deps, modelRegistry, 'ledger', at(p3));
    expect(ledgerAt3.models.map((r) => [r.model_id, r.name])).toEqual([[M1, 'sealed name'], [M2, 'second']]);
    expect((await rowsAt(deps, modelRegistry, 'ledger', at(p1))).models.map((r) => r.model_id)).toEqual([M1]);
    // A point past the last handled event.
    expect((await rowsAt(deps, modelRegistry, 'ledger', at(p1 + 1))).models.map((r) => r.model_id)).toEqual([M1]);
    // A row projection of every event reads every event, whatever its type.
    const everything = defineRowProjection({
      name: 'test_everything',
      version: 1,
      handles: 'all',
      tables: { test_everything: (t) => void t.text('event_id') },
      changes: (e) => [{ table: 'test_everything', insert: { event_id: e.id, type: e.type } }],
    });
    const all = await store.readAll({ limit: 10 });
    expect((await rowsAt(deps, everything, 'ledger', at(p4))).test_everything).toEqual(all.map((e) => ({ event_id: e.id, type: e.type })));
    expect(all.map((e) => e.type)).toEqual(['model.registered', 'test.happened', 'model.registered', 'model.updated']);
    expect((await rowsAt(deps, modelRegistry, 'ledger', at(0))).models).toEqual([]);
    expect(modelInRows(await rowsAt(deps, modelRegistry, 'ledger', at(p4)), M1).model?.name).toBe('renamed');
    const stream = await rowsAt(deps, modelRegistry, { streamId: `model-${M1}` }, at(p3));
    expect(stream.models.map((r) => [r.model_id, r.name])).toEqual([[M1, 'sealed name']]);
    // Without a vault the sealed field stays sealed.
    const sealed = await rowsAt({ knex: db.knex, store, catalogue }, modelRegistry, 'ledger', at(p1));
    expect(sealed.models[0]!.name).toMatchObject({ $pii: 'v1', subject: 'owner-1' });

    // Answered from temporary tables: the live tables stay empty.
    const listed = await queryReadModelAt(deps, modelRegistry, 'ledger', at(p3), (trx) => listModels(trx, { limit: 10, offset: 0, sort: 'name', order: 'asc' }));
    expect([listed.total, listed.models.map((m) => m.name)]).toEqual([2, ['sealed name', 'second']]);
    expect(await db.knex('models').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  });

  it('reads past a page of the ledger and writes more rows than one INSERT takes', async () => {
    await freshTables(db.knex, datasetCatalog);
    const deps = { knex: db.knex, store, catalogue };
    const n = 5003;
    const events = Array.from({ length: n }, (_, i) => newEvent({ datasetId: `00000000-0000-4000-8000-${String(100000 + i).padStart(12, '0')}`, name: `set ${i}`, description: '', tags: [], ownerId: i % 2 === 0 ? 'even' : 'odd' }, { type: 'dataset.registered' }));
    const appended = await store.append('dataset-many', events);
    const last = appended.events.at(-1)!;
    const point = { position: last.position, occurredAt: last.occurredAt };
    const rows = await rowsAt(deps, datasetCatalog, 'ledger', point);
    expect(rows.datasets).toHaveLength(n);
    const counted = await queryReadModelAt(deps, datasetCatalog, 'ledger', point, async (trx) => [(await listDatasets(trx, { limit: 1, offset: 0 })).total, (await listDatasets(trx, { limit: 1, offset: 0, ownerId: 'odd' })).total]);
    expect(counted).toEqual([n, (n - 1) / 2]);
    const before = { position: last.position - 2, occurredAt: last.occurredAt };
    expect((await rowsAt(deps, datasetCatalog, 'ledger', before)).datasets).toHaveLength(n - 2);
  });

  it('keys cached answers by projection, version, checkpoint, query and the arguments’ canonical digest', async () => {
    const knex = db.knex;
    await knex('raia_projections').insert({ name: 'model_registry', version: 1, position: 42 }).onConflict('name').merge();
    const runner = new ProjectionRunner({ knex, store, catalogue }, [modelRegistry]);
    expect(await runner.positionOf('model_registry')).toEqual({ version: 1, checkpoint: 42, position: 42, current: true });
    const backend = memoryCacheBackend(100);
    const cache = new QueryCache(backend, 'ns', 60);
    const deps = { cache, projections: runner };
    let computed = 0;
    const compute = async () => ({ answer: ++computed });
    const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

    expect(await cachedReadModelQuery(deps, 'model_registry', 'list', { b: 1, a: [2] }, compute)).toEqual({ answer: 1 });
    expect(await backend.get(`raia:ns:read-models:model_registry.v1@42:list:${digest('{"a":[2],"b":1}')}`)).toBe('{"answer":1}');
    expect(await cachedReadModelQuery(deps, 'model_registry', 'list', { a: [2], b: 1 }, compute)).toEqual({ answer: 1 });
    expect(await cachedReadModelQuery(deps, 'model_registry', 'list', undefined, compute)).toEqual({ answer: 2 });
    expect(await backend.get(`raia:ns:read-models:model_registry.v1@42:list:${digest('null')}`)).toBe('{"answer":2}');
    // Arguments JSON has no text for are keyed as null.
    expect(await cachedReadModelQuery(deps, 'model_registry', 'list', () => 'not JSON', compute)).toEqual({ answer: 2 });
    expect(await cachedReadModelQuery(deps, 'model_registry', 'find', undefined, compute)).toEqual({ answer: 3 });
    expect(await cachedReadModelQuery(deps, 'model_registry', 'list', null, compute, { version: 2, checkpoint: 7 })).toEqual({ answer: 4 });
    expect(await backend.get(`raia:ns:read-models:model_registry.v2@7:list:${digest('null')}`)).toBe('{"answer":4}');
    await knex('raia_projections').where('name', 'model_registry').update({ position: 43 });
    expect(await cachedReadModelQuery(deps, 'model_registry', 'list', null, compute)).toEqual({ answer: 5 });
    expect(await backend.count('raia:ns:read-models:model_registry.v1@43:list:')).toBe(1);
    await knex('raia_projections').where('name', 'model_registry').update({ version: 0 });
    expect(await runner.positionOf('model_registry')).toEqual({ version: 0, checkpoint: 43, position: 43, current: false });
    await expect(runner.positionOf('nothing')).rejects.toThrow('unknown projection nothing');
  });
});

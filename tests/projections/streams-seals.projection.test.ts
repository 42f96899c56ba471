import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStream, listStreams, streamRegistry } from '../../src/projections/stream-registry.projection.js';
import { countStreams, streamCatalog } from '../../src/projections/stream-catalog.projection.js';
import { latestSeal, ledgerSeals } from '../../src/projections/ledger-seals.projection.js';
import { handlesEvent } from '../../src/projections/projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { applyAll, freshTables, project, secondIso, sequence, stored } from './read-model-harness.js';

const S1 = '00000000-0000-4000-8000-0000000000c1';
const S2 = '00000000-0000-4000-8000-0000000000c2';
const S3 = '00000000-0000-4000-8000-0000000000c3';

const settings = { name: 'payments', description: 'card payments', reference: { datasetId: 'd-1', version: 2, extra: 'dropped' }, columns: [{ name: 'amount', kind: 'numeric' }], window: { records: 100, seconds: null }, drift: { threshold: 0.1 } };
const created = (streamId: string, over: Record<string, unknown> = {}) => ['stream.created', { streamId, ownerId: 'owner-1', source: { kind: 'http' }, ...settings, ...over }] as [string, Record<string, unknown>];
const windowEvaluated = (streamId: string, sequenceNo: number, records: number, to: string) => ['stream.window-evaluated', { streamId, sequence: sequenceNo, records, errors: 1, datasetDrift: false, driftShare: 0.25, from: secondIso(0), to }] as [string, Record<string, unknown>];

describe('stream registry read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  it('creates a stream stopped, updates its settings, starts, stops, and sums its windows', async () => {
    const events = sequence([
      created(S1),
      ['stream.updated', { streamId: S1, ...settings, name: 'payments v2', description: 'all payments', reference: { datasetId: 'd-2', version: 3 }, columns: [], window: { records: null, seconds: 60 }, drift: { threshold: 0.2 } }],
      ['stream.started', { streamId: S1 }],
      windowEvaluated(S1, 1, 40, secondIso(100)),
      windowEvaluated(S1, 2, 60, secondIso(200)),
      ['stream.stopped', { streamId: S1 }],
      ['stream.other', { streamId: S1 }],
    ]);
    await project(db.knex, streamRegistry, events.slice(0, 3));
    expect(await findStream(db.knex, S1)).toMatchObject({ status: 'started', updatedAt: secondIso(2), windows: 0, recordsEvaluated: 0, lastWindow: null });
    await applyAll(db.knex, streamRegistry, events.slice(3));
    expect(await findStream(db.knex, S1)).toEqual({
      streamId: S1,
      name: 'payments v2',
      description: 'all payments',
      ownerId: 'owner-1',
      source: { kind: 'http' },
      reference: { datasetId: 'd-2', version: 3 },
      columns: [],
      window: { records: null, seconds: 60 },
      drift: { threshold: 0.2 },
      status: 'stopped',
      windows: 2,
      recordsEvaluated: 100,
      lastWindow: { sequence: 2, records: 60, errors: 1, datasetDrift: false, driftShare: 0.25, from: secondIso(0), to: secondIso(200), eventId: events[4]!.id },
      createdAt: secondIso(0),
      updatedAt: secondIso(5),
    });
    expect(new Date((await db.knex('data_streams').where('stream_id', S1).first()).last_window_at).toISOString()).toBe(secondIso(200));
  });

  it('keeps only the reference’s dataset and version, and hides a deleted stream', async () => {
    await project(db.knex, streamRegistry, sequence([created(S1), created(S2), ['stream.started', { streamId: S2 }], ['stream.deleted', { streamId: S2 }]]));
    expect((await findStream(db.knex, S1))?.reference).toEqual({ datasetId: 'd-1', version: 2 });
    expect(await findStream(db.knex, S2)).toBeNull();
    expect(await db.knex('data_streams').where('stream_id', S2).first()).toMatchObject({ deleted: true, status: 'stopped' });
    expect(new Date((await db.knex('data_streams').where('stream_id', S2).first()).updated_at).toISOString()).toBe(secondIso(3));
  });

  it('lists streams not deleted by owner and status, in the asked order, with the total', async () => {
    await project(db.knex, streamRegistry, sequence([created(S1), created(S2, { ownerId: 'owner-2', name: 'alpha' }), created(S3, { name: 'zeta' }), ['stream.started', { streamId: S1 }], ['stream.deleted', { streamId: S3 }]]));
    const ids = async (filter: Parameters<typeof listStreams>[1]) => {
      const { streams, total } = await listStreams(db.knex, filter);
      return { ids: streams.map((s) => s.streamId), total };
    };
    const page = { limit: 10, offset: 0 };
    expect(await ids(page)).toEqual({ ids: [S2, S1], total: 2 });
    expect(await ids({ ...page, limit: 1 })).toEqual({ ids: [S2], total: 2 });
    expect(await ids({ ...page, sort: 'name', order: 'asc' })).toEqual({ ids: [S2, S1], total: 2 });
    expect(await ids({ ...page, sort: 'name', order: 'desc' })).toEqual({ ids: [S1, S2], total: 2 });
    expect(await ids({ ...page, ownerId: 'owner-1' })).toEqual({ ids: [S1], total: 1 });
    expect(await ids({ ...page, status: 'stopped' })).toEqual({ ids: [S2], total: 1 });
    expect(await ids({ ...page, status: 'started' })).toEqual({ ids: [S1], total: 1 });
  });
});

describe('stream catalogue and ledger seals on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  it('handles every event, and reads no personal data', () => {
    expect(handlesEvent(streamCatalog, 'anything.at-all')).toBe(true);
    expect(handlesEvent(ledgerSeals, 'anything.at-all')).toBe(false);
    expect(handlesEvent(ledgerSeals, ledgerSeals.handles[0] as string)).toBe(true);
    expect(streamCatalog.readsPersonalData).toBe(false);
  });

  it('folds a page per stream and adds the next page to the rows', async () => {
    await freshTables(db.knex, streamCatalog);
    const e = (position: number, streamId: string, streamVersion: number, type: string) => stored(type, {}, { position, at: secondIso(position), streamId, streamVersion });
    await applyAll(db.knex, streamCatalog, [e(1, 'model-1', 0, 'model.registered'), e(2, 'dataset-1', 0, 'dataset.registered'), e(3, 'model-1', 1, 'model.updated'), e(4, 'model-2', 0, 'model.registered'), e(5, 'model-1', 2, 'model.deleted')]);
    const row = async (id: string) => {
      const r = await db.knex('stream_catalog').where('stream_id', id).first();
      return [r.category, r.version, r.event_count, Number(r.first_position), Number(r.last_position), r.last_event_type, new Date(r.created_at).toISOString(), new Date(r.updated_at).toISOString()];
    };
    expect(await row('model-1')).toEqual(['model', 2, 3, 1, 5, 'model.deleted', secondIso(1), secondIso(5)]);
    expect(await row('dataset-1')).toEqual(['dataset', 0, 1, 2, 2, 'dataset.registered', secondIso(2), secondIso(2)]);
    await applyAll(db.knex, streamCatalog, [e(6, 'dataset-1', 1, 'dataset.deleted'), e(7, 'model-1', 3, 'model.x')]);
    expect(await row('model-1')).toEqual(['model', 3, 4, 1, 7, 'model.x', secondIso(1), secondIso(7)]);
    expect(await row('dataset-1')).toEqual(['dataset', 1, 2, 2, 6, 'dataset.deleted', secondIso(2), secondIso(6)]);
    expect(await countStreams(db.knex)).toEqual([
      { category: 'dataset', streams: 1, events: 2 },
      { category: 'model', streams: 2, events: 5 },
    ]);
  });

  it('keeps every seal, the latest first', async () => {
    await freshTables(db.knex, ledgerSeals);
    expect(await latestSeal(db.knex)).toBeNull();
    const seal = (position: number, fromPosition: number, toPosition: number) => stored('ledger.sealed', { fromPosition, toPosition, headHash: `head-${toPosition}`, merkleRoot: `root-${toPosition}`, keyId: 'key-1', signature: `sig-${toPosition}` }, { position, at: secondIso(position) });
    await applyAll(db.knex, ledgerSeals, [seal(10, 1, 9), seal(20, 10, 19)]);
    await applyAll(db.knex, ledgerSeals, [seal(15, 1, 14)]);
    expect(await latestSeal(db.knex)).toEqual({ position: 20, fromPosition: 10, toPosition: 19, headHash: 'head-19', merkleRoot: 'root-19', keyId: 'key-1', sealedAt: secondIso(20) });
    expect((await db.knex('ledger_seals').where('position', 15).first()).signature).toBe('sig-14');
  });
});

import type { Knex } from '../platform/database.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';
import { defineProjection } from './projection.js';

/** Data streams as the API lists them: definition, state, and a summary of their evaluated windows. */
export const streamRegistry = defineProjection({
  name: 'stream_registry',
  version: 1,
  handles: ['stream.created', 'stream.updated', 'stream.deleted', 'stream.started', 'stream.stopped', 'stream.window-evaluated'],
  tables: {
    data_streams: (t) => {
      t.uuid('stream_id').primary();
      t.text('name').notNullable();
      t.text('description').notNullable();
      t.text('owner_id').notNullable().index();
      t.jsonb('source').notNullable();
      t.jsonb('reference').notNullable();
      t.jsonb('columns').notNullable();
      t.jsonb('window').notNullable();
      t.jsonb('drift').notNullable();
      t.text('status').notNullable();
      t.boolean('deleted').notNullable().defaultTo(false);
      t.integer('windows').notNullable().defaultTo(0);
      t.bigInteger('records_evaluated').notNullable().defaultTo(0);
      t.timestamp('last_window_at', { useTz: true });
      t.jsonb('last_window');
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as Record<string, unknown>;
      const at = e.occurredAt.toISOString();
      const row = trx(tables.data_streams).where('stream_id', d.streamId as string);
      const settings = () => ({ name: d.name, description: d.description, reference: JSON.stringify(d.reference), columns: JSON.stringify(d.columns), window: JSON.stringify(d.window), drift: JSON.stringify(d.drift) });
      switch (e.type) {
        case 'stream.created':
          await trx(tables.data_streams).insert({ stream_id: d.streamId, ...settings(), owner_id: d.ownerId, source: JSON.stringify(d.source), status: 'stopped', created_at: at, updated_at: at });
          break;
        case 'stream.updated':
          await row.update({ ...settings(), updated_at: at });
          break;
        case 'stream.deleted':
          await row.update({ deleted: true, status: 'stopped', updated_at: at });
          break;
        case 'stream.started':
          await row.update({ status: 'started', updated_at: at });
          break;
        case 'stream.stopped':
          await row.update({ status: 'stopped', updated_at: at });
          break;
        case 'stream.window-evaluated':
          await row.update({
            windows: d.sequence,
            records_evaluated: trx.raw('records_evaluated + ?', [d.records as number]),
            last_window_at: d.to,
            last_window: JSON.stringify({ sequence: d.sequence, records: d.records, errors: d.errors, datasetDrift: d.datasetDrift, driftShare: d.driftShare, from: d.from, to: d.to, eventId: e.id }),
          });
          break;
      }
    }
  },
});

export type StreamSummary = {
  streamId: string;
  name: string;
  description: string;
  ownerId: string;
  source: Record<string, unknown>;
  reference: { datasetId: string; version: number };
  columns: { name: string; kind: string }[];
  window: { records: number | null; seconds: number | null };
  drift: Record<string, unknown>;
  status: 'started' | 'stopped';
  windows: number;
  recordsEvaluated: number;
  lastWindow: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
};

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

const toSummary = (r: Record<string, unknown>): StreamSummary => {
  const reference = json<{ datasetId: string; version: number }>(r.reference);
  return {
    streamId: r.stream_id as string,
    name: r.name as string,
    description: r.description as string,
    ownerId: r.owner_id as string,
    source: json(r.source),
    reference: { datasetId: reference.datasetId, version: reference.version },
    columns: json(r.columns),
    window: json(r.window),
    drift: json(r.drift),
    status: r.status as 'started' | 'stopped',
    windows: Number(r.windows),
    recordsEvaluated: Number(r.records_evaluated),
    lastWindow: r.last_window ? json(r.last_window) : null,
    createdAt: new Date(r.created_at as string).toISOString(),
    updatedAt: new Date(r.updated_at as string).toISOString(),
  };
};

/** The stream list's sort fields; newest first unless asked otherwise. */
export const streamListOrder = listOrder({ columns: { createdAt: 'created_at', updatedAt: 'updated_at', name: 'name' }, unique: 'stream_id', defaultSort: 'createdAt', defaultOrder: 'desc' });

export async function listStreams(knex: Knex, filter: { ownerId?: string; status?: string } & PageRequest<keyof typeof streamListOrder.columns>): Promise<{ streams: StreamSummary[]; total: number }> {
  const base = knex('data_streams').where('deleted', false);
  if (filter.ownerId) void base.where('owner_id', filter.ownerId);
  if (filter.status) void base.where('status', filter.status);
  const [rows, counted] = await Promise.all([sortedPage(base.clone(), filter, streamListOrder), base.clone().count<{ count: string | number }[]>('* as count')]);
  return { streams: rows.map(toSummary), total: Number(counted[0]?.count ?? 0) };
}

export async function findStream(knex: Knex, streamId: string): Promise<StreamSummary | null> {
  const row = (await knex('data_streams').where({ stream_id: streamId, deleted: false }).first()) as Record<string, unknown> | undefined;
  return row ? toSummary(row) : null;
}

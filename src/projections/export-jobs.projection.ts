import type { Knex } from '../platform/database.js';
import type { JsonObject } from '../events/envelope.js';
import { defineProjection } from './projection.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';

/** Export jobs: who asked for what, where each stands, and the data subjects a file shows in clear. */
export const exportJobs = defineProjection({
  name: 'export_jobs',
  version: 1,
  handles: ['export.requested', 'export.completed', 'export.failed', 'export.deleted'],
  tables: {
    export_jobs: (t) => {
      t.uuid('export_id').primary();
      t.text('kind').notNullable();
      t.text('format').notNullable();
      t.jsonb('params').notNullable();
      t.text('requester_id').notNullable().index();
      t.text('status').notNullable();
      t.bigInteger('requested_position').notNullable();
      t.timestamp('requested_at', { useTz: true }).notNullable();
      t.timestamp('finished_at', { useTz: true });
      t.text('sha256');
      t.bigInteger('size');
      t.text('content_type');
      t.text('filename');
      t.bigInteger('ledger_position');
      t.text('ledger_hash');
      t.jsonb('subjects').notNullable().defaultTo('[]');
      t.text('failure');
      t.timestamp('deleted_at', { useTz: true });
      t.text('deleted_by');
      t.text('deletion_reason');
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as JsonObject & { exportId: string };
      const row = trx(tables.export_jobs).where('export_id', d.exportId);
      switch (e.type) {
        case 'export.requested':
          await trx(tables.export_jobs)
            .insert({ export_id: d.exportId, kind: d.kind, format: d.format, params: JSON.stringify(d.params), requester_id: d.requesterId, status: 'queued', requested_position: e.position, requested_at: e.occurredAt.toISOString() })
            .onConflict('export_id')
            .ignore();
          break;
        case 'export.completed': {
          const c = d as unknown as { sha256: string; size: number; contentType: string; filename: string; ledgerHead: { position: number; hash: string }; subjects: string[] };
          await row.update({ status: 'completed', finished_at: e.occurredAt.toISOString(), sha256: c.sha256, size: c.size, content_type: c.contentType, filename: c.filename, ledger_position: c.ledgerHead.position, ledger_hash: c.ledgerHead.hash, subjects: JSON.stringify(c.subjects) });
          break;
        }
        case 'export.failed':
          await row.update({ status: 'failed', finished_at: e.occurredAt.toISOString(), failure: d.reason });
          break;
        case 'export.deleted':
          await row.update({ status: 'deleted', deleted_at: e.occurredAt.toISOString(), deleted_by: d.deletedBy, deletion_reason: d.reason });
          break;
      }
    }
  },
});

export type ExportJobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'deleted';

export type ExportJobRecord = {
  exportId: string;
  kind: string;
  format: string;
  params: JsonObject;
  requesterId: string;
  status: ExportJobStatus;
  requestedPosition: number;
  requestedAt: string;
  finishedAt: string | null;
  sha256: string | null;
  size: number | null;
  contentType: string | null;
  filename: string | null;
  ledgerHead: { position: number; hash: string } | null;
  subjects: string[];
  failure: string | null;
  deletedAt: string | null;
  deletedBy: string | null;
  deletionReason: string | null;
};

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function recordOf(r: Row): ExportJobRecord {
  return {
    exportId: r.export_id as string,
    kind: r.kind as string,
    format: r.format as string,
    params: json<JsonObject>(r.params),
    requesterId: r.requester_id as string,
    status: r.status as ExportJobStatus,
    requestedPosition: Number(r.requested_position),
    requestedAt: iso(r.requested_at)!,
    finishedAt: iso(r.finished_at),
    sha256: (r.sha256 as string | null) ?? null,
    size: r.size === null ? null : Number(r.size),
    contentType: (r.content_type as string | null) ?? null,
    filename: (r.filename as string | null) ?? null,
    ledgerHead: r.ledger_position === null ? null : { position: Number(r.ledger_position), hash: r.ledger_hash as string },
    subjects: json<string[]>(r.subjects),
    failure: (r.failure as string | null) ?? null,
    deletedAt: iso(r.deleted_at),
    deletedBy: (r.deleted_by as string | null) ?? null,
    deletionReason: (r.deletion_reason as string | null) ?? null,
  };
}

/** The export job list's sort fields; newest first (by ledger position of the request) unless asked otherwise. */
export const exportJobListOrder = listOrder({ columns: { requestedAt: 'requested_position', status: 'status', kind: 'kind' }, unique: 'export_id', defaultSort: 'requestedAt', defaultOrder: 'desc' });

/** One page of jobs (only `requesterId`'s when given), and how many match. */
export async function listExportJobs(knex: Knex, options: PageRequest<keyof typeof exportJobListOrder.columns> & { requesterId?: string }): Promise<{ jobs: ExportJobRecord[]; total: number }> {
  const query = knex('export_jobs');
  if (options.requesterId) void query.where('requester_id', options.requesterId);
  const [rows, counted] = (await Promise.all([sortedPage(query.clone().select('*'), options, exportJobListOrder), query.clone().count({ count: '*' })])) as [Row[], [{ count: string | number }]];
  return { jobs: rows.map(recordOf), total: Number(counted[0].count) };
}

export async function findExportJob(knex: Knex, exportId: string): Promise<ExportJobRecord | null> {
  const r = (await knex('export_jobs').where('export_id', exportId).first()) as Row | undefined;
  return r ? recordOf(r) : null;
}

/** Completed, undeleted exports that show `subjectId`'s personal data in clear (what an erasure must reach). */
export async function exportsShowingSubject(knex: Knex, subjectId: string): Promise<ExportJobRecord[]> {
  const rows = (await knex('export_jobs').where('status', 'completed').whereRaw('subjects @> ?::jsonb', [JSON.stringify([subjectId])])) as Row[];
  return rows.map(recordOf);
}

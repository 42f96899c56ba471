import { handleCommand } from '../../commands/command-handler.js';
import { exportDecider, exportStreamId, type ExportRequest } from '../../commands/export/export.decider.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { followRequests } from '../request-follower.js';
import { resultEventId } from '../result-event-id.js';
import { ExportRefused, renderExport, type ExportDependencies } from './render-export.js';

export const EXPORTER = 'exporter';

export type ExportJobs = {
  /** Jobs this process renders now and the rows written so far; the others' status is in the export_jobs read model. */
  running(): ReadonlyMap<string, { rows: number }>;
  stop(): Promise<void>;
};

/**
 * The processor behind the export routes: follows the ledger from its checkpoint and renders each
 * `export.requested`, recording `export.completed` or `export.failed` with an id derived from the
 * request (result-event-id.ts), so a request delivered again after a crash is recorded once. A job
 * whose result is already in the ledger is not rendered again; one requested before a restart and
 * never finished is rendered after it, since the checkpoint only moves past finished jobs.
 */
export async function startExportJobs(deps: ExportDependencies & { knex: Knex; logger?: Logger }): Promise<ExportJobs> {
  const running = new Map<string, { rows: number }>();
  const actor = { kind: 'system' as const, id: EXPORTER };

  const run = async (event: StoredEvent) => {
    const request = event.data as unknown as ExportRequest;
    const stream = await deps.store.readStream(exportStreamId(request.exportId));
    if (stream.some((e) => e.type !== 'export.requested')) return;
    const meta = { actor, causationId: event.id, eventIds: [resultEventId(event.id, EXPORTER)], ...(event.correlationId ? { correlationId: event.correlationId } : {}) };
    const progress = { rows: 0 };
    running.set(request.exportId, progress);
    try {
      const result = await renderExport(deps, request, { onRows: (count) => void (progress.rows += count) });
      await handleCommand(deps, exportDecider, exportStreamId(request.exportId), { type: 'CompleteExport', ...result }, meta);
    } catch (error) {
      if (follower.isStopped()) throw error;
      const reason = error instanceof ExportRefused ? error.message : `the export could not be rendered: ${error instanceof Error ? error.message : String(error)}`;
      if (!(error instanceof ExportRefused)) deps.logger?.warn({ exportId: request.exportId, err: error }, 'export failed');
      await handleCommand(deps, exportDecider, exportStreamId(request.exportId), { type: 'FailExport', reason }, meta);
    } finally {
      running.delete(request.exportId);
    }
  };

  const follower = await followRequests(deps, EXPORTER, 'export.requested', run);
  return { running: () => running, stop: () => follower.stop() };
}

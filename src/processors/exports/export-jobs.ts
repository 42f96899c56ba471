import { handleCommand } from '../../commands/command-handler.js';
import { exportDecider, exportStreamId, type ExportRequest } from '../../commands/export/export.decider.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { Subscription } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import { inEventSpan } from '../../platform/event-tracing.js';
import type { Logger } from '../../platform/logger.js';
import { loadCheckpoint, saveCheckpoint } from '../processor-checkpoints.js';
import { resultEventId } from '../result-event-id.js';
import { ExportRefused, renderExport, type ExportDependencies } from './render-export.js';

export const EXPORTER = 'exporter';
const RETRY_MS = 2000;

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
  let checkpoint = await loadCheckpoint(deps.knex, EXPORTER);
  let subscription: Subscription | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const actor = { kind: 'system' as const, id: EXPORTER };

  const run = async (event: StoredEvent) => {
    const request = event.data as unknown as ExportRequest;
    const stream = await deps.store.readStream(exportStreamId(request.exportId));
    if (stream.some((e) => e.type !== 'export.requested')) return;
    const meta = { actor, causationId: event.id, eventIds: [resultEventId(event.id, EXPORTER)], ...(event.correlationId ? { correlationId: event.correlationId } : {}) };
    const progress = { rows: 0 };
    running.set(request.exportId, progress);
    try {
      const result = await renderExport(deps, request, { onRow: () => void progress.rows++ });
      await handleCommand(deps, exportDecider, exportStreamId(request.exportId), { type: 'CompleteExport', ...result }, meta);
    } catch (error) {
      if (stopped) throw error;
      const reason = error instanceof ExportRefused ? error.message : `the export could not be rendered: ${error instanceof Error ? error.message : String(error)}`;
      if (!(error instanceof ExportRefused)) deps.logger?.warn({ exportId: request.exportId, err: error }, 'export failed');
      await handleCommand(deps, exportDecider, exportStreamId(request.exportId), { type: 'FailExport', reason }, meta);
    } finally {
      running.delete(request.exportId);
    }
  };

  const follow = () => {
    subscription = deps.store.subscribeToAll({
      after: checkpoint,
      async onEvents(events) {
        for (const e of events) {
          if (stopped) return;
          if (e.type === 'export.requested') {
            await inEventSpan(EXPORTER, e, () => run(deps.catalogue.upcast(e)));
            // Each finished job moves the checkpoint at once: a restart renders only unfinished ones.
            await saveCheckpoint(deps.knex, EXPORTER, e.position);
          }
          checkpoint = e.position;
        }
        await saveCheckpoint(deps.knex, EXPORTER, checkpoint);
      },
      onError(error) {
        if (stopped) return;
        deps.logger?.error({ err: error, checkpoint }, 'export jobs failed; retrying from the checkpoint');
        retry = setTimeout(() => !stopped && follow(), RETRY_MS);
      },
    });
  };
  follow();

  return {
    running: () => running,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await subscription?.stop();
    },
  };
}

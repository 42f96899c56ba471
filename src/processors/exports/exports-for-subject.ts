import { systemActor } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import type { Knex } from '../../platform/database.js';
import { exportsShowingSubject } from '../../projections/export-jobs.projection.js';
import type { ExportsForSubject } from '../privacy/exports-for-subject.js';
import { exportStreamId } from '../../commands/export/export.decider.js';
import { deleteExport } from './delete-export.js';

/**
 * The completed exports whose files show a subject's personal data in clear (`export.completed`
 * names its subjects), for erasure to purge: the file would otherwise outlive the destroyed key.
 */
export function exportJobsForSubject(deps: { knex: Knex; store: EventStore; catalogue: EventCatalogue; blobs: BlobStorage }): ExportsForSubject {
  return {
    find: async (subjectId) => (await exportsShowingSubject(deps.knex, subjectId)).map((job) => ({ id: job.exportId })),
    // The erasure's own reason is recorded on its privacy event; the export records why it went.
    purge: async (exportId) => {
      const stream = await deps.store.readStream(exportStreamId(exportId), { direction: 'backwards', limit: 1 });
      // Purging one already deleted changes nothing (erasure may run twice).
      if (stream[0]?.type === 'export.deleted') return;
      await deleteExport(deps, exportId, { actor: systemActor('privacy-erasure'), deletedBy: 'privacy-erasure', reason: 'subject-erased' });
    },
  };
}

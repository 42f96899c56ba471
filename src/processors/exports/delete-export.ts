import { handleCommand } from '../../commands/command-handler.js';
import { exportDecider, exportStreamId, type ExportDeletionReason } from '../../commands/export/export.decider.js';
import type { Actor } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { BlobStorage } from '../../platform/blob-storage.js';

/**
 * Removes an export's file and records `export.deleted` (asked for by its requester, or because a
 * data subject it shows was erased). The decision is taken first, so a refused deletion (a job still
 * rendering) removes nothing; the file is removed before the event is appended, so the ledger never
 * says a file is gone while it is still stored. Returns the event's position.
 */
export async function deleteExport(
  deps: { store: EventStore; catalogue: EventCatalogue; blobs: BlobStorage },
  exportId: string,
  who: { actor: Actor; deletedBy: string; reason: ExportDeletionReason; correlationId?: string },
): Promise<number> {
  const stream = await deps.store.readStream(exportStreamId(exportId));
  let state = exportDecider.initialState();
  for (const e of stream) state = exportDecider.evolve(state, deps.catalogue.upcast(e) as never);
  // Refusals (unknown, still rendering, already deleted) surface here, before anything is removed.
  exportDecider.decide({ type: 'DeleteExport', deletedBy: who.deletedBy, reason: who.reason, blobRemoved: false }, state, { now: new Date(), actor: who.actor });
  const blob = state.status === 'none' ? null : state.blobSha256;
  if (blob) await deps.blobs.delete(blob);
  const result = await handleCommand(deps, exportDecider, exportStreamId(exportId), { type: 'DeleteExport', deletedBy: who.deletedBy, reason: who.reason, blobRemoved: blob !== null }, { actor: who.actor, ...(who.correlationId ? { correlationId: who.correlationId } : {}) });
  return result.position;
}

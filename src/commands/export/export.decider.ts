import type { JsonObject } from '../../events/envelope.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

import type { EXPORT_FORMATS, EXPORT_KINDS } from '../../events/catalogue/export.events.js';

export type ExportKind = (typeof EXPORT_KINDS)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportDeletionReason = 'requested' | 'subject-erased';

export type ExportRequest = { exportId: string; kind: ExportKind; format: ExportFormat; params: JsonObject; requesterId: string; personalData: 'clear' | 'pseudonymised' };
export type ExportResult = {
  exportId: string;
  sha256: string;
  size: number;
  blob: { store: 'filesystem' | 's3'; sha256: string };
  contentType: string;
  filename: string;
  ledgerHead: { position: number; hash: string };
  subjects: string[];
  elapsedMs: number;
};

export type ExportCommand =
  | ({ type: 'RequestExport' } & ExportRequest)
  | ({ type: 'CompleteExport' } & ExportResult)
  | { type: 'FailExport'; reason: string }
  | { type: 'DeleteExport'; deletedBy: string; reason: ExportDeletionReason; blobRemoved: boolean };

type Data<T> = T & JsonObject;
export type ExportEvent =
  | DomainEvent<'export.requested', Data<ExportRequest>>
  | DomainEvent<'export.completed', Data<ExportResult>>
  | DomainEvent<'export.failed', Data<{ exportId: string; reason: string }>>
  | DomainEvent<'export.deleted', Data<{ exportId: string; deletedBy: string; reason: ExportDeletionReason; blobRemoved: boolean }>>;

export type ExportState =
  | { status: 'none' }
  | { status: 'requested' | 'completed' | 'failed' | 'deleted'; exportId: string; requesterId: string; blobSha256: string | null };

export const exportStreamId = (exportId: string) => `export-${exportId}`;

const jsonClone = <T extends object>(value: T): T & JsonObject => JSON.parse(JSON.stringify(value)) as T & JsonObject;

/**
 * An export job: requested once; then exactly one result (completed or failed), recorded by the
 * exporter; a completed export's file can be deleted once. A result arriving twice (a redelivered
 * request after a crash) decides nothing, so the job keeps its first outcome.
 */
export const exportDecider: Decider<ExportCommand, ExportEvent, ExportState> = {
  category: 'export',
  initialState: () => ({ status: 'none' }),

  decide(command, state): ExportEvent[] {
    switch (command.type) {
      case 'RequestExport': {
        if (state.status !== 'none') throw new CommandRefused('EXPORT_EXISTS', ['the export already exists']);
        const { type: _type, ...request } = command;
        return [{ type: 'export.requested', data: jsonClone(request) }];
      }
      case 'CompleteExport': {
        if (state.status === 'none') throw new CommandRefused('EXPORT_NOT_FOUND', ['no such export'], 422);
        if (state.status !== 'requested') return [];
        const { type: _type, ...result } = command;
        return [{ type: 'export.completed', data: jsonClone(result) }];
      }
      case 'FailExport':
        if (state.status === 'none') throw new CommandRefused('EXPORT_NOT_FOUND', ['no such export'], 422);
        if (state.status !== 'requested') return [];
        return [{ type: 'export.failed', data: { exportId: state.exportId, reason: command.reason.slice(0, 2000) } }];
      case 'DeleteExport':
        if (state.status === 'none') throw new CommandRefused('EXPORT_NOT_FOUND', ['no such export'], 422);
        if (state.status === 'deleted') throw new CommandRefused('EXPORT_DELETED', ['the export was already deleted']);
        if (state.status === 'requested') throw new CommandRefused('EXPORT_NOT_FINISHED', ['the export is still being rendered; delete it once it has completed or failed']);
        return [{ type: 'export.deleted', data: { exportId: state.exportId, deletedBy: command.deletedBy, reason: command.reason, blobRemoved: command.blobRemoved } }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): ExportState {
    switch (event.type) {
      case 'export.requested':
        return { status: 'requested', exportId: event.data.exportId, requesterId: event.data.requesterId, blobSha256: null };
      case 'export.completed':
        return state.status === 'none' ? state : { ...state, status: 'completed', blobSha256: event.data.blob.sha256 };
      case 'export.failed':
        return state.status === 'none' ? state : { ...state, status: 'failed' };
      case 'export.deleted':
        return state.status === 'none' ? state : { ...state, status: 'deleted' };
      default:
        return assertNever(event);
    }
  },
};

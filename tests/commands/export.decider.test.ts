import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { exportDecider, type ExportCommand, type ExportEvent, type ExportResult } from '../../src/commands/export/export.decider.js';
import type { Actor } from '../../src/events/envelope.js';

const exportId = '0193f0c2-0000-7000-8000-0000000000e1';
const actor: Actor = { kind: 'user', id: 'auditor-1', role: 'auditor' };
const now = new Date('2026-12-06T10:00:00Z');
const given = (events: ExportEvent[]) => events.reduce(exportDecider.evolve, exportDecider.initialState());
const when = (events: ExportEvent[], command: ExportCommand) => exportDecider.decide(command, given(events), { now, actor });
const refusal = (events: ExportEvent[], command: ExportCommand) => {
  try {
    when(events, command);
  } catch (error) {
    return error instanceof CommandRefused ? error.code : `not a refusal: ${String(error)}`;
  }
  return 'accepted';
};

const requested: ExportEvent = { type: 'export.requested', data: { exportId, kind: 'audit-log', format: 'csv', params: { after: 3 }, requesterId: 'auditor-1', personalData: 'pseudonymised' } };
const result: ExportResult = { exportId, sha256: 'a'.repeat(64), size: 10, blob: { store: 'filesystem', sha256: 'a'.repeat(64) }, contentType: 'application/zip', filename: 'x.zip', ledgerHead: { position: 9, hash: 'b'.repeat(64) }, subjects: [], elapsedMs: 1 };
const completed: ExportEvent = { type: 'export.completed', data: result };
const failed: ExportEvent = { type: 'export.failed', data: { exportId, reason: 'no' } };

describe('the export decider', () => {
  it('requests once; one result per request; a second result decides nothing', () => {
    const { type: _t, ...request } = { type: 'RequestExport' as const, ...requested.data };
    expect(when([], { type: 'RequestExport', ...request })).toEqual([requested]);
    expect(refusal([requested], { type: 'RequestExport', ...request })).toBe('EXPORT_EXISTS');
    expect(when([requested], { type: 'CompleteExport', ...result })).toEqual([completed]);
    expect(when([requested], { type: 'FailExport', reason: 'no' })).toEqual([failed]);
    expect(when([requested, completed], { type: 'FailExport', reason: 'late' })).toEqual([]);
    expect(when([requested, failed], { type: 'CompleteExport', ...result })).toEqual([]);
    expect(refusal([], { type: 'CompleteExport', ...result })).toBe('EXPORT_NOT_FOUND');
  });

  it('deletes a finished export once; not one still rendering', () => {
    const del: ExportCommand = { type: 'DeleteExport', deletedBy: 'auditor-1', reason: 'subject-erased', blobRemoved: true };
    expect(when([requested, completed], del)).toEqual([{ type: 'export.deleted', data: { exportId, deletedBy: 'auditor-1', reason: 'subject-erased', blobRemoved: true } }]);
    expect(when([requested, failed], del)).toHaveLength(1);
    expect(refusal([requested], del)).toBe('EXPORT_NOT_FINISHED');
    expect(refusal([requested, completed, { type: 'export.deleted', data: { exportId, deletedBy: 'x', reason: 'requested', blobRemoved: true } }], del)).toBe('EXPORT_DELETED');
    expect(refusal([], del)).toBe('EXPORT_NOT_FOUND');
  });
});

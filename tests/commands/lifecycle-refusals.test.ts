import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { documentDecider, documentStreamId, type DocumentEvent, type DocumentUpload } from '../../src/commands/document/document.decider.js';
import { cronProblem, driftScheduleDecider, driftScheduleStreamId, type DriftScheduleCommand, type DriftScheduleEvent } from '../../src/commands/drift/drift-schedule.decider.js';
import { exportDecider, exportStreamId, type ExportEvent, type ExportResult } from '../../src/commands/export/export.decider.js';
import { isOverdue } from '../../src/commands/incident/incident-deadline.js';
import { incidentDecider, incidentStreamId, incidentSubjectId, type IncidentCommand, type IncidentEvent } from '../../src/commands/incident/incident.decider.js';
import { systemActor } from '../../src/events/envelope.js';

/** Each decider's refusals word for word, and how its state moves (the other lifecycle tests check the happy paths). */
const context = { now: new Date('2026-03-10T12:00:00Z'), actor: systemActor() };
function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
const summary = (r: CommandRefused) => [r.code, r.reasons, r.status, r.field];

describe('document decider', () => {
  const upload: DocumentUpload = {
    documentId: 'd1',
    title: 'Policy',
    format: 'text',
    contentType: 'text/plain',
    size: 1,
    contentDigest: 'a'.repeat(64),
    blob: null,
    filename: null,
    metadata: {},
    personalData: null,
    chunking: { tokenizer: 't', chunkTokens: 1, overlapTokens: 0, chunks: 1, tokens: 1 },
    embedder: { id: 'e1', dimensions: 4 },
    uploadedBy: 'u1',
  };
  const uploaded: DocumentEvent = { type: 'document.uploaded', data: upload };
  const deleted: DocumentEvent = { type: 'document.deleted', data: { documentId: 'd1', deletedBy: 'u1', reason: 'requested' as never, chunksRemoved: 1, blobRemoved: false } };
  const reembedded: DocumentEvent = { type: 'document.reembedded', data: { documentId: 'd1', from: { id: 'e1', dimensions: 4 }, to: { id: 'e2', dimensions: 8 }, chunks: 1 } };
  const given = (events: DocumentEvent[]) => events.reduce(documentDecider.evolve, documentDecider.initialState());

  it('refusals: exists, not found (422) for re-embedding and deletion, deleted already', () => {
    expect(documentStreamId('d1')).toBe('document-d1');
    expect(summary(refusal(() => documentDecider.decide({ type: 'UploadDocument', ...upload }, given([uploaded]), context)))).toEqual(['DOCUMENT_EXISTS', ['the document already exists'], 409, undefined]);
    expect(summary(refusal(() => documentDecider.decide({ type: 'ReembedDocument', to: { id: 'e2', dimensions: 8 }, chunks: 1 }, given([]), context)))).toEqual(['DOCUMENT_NOT_FOUND', ['no such document'], 422, undefined]);
    expect(summary(refusal(() => documentDecider.decide({ type: 'DeleteDocument', deletedBy: 'u', reason: 'requested' as never, chunksRemoved: 0, blobRemoved: false }, given([]), context)))).toEqual(['DOCUMENT_NOT_FOUND', ['no such document'], 422, undefined]);
    expect(summary(refusal(() => documentDecider.decide({ type: 'DeleteDocument', deletedBy: 'u', reason: 'requested' as never, chunksRemoved: 0, blobRemoved: false }, given([uploaded, deleted]), context)))).toEqual(['DOCUMENT_DELETED', ['the document was already deleted'], 409, undefined]);
  });

  it('state: uploaded is active on its embedder; re-embedding moves the embedder; deletion keeps it; nothing before the upload', () => {
    expect(given([uploaded])).toEqual({ status: 'active', documentId: 'd1', embedder: { id: 'e1', dimensions: 4 } });
    expect(given([uploaded, reembedded])).toEqual({ status: 'active', documentId: 'd1', embedder: { id: 'e2', dimensions: 8 } });
    expect(given([uploaded, reembedded, deleted])).toEqual({ status: 'deleted', documentId: 'd1', embedder: { id: 'e2', dimensions: 8 } });
    expect(given([reembedded, deleted])).toEqual({ status: 'none' });
    // Re-embedding onto the embedder it has now records nothing.
    expect(documentDecider.decide({ type: 'ReembedDocument', to: { id: 'e2', dimensions: 8 }, chunks: 1 }, given([uploaded, reembedded]), context)).toEqual([]);
  });
});

describe('drift schedule decider', () => {
  const set: DriftScheduleCommand = { type: 'SetDriftSchedule', scheduleId: 's1', modelId: null, reference: { datasetId: 'ds' }, currentDatasetId: 'cur', cron: '0 * * * *', options: { driftShare: 0.5, tests: {}, thresholds: {} } };
  const setEvent: DriftScheduleEvent = { type: 'drift.schedule-set', data: { scheduleId: 's1', modelId: null, reference: { datasetId: 'ds' }, currentDatasetId: 'cur', cron: '0 * * * *', options: { driftShare: 0.5, tests: {}, thresholds: {} } } };
  const removed: DriftScheduleEvent = { type: 'drift.schedule-removed', data: { scheduleId: 's1' } };
  const given = (events: DriftScheduleEvent[]) => events.reduce(driftScheduleDecider.evolve, driftScheduleDecider.initialState());

  it('starts as none; set and removed are kept with the schedule id', () => {
    expect(driftScheduleStreamId('s1')).toBe('driftschedule-s1');
    expect(driftScheduleDecider.category).toBe('driftschedule');
    expect(driftScheduleDecider.initialState()).toEqual({ status: 'none' });
    expect(given([setEvent])).toEqual({ status: 'active', scheduleId: 's1' });
    expect(given([setEvent, removed])).toEqual({ status: 'removed', scheduleId: 's1' });
  });

  it('cron problems name each of node-cron\'s fields and messages', () => {
    expect(cronProblem('0 * * * *')).toBeNull();
    expect(cronProblem('99 * * * *')).toBe('minute: 99 is a invalid expression for minute');
    expect(cronProblem('a b * * *')).toBe('minute: a is a invalid expression for minute; hour: b is a invalid expression for hour');
    expect(cronProblem('not a cron')).toBe('expression: expected 5 or 6 fields but got 3');
  });

  it('refusals word for word', () => {
    expect(summary(refusal(() => driftScheduleDecider.decide(set, given([setEvent, removed]), context)))).toEqual(['DRIFT_SCHEDULE_REMOVED', ['the schedule was removed'], 409, undefined]);
    expect(summary(refusal(() => driftScheduleDecider.decide({ ...set, cron: 'not a cron' }, given([]), context)))).toEqual(['INVALID_CRON', ['expression: expected 5 or 6 fields but got 3'], 400, 'cron']);
    expect(summary(refusal(() => driftScheduleDecider.decide({ ...set, reference: null }, given([]), context)))).toEqual(['NO_REFERENCE', ['give a reference dataset, or a modelId whose training data is the reference'], 400, 'reference']);
    expect(driftScheduleDecider.decide({ ...set, reference: null, modelId: 'm1' }, given([]), context)).toHaveLength(1);
    for (const history of [[], [setEvent, removed]]) {
      expect(summary(refusal(() => driftScheduleDecider.decide({ type: 'RemoveDriftSchedule' }, given(history), context)))).toEqual(['DRIFT_SCHEDULE_NOT_ACTIVE', ['no such schedule, or it was removed'], 409, undefined]);
    }
  });
});

describe('export decider', () => {
  const requested: ExportEvent = { type: 'export.requested', data: { exportId: 'x1', kind: 'audit-log' as const, format: 'csv' as const, params: {}, requesterId: 'u1', personalData: 'pseudonymised' } };
  const result: ExportResult = { exportId: 'x1', sha256: 'b'.repeat(64), size: 3, blob: { store: 'filesystem', sha256: 'c'.repeat(64) }, contentType: 'application/json', filename: 'x.json', ledgerHead: { position: 1, hash: 'd'.repeat(64) }, subjects: [], elapsedMs: 1 };
  const completed: ExportEvent = { type: 'export.completed', data: result };
  const failed: ExportEvent = { type: 'export.failed', data: { exportId: 'x1', reason: 'r' } };
  const deleted: ExportEvent = { type: 'export.deleted', data: { exportId: 'x1', deletedBy: 'u1', reason: 'requested', blobRemoved: true } };
  const given = (events: ExportEvent[]) => events.reduce(exportDecider.evolve, exportDecider.initialState());
  const del = { type: 'DeleteExport' as const, deletedBy: 'u1', reason: 'requested' as const, blobRemoved: true };

  it('refusals word for word', () => {
    expect(exportStreamId('x1')).toBe('export-x1');
    const request = { type: 'RequestExport' as const, exportId: 'x1', kind: 'audit-log' as const, format: 'csv' as const, params: {}, requesterId: 'u1', personalData: 'pseudonymised' as const };
    expect(summary(refusal(() => exportDecider.decide(request, given([requested]), context)))).toEqual(['EXPORT_EXISTS', ['the export already exists'], 409, undefined]);
    for (const command of [{ type: 'CompleteExport' as const, ...result }, { type: 'FailExport' as const, reason: 'r' }, del]) {
      expect(summary(refusal(() => exportDecider.decide(command, given([]), context)))).toEqual(['EXPORT_NOT_FOUND', ['no such export'], 422, undefined]);
    }
    expect(summary(refusal(() => exportDecider.decide(del, given([requested, completed, deleted]), context)))).toEqual(['EXPORT_DELETED', ['the export was already deleted'], 409, undefined]);
    expect(summary(refusal(() => exportDecider.decide(del, given([requested]), context)))).toEqual(['EXPORT_NOT_FINISHED', ['the export is still being rendered; delete it once it has completed or failed'], 409, undefined]);
  });

  it('a failure reason is cut at 2000 characters', () => {
    expect(exportDecider.decide({ type: 'FailExport', reason: 'x'.repeat(2500) }, given([requested]), context)).toEqual([{ type: 'export.failed', data: { exportId: 'x1', reason: 'x'.repeat(2000) } }]);
  });

  it('state: completed keeps the blob hash, failed and deleted keep the rest; nothing before the request', () => {
    expect(given([requested])).toEqual({ status: 'requested', exportId: 'x1', requesterId: 'u1', blobSha256: null });
    expect(given([requested, completed])).toEqual({ status: 'completed', exportId: 'x1', requesterId: 'u1', blobSha256: 'c'.repeat(64) });
    expect(given([requested, failed])).toEqual({ status: 'failed', exportId: 'x1', requesterId: 'u1', blobSha256: null });
    expect(given([requested, completed, deleted])).toEqual({ status: 'deleted', exportId: 'x1', requesterId: 'u1', blobSha256: 'c'.repeat(64) });
    expect(given([completed, failed, deleted])).toEqual({ status: 'none' });
    // A failed export's file can be deleted.
    expect(exportDecider.decide(del, given([requested, failed]), context)).toEqual([deleted]);
  });
});

describe('incident decider', () => {
  const sealed = { $pii: 'v1' as const, subject: 'incident-i1', iv: 'i', ct: 'c', tag: 't' };
  const report: IncidentCommand = { type: 'ReportIncident', incidentId: 'i1', modelId: 'm', modelVersion: null, severity: 'high', category: 'serious-incident', description: sealed, awareAt: new Date('2026-03-01T00:00:00Z') };
  const reported: IncidentEvent = { type: 'incident.reported', data: { incidentId: 'i1', modelId: 'm', modelVersion: null, severity: 'high', category: 'serious-incident', description: sealed, awareAt: '2026-03-01T00:00:00.000Z', deadline: '2026-03-16T00:00:00.000Z' } };
  const closed: IncidentEvent = { type: 'incident.closed', data: { incidentId: 'i1', resolution: sealed } };
  const given = (events: IncidentEvent[]) => events.reduce(incidentDecider.evolve, incidentDecider.initialState());

  it('streams and subjects are incident-<id>', () => {
    expect(incidentStreamId('i1')).toBe('incident-i1');
    expect(incidentSubjectId('i1')).toBe('incident-i1');
  });

  it('refusals word for word', () => {
    expect(summary(refusal(() => incidentDecider.decide(report, given([reported]), context)))).toEqual(['INCIDENT_EXISTS', ['the incident is already reported'], 409, undefined]);
    expect(summary(refusal(() => incidentDecider.decide({ type: 'CloseIncident', resolution: sealed }, given([]), context)))).toEqual(['INCIDENT_NOT_FOUND', ['no such incident'], 422, undefined]);
    expect(summary(refusal(() => incidentDecider.decide({ type: 'UpdateIncident', severity: 'low' }, given([]), context)))).toEqual(['INCIDENT_NOT_FOUND', ['no such incident'], 422, undefined]);
    expect(summary(refusal(() => incidentDecider.decide({ type: 'UpdateIncident', severity: 'low' }, given([reported, closed]), context)))).toEqual(['INCIDENT_CLOSED', ['the incident is closed'], 409, undefined]);
    const later = new Date(context.now.getTime() + 1);
    expect(summary(refusal(() => incidentDecider.decide({ ...report, awareAt: later }, given([]), context)))).toEqual(['IN_THE_FUTURE', ['awareAt is in the future'], 400, 'awareAt']);
    expect(summary(refusal(() => incidentDecider.decide({ type: 'UpdateIncident', awareAt: later }, given([reported]), context)))).toEqual(['IN_THE_FUTURE', ['awareAt is in the future'], 400, 'awareAt']);
    expect(summary(refusal(() => incidentDecider.decide({ type: 'UpdateIncident', authorityNotifiedAt: later }, given([reported]), context)))).toEqual(['IN_THE_FUTURE', ['authorityNotifiedAt is in the future'], 400, 'authorityNotifiedAt']);
    // Exactly now is not the future.
    expect(incidentDecider.decide({ ...report, awareAt: context.now }, given([]), context)).toHaveLength(1);
  });

  it('an update records dates as ISO strings and the deadline from the new awareness and category', () => {
    const notified = new Date('2026-03-05T10:00:00Z');
    expect(incidentDecider.decide({ type: 'UpdateIncident', awareAt: new Date('2026-03-02T00:00:00Z'), authorityNotifiedAt: notified }, given([reported]), context)).toEqual([
      { type: 'incident.updated', data: { incidentId: 'i1', awareAt: '2026-03-02T00:00:00.000Z', authorityNotifiedAt: '2026-03-05T10:00:00.000Z', deadline: '2026-03-17T00:00:00.000Z' } },
    ]);
    expect(incidentDecider.decide({ type: 'UpdateIncident', authorityNotifiedAt: notified }, given([reported]), context)).toEqual([
      { type: 'incident.updated', data: { incidentId: 'i1', authorityNotifiedAt: '2026-03-05T10:00:00.000Z', deadline: '2026-03-16T00:00:00.000Z' } },
    ]);
    expect(incidentDecider.decide({ type: 'UpdateIncident' }, given([reported]), context)).toEqual([]);
    expect(incidentDecider.decide({ type: 'CloseIncident', resolution: sealed }, given([reported]), context)).toEqual([closed]);
  });

  it('state: reported is open; updates move category, awareness and notification, each only when given; closed stays closed; nothing before the report', () => {
    expect(given([reported])).toEqual({ status: 'open', incidentId: 'i1', modelId: 'm', category: 'serious-incident', awareAt: new Date('2026-03-01T00:00:00Z'), authorityNotifiedAt: null });
    const update = (data: object): IncidentEvent => ({ type: 'incident.updated', data: { incidentId: 'i1', deadline: 'x', ...data } as never });
    expect(given([reported, update({ category: 'death' }), update({ authorityNotifiedAt: '2026-03-05T00:00:00.000Z' }), update({ awareAt: '2026-02-28T00:00:00.000Z' }), update({ severity: 'low' })])).toEqual({
      status: 'open',
      incidentId: 'i1',
      modelId: 'm',
      category: 'death',
      awareAt: new Date('2026-02-28T00:00:00Z'),
      authorityNotifiedAt: new Date('2026-03-05T00:00:00Z'),
    });
    expect(given([reported, closed])).toMatchObject({ status: 'closed' });
    expect(given([update({ category: 'death' }), closed])).toEqual({ status: 'none' });
  });

  it('a report notified exactly at the deadline is on time', () => {
    const deadline = new Date('2026-03-16T00:00:00Z');
    expect(isOverdue(deadline, new Date(deadline.getTime()), new Date('2027-01-01T00:00:00Z'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { dataStreamId, streamDecider, type StreamCommand, type StreamEvent, type StreamSettings, type StreamState, type WindowEvaluation } from '../../../src/commands/stream/stream.decider.js';
import type { Actor } from '../../../src/events/envelope.js';

const streamId = '0193f0c2-0000-7000-8000-0000000000c1';
const owner: Actor = { kind: 'user', id: 'owner-1', role: 'data_scientist' };
const stranger: Actor = { kind: 'user', id: 'someone-else', role: 'data_scientist' };
const admin: Actor = { kind: 'user', id: 'admin-1', role: 'admin' };
const system: Actor = { kind: 'system', id: 'stream-monitor' };
const now = new Date('2026-11-23T10:00:00Z');

const given = (events: StreamEvent[]): StreamState => events.reduce(streamDecider.evolve, streamDecider.initialState());
const when = (events: StreamEvent[], command: StreamCommand, actor: Actor = owner) => streamDecider.decide(command, given(events), { now, actor });
function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const settings: StreamSettings = {
  name: 'payments',
  description: 'd',
  reference: { datasetId: 'ds-1', version: 2, sha256: 'a'.repeat(64), format: 'csv' },
  columns: [
    { name: 'amount', kind: 'numeric' },
    { name: 'country', kind: 'categorical' },
  ],
  window: { records: 100, seconds: null },
  drift: { driftShare: 0.5, tests: { amount: 'ks' }, thresholds: { country: 0.1 } },
};
const source = { kind: 'nats' as const, subject: 'payments.in' };
const created: StreamEvent = { type: 'stream.created', data: { streamId, ...settings, source, ownerId: owner.id } };
const started: StreamEvent = { type: 'stream.started', data: { streamId } };
const deleted: StreamEvent = { type: 'stream.deleted', data: { streamId, reason: 'x' } };
const window = (windowId: string): WindowEvaluation => ({
  windowId,
  from: '2026-11-23T09:00:00.000Z',
  to: '2026-11-23T10:00:00.000Z',
  records: 100,
  errors: 1,
  closedBy: 'records',
  quality: { score: 0.9 },
  drift: { amount: { pValue: 0.01 } },
  datasetDrift: true,
  driftShare: 0.5,
  elapsedMs: 12,
  codeVersion: 'v1',
});

describe('stream decider', () => {
  it('streams are datastream-<id>; creation records the settings, source and owner, once', () => {
    expect(dataStreamId('s1')).toBe('datastream-s1');
    expect(streamDecider.category).toBe('datastream');
    expect(streamDecider.initialState()).toEqual({ status: 'none' });
    expect(when([], { type: 'CreateStream', streamId, settings, source })).toEqual([created]);
    expect(given([created])).toEqual({ status: 'stopped', windows: 0, streamId, ownerId: owner.id, source, ...settings });
    const again = refusal(() => when([created], { type: 'CreateStream', streamId, settings, source }));
    expect([again.code, again.reasons, again.status]).toEqual(['STREAM_EXISTS', ['the stream already exists'], 409]);
  });

  it('refuses settings with an unbounded window, a column twice, or drift options for unmonitored columns', () => {
    const cases: [StreamSettings, string, string, string][] = [
      [{ ...settings, window: { records: null, seconds: null } }, 'WINDOW_UNBOUNDED', 'a window needs a record count, a duration, or both', 'window'],
      [{ ...settings, columns: [...settings.columns, { name: 'amount', kind: 'categorical' }] }, 'DUPLICATE_COLUMN', 'each monitored column is named once', 'columns'],
      [{ ...settings, drift: { ...settings.drift, tests: { income: 'ks' } } }, 'UNKNOWN_COLUMN', 'income is not a monitored column', 'drift'],
      [{ ...settings, drift: { ...settings.drift, thresholds: { age: 0.2 } } }, 'UNKNOWN_COLUMN', 'age is not a monitored column', 'drift'],
    ];
    for (const [bad, code, reason, field] of cases) {
      for (const run of [() => when([], { type: 'CreateStream', streamId, settings: bad, source }), () => when([created], { type: 'UpdateStream', settings: bad })]) {
        const refused = refusal(run);
        expect([refused.code, refused.reasons, refused.status, refused.field]).toEqual([code, [reason], 400, field]);
      }
    }
    // A duration alone, or both bounds, are fine.
    expect(when([], { type: 'CreateStream', streamId, settings: { ...settings, window: { records: null, seconds: 60 } }, source })).toHaveLength(1);
    expect(when([], { type: 'CreateStream', streamId, settings: { ...settings, window: { records: 5, seconds: 60 } }, source })).toHaveLength(1);
  });

  it('needs an existing stream (422) not deleted (409) for everything else', () => {
    const missing = refusal(() => when([], { type: 'StartStream' }));
    expect([missing.code, missing.reasons, missing.status]).toEqual(['STREAM_NOT_FOUND', ['no such stream'], 422]);
    const gone = refusal(() => when([created, deleted], { type: 'StartStream' }));
    expect([gone.code, gone.reasons, gone.status]).toEqual(['STREAM_DELETED', ['the stream was deleted'], 409]);
  });

  it('only the owner, an administrator or a process updates, deletes, starts and stops', () => {
    const commands: [StreamEvent[], StreamCommand][] = [
      [[created], { type: 'UpdateStream', settings }],
      [[created], { type: 'DeleteStream', reason: 'x' }],
      [[created], { type: 'StartStream' }],
      [[created, started], { type: 'StopStream', reason: 'x' }],
    ];
    for (const [history, command] of commands) {
      const refused = refusal(() => when(history, command, stranger));
      expect([refused.code, refused.reasons, refused.status]).toEqual(['NOT_STREAM_OWNER', ["only the stream's owner or an administrator may do this"], 403]);
      for (const actor of [owner, admin, system]) expect(when(history, command, actor)).toHaveLength(1);
    }
  });

  it('an update replaces the settings, keeping the source, owner, status and window count', () => {
    const changed: StreamSettings = { ...settings, name: 'renamed', description: 'e', columns: [{ name: 'amount', kind: 'numeric' }], window: { records: null, seconds: 30 }, drift: { driftShare: 0.3, tests: {}, thresholds: {} }, reference: { ...settings.reference, version: 3 } };
    const [updated] = when([created], { type: 'UpdateStream', settings: changed });
    expect(updated).toEqual({ type: 'stream.updated', data: { streamId, ...changed } });
    const windowed: StreamEvent = { type: 'stream.window-evaluated', data: { streamId, sequence: 1, reference: { datasetId: 'ds-1', version: 2 }, ...window('w1') } };
    expect(given([created, started, windowed, updated!])).toEqual({ status: 'started', windows: 1, streamId, ownerId: owner.id, source, ...changed });
  });

  it('starts a stopped stream and stops a started one, refusing the same state twice', () => {
    expect(when([created], { type: 'StartStream' })).toEqual([started]);
    const twice = refusal(() => when([created, started], { type: 'StartStream' }));
    expect([twice.code, twice.reasons, twice.status]).toEqual(['STREAM_STARTED', ['the stream is already started'], 409]);
    expect(when([created, started], { type: 'StopStream', reason: 'maintenance' })).toEqual([{ type: 'stream.stopped', data: { streamId, reason: 'maintenance' } }]);
    const stopped = refusal(() => when([created], { type: 'StopStream', reason: 'x' }));
    expect([stopped.code, stopped.reasons, stopped.status]).toEqual(['STREAM_STOPPED', ['the stream is not started'], 409]);
    expect(given([created, started, { type: 'stream.stopped', data: { streamId, reason: 'm' } }])).toMatchObject({ status: 'stopped' });
  });

  it('deletes with the reason', () => {
    expect(when([created], { type: 'DeleteStream', reason: 'obsolete' })).toEqual([{ type: 'stream.deleted', data: { streamId, reason: 'obsolete' } }]);
    expect(given([created, deleted])).toMatchObject({ status: 'deleted' });
  });

  it('numbers windows and names the reference; an alert is raised as a drift alert whose report is the window', () => {
    const first = when([created, started], { type: 'RecordWindow', window: window('w1'), alert: null });
    expect(first).toEqual([{ type: 'stream.window-evaluated', data: { streamId, sequence: 1, reference: { datasetId: 'ds-1', version: 2 }, ...window('w1') } }]);
    const history = [created, started, ...first];
    expect(given(history)).toMatchObject({ windows: 1 });
    const alert = { alertId: 'a1', severity: 'high' as const, driftedColumns: ['amount'], message: 'drift in amount' };
    const state = given(history);
    const second = streamDecider.decide({ type: 'RecordWindow', window: window('w2'), alert }, state, { now, actor: system });
    expect(second).toEqual([
      { type: 'stream.window-evaluated', data: { streamId, sequence: 2, reference: { datasetId: 'ds-1', version: 2 }, ...window('w2') } },
      { type: 'drift.alert-raised', data: { alertId: 'a1', reportId: 'w2', modelId: null, datasetId: 'ds-1', severity: 'high', driftedColumns: ['amount'], driftShare: 0.5, message: 'drift in amount' } },
    ]);
    expect(streamDecider.evolve(state, second[1]!)).toBe(state);
  });

  it('events before creation change nothing', () => {
    expect(given([started, deleted])).toEqual({ status: 'none' });
  });
});

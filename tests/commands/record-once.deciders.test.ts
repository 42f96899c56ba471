import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { driftReportDecider, driftReportStreamId } from '../../src/commands/drift/drift-report.decider.js';
import { explanationJobDecider, explanationJobStreamId } from '../../src/commands/explanation/explanation-job.decider.js';
import { explanationRecordDecider, explanationStreamId } from '../../src/commands/explanation/explanation-record.decider.js';
import { ledgerDecider } from '../../src/commands/ledger/ledger.decider.js';
import { systemActor } from '../../src/events/envelope.js';
import type { LedgerSealed } from '../../src/events/ledger-seal.js';

const context = { now: new Date('2026-01-01T00:00:00Z'), actor: systemActor() };

describe('drift report decider', () => {
  it('records the report, and its alert when there is one, once', () => {
    expect(driftReportStreamId('r1')).toBe('drift-r1');
    expect(driftReportDecider.category).toBe('drift');
    const report = { reportId: 'r1', drifted: true };
    const empty = driftReportDecider.initialState();
    expect(empty).toEqual({ recorded: false });
    expect(driftReportDecider.decide({ type: 'RecordDrift', report, alert: null }, empty, context)).toEqual([{ type: 'drift.detected', data: report }]);
    const events = driftReportDecider.decide({ type: 'RecordDrift', report, alert: { alertId: 'a1' } }, empty, context);
    expect(events).toEqual([
      { type: 'drift.detected', data: report },
      { type: 'drift.alert-raised', data: { alertId: 'a1' } },
    ]);
    const recorded = driftReportDecider.evolve(empty, events[0]!);
    expect(recorded).toEqual({ recorded: true });
    expect(driftReportDecider.decide({ type: 'RecordDrift', report, alert: { alertId: 'a1' } }, recorded, context)).toEqual([]);
  });
});

describe('explanation deciders', () => {
  it('a job is requested once; a failure is recorded once, and only for a requested job', () => {
    expect(explanationJobStreamId('j1')).toBe('explanationjob-j1');
    expect(explanationJobDecider.category).toBe('explanationjob');
    const empty = explanationJobDecider.initialState();
    expect(empty).toEqual({ status: 'none' });
    const data = { jobId: 'j1', method: 'shap' };
    const [requested] = explanationJobDecider.decide({ type: 'RequestExplanation', data }, empty, context);
    expect(requested).toEqual({ type: 'explanation.requested', data });
    const state = explanationJobDecider.evolve(empty, requested!);
    expect(state).toEqual({ status: 'requested' });
    let refused: unknown;
    try {
      explanationJobDecider.decide({ type: 'RequestExplanation', data }, state, context);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CommandRefused);
    expect(refused).toMatchObject({ code: 'JOB_EXISTS', reasons: ['the job already exists'], status: 409 });
    const fail = { type: 'FailExplanation' as const, jobId: 'j1', requestKey: 'k', reason: 'model unreachable' };
    expect(explanationJobDecider.decide(fail, empty, context)).toEqual([]);
    const [failed] = explanationJobDecider.decide(fail, state, context);
    expect(failed).toEqual({ type: 'explanation.failed', data: { jobId: 'j1', requestKey: 'k', reason: 'model unreachable' } });
    const after = explanationJobDecider.evolve(state, failed!);
    expect(after).toEqual({ status: 'failed' });
    expect(explanationJobDecider.decide(fail, after, context)).toEqual([]);
  });

  it('an explanation is recorded once per request key', () => {
    expect(explanationStreamId('abc')).toBe('explanation-abc');
    expect(explanationRecordDecider.category).toBe('explanation');
    const empty = explanationRecordDecider.initialState();
    expect(empty).toEqual({ recorded: false });
    const [computed] = explanationRecordDecider.decide({ type: 'RecordExplanation', data: { result: 1 } }, empty, context);
    expect(computed).toEqual({ type: 'explanation.computed', data: { result: 1 } });
    const recorded = explanationRecordDecider.evolve(empty, computed!);
    expect(recorded).toEqual({ recorded: true });
    expect(explanationRecordDecider.decide({ type: 'RecordExplanation', data: { result: 2 } }, recorded, context)).toEqual([]);
  });
});

describe('ledger decider', () => {
  const seal = (fromPosition: number, toPosition: number, headHash = 'h'.repeat(64)) => ({ fromPosition, toPosition, headHash }) as unknown as LedgerSealed;

  it('starts with no seals; each seal counts and moves the sealed end and head hash', () => {
    expect(ledgerDecider.category).toBe('ledger');
    const empty = ledgerDecider.initialState();
    expect(empty).toEqual({ seals: 0, sealedTo: 0, headHash: null });
    const [first] = ledgerDecider.decide({ type: 'RecordSeal', seal: seal(1, 10, 'a') }, empty, context);
    expect(first).toEqual({ type: 'ledger.sealed', data: seal(1, 10, 'a') });
    const state = ledgerDecider.evolve(empty, first!);
    expect(state).toEqual({ seals: 1, sealedTo: 10, headHash: 'a' });
    expect(ledgerDecider.evolve(state, { type: 'ledger.sealed', data: seal(11, 11, 'b') })).toEqual({ seals: 2, sealedTo: 11, headHash: 'b' });
    // One position is enough.
    expect(ledgerDecider.decide({ type: 'RecordSeal', seal: seal(11, 11) }, state, context)).toHaveLength(1);
  });

  it('refuses a seal out of order or covering nothing, with every reason', () => {
    const state = { seals: 1, sealedTo: 10, headHash: 'a' };
    let refused: unknown;
    try {
      ledgerDecider.decide({ type: 'RecordSeal', seal: seal(12, 11) }, state, context);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CommandRefused);
    expect(refused).toMatchObject({ code: 'SEAL_OUT_OF_ORDER', reasons: ['seal must start at position 11, not 12', 'seal must cover at least one position'], status: 409 });
    expect(() => ledgerDecider.decide({ type: 'RecordSeal', seal: seal(11, 10) }, state, context)).toThrow(new CommandRefused('SEAL_OUT_OF_ORDER', ['seal must cover at least one position']));
  });
});

import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { driftScheduleDecider, type DriftScheduleCommand, type DriftScheduleEvent } from '../../../src/commands/drift/drift-schedule.decider.js';
import { systemActor } from '../../../src/events/envelope.js';

const scheduleId = '0190f7a4-0000-7000-8000-000000000001';
const set: DriftScheduleCommand = {
  type: 'SetDriftSchedule',
  scheduleId,
  modelId: null,
  reference: { datasetId: '0190f7a4-0000-7000-8000-000000000002' },
  currentDatasetId: '0190f7a4-0000-7000-8000-000000000003',
  cron: '*/10 * * * * *',
  options: { driftShare: 0.5, tests: {}, thresholds: {} },
};

function given(events: DriftScheduleEvent[]) {
  const state = events.reduce(driftScheduleDecider.evolve, driftScheduleDecider.initialState());
  return { when: (command: DriftScheduleCommand) => driftScheduleDecider.decide(command, state, { now: new Date(0), actor: systemActor() }) };
}

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as CommandRefused;
  }
  throw new Error('not refused');
};

describe('drift schedule decider', () => {
  it('sets a schedule with a six-field (seconds) cron expression', () => {
    const { type: _type, ...data } = set as Extract<DriftScheduleCommand, { type: 'SetDriftSchedule' }>;
    expect(given([]).when(set)).toEqual([{ type: 'drift.schedule-set', data }]);
  });

  it('refuses a cron expression node-cron cannot parse, naming the cron field', () => {
    const error = refusal(() => given([]).when({ ...set, cron: '* * 32 * *' }));
    expect(error).toBeInstanceOf(CommandRefused);
    expect(error).toMatchObject({ code: 'INVALID_CRON', status: 400, field: 'cron' });
  });

  it('refuses a schedule with neither reference nor model', () => {
    expect(refusal(() => given([]).when({ ...set, reference: null }))).toMatchObject({ code: 'NO_REFERENCE', field: 'reference' });
  });

  it('removes an active schedule once; a removed schedule cannot be set again', () => {
    const setEvent = given([]).when(set)[0]!;
    expect(given([setEvent]).when({ type: 'RemoveDriftSchedule' })).toEqual([{ type: 'drift.schedule-removed', data: { scheduleId } }]);
    const removed: DriftScheduleEvent = { type: 'drift.schedule-removed', data: { scheduleId } };
    expect(refusal(() => given([setEvent, removed]).when({ type: 'RemoveDriftSchedule' }))).toMatchObject({ code: 'DRIFT_SCHEDULE_NOT_ACTIVE' });
    expect(refusal(() => given([setEvent, removed]).when(set))).toMatchObject({ code: 'DRIFT_SCHEDULE_REMOVED' });
    expect(refusal(() => given([]).when({ type: 'RemoveDriftSchedule' }))).toMatchObject({ code: 'DRIFT_SCHEDULE_NOT_ACTIVE' });
  });
});

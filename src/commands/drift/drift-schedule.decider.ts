import { validateDetailed } from 'node-cron';
import type { JsonObject } from '../../events/envelope.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

export type DriftScheduleOptions = { columns?: string[]; driftShare: number; tests: Record<string, string>; thresholds: Record<string, number> };

export type DriftScheduleSpec = {
  modelId: string | null;
  reference: { datasetId: string; version?: number } | null;
  currentDatasetId: string;
  cron: string;
  options: DriftScheduleOptions;
};

export type DriftScheduleCommand = ({ type: 'SetDriftSchedule'; scheduleId: string } & DriftScheduleSpec) | { type: 'RemoveDriftSchedule' };

type Data<T> = T & JsonObject;
export type DriftScheduleEvent =
  | DomainEvent<'drift.schedule-set', Data<{ scheduleId: string } & DriftScheduleSpec>>
  | DomainEvent<'drift.schedule-removed', Data<{ scheduleId: string }>>;

export type DriftScheduleState = { status: 'none' } | { status: 'active' | 'removed'; scheduleId: string };

export const driftScheduleStreamId = (scheduleId: string) => `driftschedule-${scheduleId}`;

/** Why node-cron would refuse the expression, or null when it parses. */
export function cronProblem(cron: string): string | null {
  const checked = validateDetailed(cron);
  if (checked.valid) return null;
  return checked.errors.length > 0 ? checked.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : 'is not a cron expression';
}

const json = <T extends object>(value: T): T & JsonObject => JSON.parse(JSON.stringify(value)) as T & JsonObject;

/** A scheduled drift check: set (again, to change it) until removed; a removed schedule stays removed. */
export const driftScheduleDecider: Decider<DriftScheduleCommand, DriftScheduleEvent, DriftScheduleState> = {
  category: 'driftschedule',
  initialState: () => ({ status: 'none' }),

  decide(command, state): DriftScheduleEvent[] {
    switch (command.type) {
      case 'SetDriftSchedule': {
        if (state.status === 'removed') throw new CommandRefused('DRIFT_SCHEDULE_REMOVED', ['the schedule was removed'], 409);
        const problem = cronProblem(command.cron);
        if (problem) throw new CommandRefused('INVALID_CRON', [problem], 400, 'cron');
        if (!command.reference && !command.modelId) throw new CommandRefused('NO_REFERENCE', ['give a reference dataset, or a modelId whose training data is the reference'], 400, 'reference');
        const { type: _type, ...data } = command;
        return [{ type: 'drift.schedule-set', data: json(data) }];
      }
      case 'RemoveDriftSchedule':
        if (state.status !== 'active') throw new CommandRefused('DRIFT_SCHEDULE_NOT_ACTIVE', ['no such schedule, or it was removed'], 409);
        return [{ type: 'drift.schedule-removed', data: { scheduleId: state.scheduleId } }];
      default:
        return assertNever(command);
    }
  },

  evolve(_state, event): DriftScheduleState {
    switch (event.type) {
      case 'drift.schedule-set':
        return { status: 'active', scheduleId: event.data.scheduleId };
      case 'drift.schedule-removed':
        return { status: 'removed', scheduleId: event.data.scheduleId };
      default:
        return assertNever(event);
    }
  },
};

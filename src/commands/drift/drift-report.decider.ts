import type { JsonObject } from '../../events/envelope.js';
import type { Decider, DomainEvent } from '../decider.js';

export type RecordDrift = { type: 'RecordDrift'; report: JsonObject & { reportId: string }; alert: JsonObject | null };
export type DriftEvent = DomainEvent<'drift.detected', JsonObject> | DomainEvent<'drift.alert-raised', JsonObject>;

export const driftReportStreamId = (reportId: string) => `drift-${reportId}`;

/** One stream per drift report: the report, and its alert when drift was found. Recorded once. */
export const driftReportDecider: Decider<RecordDrift, DriftEvent, { recorded: boolean }> = {
  category: 'drift',
  initialState: () => ({ recorded: false }),
  decide: (command, state) => (state.recorded ? [] : [{ type: 'drift.detected', data: command.report }, ...(command.alert ? [{ type: 'drift.alert-raised' as const, data: command.alert }] : [])]),
  evolve: () => ({ recorded: true }),
};

import type { JsonObject } from '../../events/envelope.js';
import type { Decider, DomainEvent } from '../decider.js';

export type RecordExplanation = { type: 'RecordExplanation'; data: JsonObject };
export type ExplanationComputed = DomainEvent<'explanation.computed', JsonObject>;
export type ExplanationRecordState = { recorded: boolean };

/** One stream per request key (`explanation-<sha256>`): an explanation is recorded once, so identical requests share it. */
export const explanationStreamId = (requestKey: string) => `explanation-${requestKey}`;

export const explanationRecordDecider: Decider<RecordExplanation, ExplanationComputed, ExplanationRecordState> = {
  category: 'explanation',
  initialState: () => ({ recorded: false }),
  decide: (command, state) => (state.recorded ? [] : [{ type: 'explanation.computed', data: command.data }]),
  evolve: () => ({ recorded: true }),
};

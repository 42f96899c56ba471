import type { JsonObject } from '../../events/envelope.js';
import { CommandRefused, type Decider, type DomainEvent } from '../decider.js';

export type ExplanationJobCommand = { type: 'RequestExplanation'; data: JsonObject & { jobId: string } } | { type: 'FailExplanation'; jobId: string; requestKey: string; reason: string };
export type ExplanationJobEvent = DomainEvent<'explanation.requested', JsonObject> | DomainEvent<'explanation.failed', { jobId: string; requestKey: string; reason: string }>;
export type ExplanationJobState = { status: 'none' | 'requested' | 'failed' };

export const explanationJobStreamId = (jobId: string) => `explanationjob-${jobId}`;

/** An asynchronous explanation: requested once; a failure is recorded once. Success is the explanation record itself. */
export const explanationJobDecider: Decider<ExplanationJobCommand, ExplanationJobEvent, ExplanationJobState> = {
  category: 'explanationjob',
  initialState: () => ({ status: 'none' }),
  decide(command, state) {
    if (command.type === 'RequestExplanation') {
      if (state.status !== 'none') throw new CommandRefused('JOB_EXISTS', ['the job already exists']);
      return [{ type: 'explanation.requested', data: command.data }];
    }
    if (state.status !== 'requested') return [];
    return [{ type: 'explanation.failed', data: { jobId: command.jobId, requestKey: command.requestKey, reason: command.reason } }];
  },
  evolve: (_state, event) => ({ status: event.type === 'explanation.requested' ? 'requested' : 'failed' }),
};

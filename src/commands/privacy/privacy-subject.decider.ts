import { CommandRefused, type Decider, type DomainEvent } from '../decider.js';

export type EraseSubject = { type: 'EraseSubject'; subjectId: string; reason: string; keyDestroyed: boolean };
export type PrivacyCommand = EraseSubject;
export type PrivacyEvent = DomainEvent<'privacy.subject-erased', { subjectId: string; reason: string; keyDestroyed: boolean }>;
export type PrivacyState = { status: 'active' } | { status: 'erased'; reason: string };

export const privacyStreamId = (subjectId: string) => `privacy-${subjectId}`;

/** A data subject's privacy stream: erasure happens once and is final. */
export const privacySubjectDecider: Decider<PrivacyCommand, PrivacyEvent, PrivacyState> = {
  category: 'privacy',
  initialState: () => ({ status: 'active' }),
  decide(command, state) {
    if (state.status === 'erased') throw new CommandRefused('SUBJECT_ALREADY_ERASED', [`subject ${command.subjectId} was already erased (${state.reason})`]);
    return [{ type: 'privacy.subject-erased', data: { subjectId: command.subjectId, reason: command.reason, keyDestroyed: command.keyDestroyed } }];
  },
  evolve: (_state, event) => ({ status: 'erased', reason: event.data.reason }),
};

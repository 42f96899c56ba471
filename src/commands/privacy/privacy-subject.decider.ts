import { CommandRefused, type Decider, type DomainEvent } from '../decider.js';

export type ExportCounts = { account: number; sessions: number; apiKeys: number; events: number; datasetRows: number; mails: number };

export type EraseSubject = { type: 'EraseSubject'; subjectId: string; reason: string; keyDestroyed: boolean };
export type RecordDataExport = { type: 'RecordDataExport'; subjectId: string; format: 'json' | 'zip'; counts: ExportCounts; ledgerPosition: number };
export type PrivacyCommand = EraseSubject | RecordDataExport;
export type PrivacyEvent =
  | DomainEvent<'privacy.subject-erased', { subjectId: string; reason: string; keyDestroyed: boolean }>
  | DomainEvent<'privacy.data-exported', { subjectId: string; format: 'json' | 'zip'; counts: ExportCounts; ledgerPosition: number }>;
export type PrivacyState = { status: 'active' } | { status: 'erased'; reason: string };

export const privacyStreamId = (subjectId: string) => `privacy-${subjectId}`;

/** A data subject's privacy stream: exports are recorded while the subject exists; erasure happens once and is final. */
export const privacySubjectDecider: Decider<PrivacyCommand, PrivacyEvent, PrivacyState> = {
  category: 'privacy',
  initialState: () => ({ status: 'active' }),
  decide(command, state) {
    if (state.status === 'erased') throw new CommandRefused('SUBJECT_ALREADY_ERASED', [`subject ${command.subjectId} was already erased (${state.reason})`]);
    switch (command.type) {
      case 'EraseSubject':
        return [{ type: 'privacy.subject-erased', data: { subjectId: command.subjectId, reason: command.reason, keyDestroyed: command.keyDestroyed } }];
      case 'RecordDataExport':
        return [{ type: 'privacy.data-exported', data: { subjectId: command.subjectId, format: command.format, counts: command.counts, ledgerPosition: command.ledgerPosition } }];
    }
  },
  evolve: (state, event) => (event.type === 'privacy.subject-erased' ? { status: 'erased', reason: event.data.reason } : state),
};

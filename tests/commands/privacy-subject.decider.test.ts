import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { privacyStreamId, privacySubjectDecider, type PrivacyEvent, type RecordDataExport } from '../../src/commands/privacy/privacy-subject.decider.js';
import { systemActor } from '../../src/events/envelope.js';

const context = { now: new Date('2026-01-01T00:00:00Z'), actor: systemActor('test') };
const given = (events: PrivacyEvent[]) => events.reduce(privacySubjectDecider.evolve, privacySubjectDecider.initialState());
const exportOf = (subjectId: string): RecordDataExport => ({ type: 'RecordDataExport', subjectId, format: 'zip', counts: { account: 1, sessions: 2, apiKeys: 0, events: 7, datasetRows: 1, mails: 3 }, ledgerPosition: 42 });

describe('privacy subject decider', () => {
  it('records an export with its counts, and exports do not end the subject', () => {
    const [exported] = privacySubjectDecider.decide(exportOf('u1'), given([]), context);
    expect(exported).toEqual({ type: 'privacy.data-exported', data: { subjectId: 'u1', format: 'zip', counts: { account: 1, sessions: 2, apiKeys: 0, events: 7, datasetRows: 1, mails: 3 }, ledgerPosition: 42 } });
    expect(given([exported!])).toEqual({ status: 'active' });
    expect(privacySubjectDecider.decide({ type: 'EraseSubject', subjectId: 'u1', reason: 'art. 17', keyDestroyed: true }, given([exported!]), context)).toHaveLength(1);
  });

  it('refuses an export or a second erasure once the subject is erased', () => {
    const erased = given([{ type: 'privacy.subject-erased', data: { subjectId: 'u1', reason: 'art. 17', keyDestroyed: true } }]);
    for (const command of [exportOf('u1'), { type: 'EraseSubject' as const, subjectId: 'u1', reason: 'again', keyDestroyed: false }]) {
      expect(() => privacySubjectDecider.decide(command, erased, context)).toThrow(CommandRefused);
      try {
        privacySubjectDecider.decide(command, erased, context);
      } catch (error) {
        expect((error as CommandRefused).code).toBe('SUBJECT_ALREADY_ERASED');
        expect((error as CommandRefused).reasons).toEqual(['subject u1 was already erased (art. 17)']);
      }
    }
  });

  it('streams are privacy-<subject>; an erasure records its reason and whether the key was destroyed', () => {
    expect(privacyStreamId('u7')).toBe('privacy-u7');
    expect(privacySubjectDecider.category).toBe('privacy');
    const [erased] = privacySubjectDecider.decide({ type: 'EraseSubject', subjectId: 'u7', reason: 'art. 17', keyDestroyed: false }, given([]), context);
    expect(erased).toEqual({ type: 'privacy.subject-erased', data: { subjectId: 'u7', reason: 'art. 17', keyDestroyed: false } });
    expect(given([erased!])).toEqual({ status: 'erased', reason: 'art. 17' });
  });
});

import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { SessionStore } from '../../platform/session-store.js';
import { handleCommand, type CommandMetadata } from '../command-handler.js';
import { privacyStreamId, privacySubjectDecider } from './privacy-subject.decider.js';

/**
 * GDPR erasure by crypto-shredding. The key goes first: destroying it is idempotent and final,
 * so a failed append is simply retried, and no window exists where the ledger says "erased"
 * while the data is still readable. When the subject is a user, every session of theirs ends
 * with it (in the database, so on every node at once): their live access tokens stop working.
 */
export async function eraseSubject(
  deps: { store: EventStore; catalogue: EventCatalogue; vault: PersonalDataVault; sessions: Pick<SessionStore, 'revokeAll'> },
  subjectId: string,
  reason: string,
  meta: CommandMetadata,
) {
  const { keyDestroyed } = await deps.vault.erase(subjectId);
  await deps.sessions.revokeAll(subjectId, 'subject-erased');
  return handleCommand(deps, privacySubjectDecider, privacyStreamId(subjectId), { type: 'EraseSubject', subjectId, reason, keyDestroyed }, meta);
}

import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import { handleCommand, type CommandMetadata } from '../command-handler.js';
import { privacyStreamId, privacySubjectDecider } from './privacy-subject.decider.js';

/**
 * GDPR erasure by crypto-shredding. The key goes first: destroying it is idempotent and final,
 * so a failed append is simply retried, and no window exists where the ledger says "erased"
 * while the data is still readable.
 */
export async function eraseSubject(
  deps: { store: EventStore; catalogue: EventCatalogue; vault: PersonalDataVault },
  subjectId: string,
  reason: string,
  meta: CommandMetadata,
) {
  const { keyDestroyed } = await deps.vault.erase(subjectId);
  return handleCommand(deps, privacySubjectDecider, privacyStreamId(subjectId), { type: 'EraseSubject', subjectId, reason, keyDestroyed }, meta);
}

import type { PersonalDataView } from '../events/event-disclosure.js';
import type { PersonalDataVault } from '../events/personal-data.js';
import type { Principal } from './auth/access-control.js';
import { roleHas } from './permissions.js';

/**
 * How personal data is shown to a caller: in clear only with `personal-data:read` (held by its
 * role, and granted to the API key when it acts through one); as pseudonyms otherwise.
 */
export function personalDataViewOf(principal: Principal): PersonalDataView {
  const may = roleHas(principal.role, 'personal-data:read') && (principal.kind !== 'api-key' || principal.permissions.includes('personal-data:read'));
  return may ? 'clear' : 'pseudonymised';
}

/** A personal value from a read model as `view` shows it: itself, or its pseudonym (the same one the audit log shows). */
export const personalValueIn =
  (view: PersonalDataView, vault: Pick<PersonalDataVault, 'pseudonym'>) =>
  (value: string): string =>
    view === 'clear' ? value : vault.pseudonym(value);

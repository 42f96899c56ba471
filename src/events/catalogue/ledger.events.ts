import { defineEvent } from '../event-catalogue.js';
import { LEDGER_SEALED, ledgerSealedSchema } from '../ledger-seal.js';

export const ledgerSealed = defineEvent({
  type: LEDGER_SEALED,
  schemaVersion: 1,
  schema: ledgerSealedSchema,
  description: 'A signed checkpoint of the hash chain: head hash and Merkle root of a segment of positions.',
});

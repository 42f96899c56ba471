import type { LedgerSealed } from '../../events/ledger-seal.js';
import { LEDGER_SEALED, LEDGER_STREAM } from '../../events/ledger-seal.js';
import { CommandRefused, type Decider, type DomainEvent } from '../decider.js';

export type RecordSeal = { type: 'RecordSeal'; seal: LedgerSealed };
export type LedgerCommand = RecordSeal;
export type LedgerEvent = DomainEvent<typeof LEDGER_SEALED, LedgerSealed>;
export type LedgerState = { seals: number; sealedTo: number; headHash: string | null };

/** The ledger's own stream: seals must cover consecutive, non-overlapping segments. */
export const ledgerDecider: Decider<LedgerCommand, LedgerEvent, LedgerState> = {
  category: LEDGER_STREAM,
  initialState: () => ({ seals: 0, sealedTo: 0, headHash: null }),
  decide(command, state) {
    const { seal } = command;
    const reasons: string[] = [];
    if (seal.fromPosition !== state.sealedTo + 1) reasons.push(`seal must start at position ${state.sealedTo + 1}, not ${seal.fromPosition}`);
    if (seal.toPosition < seal.fromPosition) reasons.push('seal must cover at least one position');
    if (reasons.length > 0) throw new CommandRefused('SEAL_OUT_OF_ORDER', reasons);
    return [{ type: LEDGER_SEALED, data: seal }];
  },
  evolve: (state, event) => ({ seals: state.seals + 1, sealedTo: event.data.toPosition, headHash: event.data.headHash }),
};

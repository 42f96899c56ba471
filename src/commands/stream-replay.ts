import { streamCategory, type StoredEvent } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import type { Decider, DomainEvent } from './decider.js';
import { ledgerDecider } from './ledger/ledger.decider.js';
import { privacySubjectDecider } from './privacy/privacy-subject.decider.js';
import { userDecider } from './user/user.decider.js';

// Each aggregate's decider, by stream category, so any stream's state can be replayed as of a time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const deciders: Decider<any, any, any>[] = [ledgerDecider, privacySubjectDecider, userDecider];
const byCategory = new Map(deciders.map((d) => [d.category, d]));

export type ReplayedState = { aggregate: string; state: unknown } | { aggregate: null; state: null };

/** Folds a stream's events through its aggregate's `evolve`; streams of no aggregate have no state. */
export function replayStream(catalogue: EventCatalogue, streamId: string, events: StoredEvent[]): ReplayedState {
  const decider = byCategory.get(streamCategory(streamId));
  if (!decider) return { aggregate: null, state: null };
  let state: unknown = decider.initialState();
  for (const e of events) state = decider.evolve(state, catalogue.upcast(e) as DomainEvent);
  return { aggregate: decider.category, state };
}

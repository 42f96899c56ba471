import type { EventCatalogue } from '../events/event-catalogue.js';
import type { EventStore } from '../events/event-store.js';
import type { Decider, DomainEvent } from './decider.js';
import type { StreamStateCache } from './stream-state-cache.js';

/**
 * A stream's state as of now, as a full replay would give it: the kept state when the stream's head
 * is still its version (one read of the head, no event decoded), the kept state moved on by the
 * events after it, or a replay, which is then kept (stream-state-cache.ts). For reads that must
 * follow the ledger at once, such as which model version may score.
 */
export async function currentStreamState<S>(deps: { store: EventStore; catalogue: EventCatalogue; streamStates: StreamStateCache }, decider: Decider<never, DomainEvent, S>, streamId: string): Promise<{ state: S; version: number | null }> {
  const { store, catalogue, streamStates } = deps;
  const fold = (state: S, events: Awaited<ReturnType<EventStore['readStream']>>) => events.reduce((s, e) => decider.evolve(s, catalogue.upcast(e) as unknown as DomainEvent as never), state);
  const kept = streamStates.get(decider, streamId);
  if (kept) {
    const head = await store.streamHead(streamId);
    if (head?.streamVersion === kept.version) return kept;
    const after = await store.readStream(streamId, { fromVersion: kept.version + 1 });
    if (after.length > 0 && after[0]!.streamVersion === kept.version + 1) {
      const state = fold(kept.state, after);
      const version = after[after.length - 1]!.streamVersion;
      streamStates.set(decider, streamId, state, version, after);
      return { state, version };
    }
  }
  const events = await store.readStream(streamId);
  const state = fold(decider.initialState(), events);
  const version = events.length === 0 ? null : events[events.length - 1]!.streamVersion;
  if (version !== null) streamStates.set(decider, streamId, state, version, events);
  return { state, version };
}

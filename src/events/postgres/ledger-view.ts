import type { StoredEvent } from '../envelope.js';
import { checkExpectedVersion, type AppendResult, type ExpectedVersion } from '../event-store.js';
import { chainEvents } from '../hash-chain.js';
import type { ValidatedEvent } from '../new-event-validation.js';

/**
 * What this process knows of the ledger after its own latest append: the head, and the versions of
 * streams it wrote or looked up since. It is right for as long as no other writer commits, which
 * every optimistic insert checks under the append lock (the head it chained from is still the
 * head), so a stale view costs a retry, never a wrong chain.
 */
export type LedgerView = {
  head: { position: number; hash: string; occurredAt: Date };
  /** Current version of a stream; null: the stream has no events. */
  versions: Map<string, number | null>;
};

/** Streams a view is allowed to remember before it starts again from an empty map. */
export const MAX_VIEW_STREAMS = 100_000;

export type ViewAppend = { streamId: string; events: ValidatedEvent[]; expectedVersion: ExpectedVersion };

/**
 * Decides a group of appends against the view, as the locked path would against the database, and
 * advances the view past them. Returns null, leaving the view unchanged, when any append needs the
 * database to be decided: a stream the view does not know, an expected version that does not hold
 * (the refusal must be confirmed under the lock), or an event id repeated within the group.
 */
export function decideOnView(view: LedgerView, group: readonly ViewAppend[], now: Date): { results: AppendResult[]; inserts: StoredEvent[] } | null {
  const versions = new Map<string, number | null>();
  const ids = new Set<string>();
  for (const append of group) {
    for (const e of append.events) {
      if (ids.has(e.id)) return null;
      ids.add(e.id);
    }
    const known = versions.has(append.streamId) ? versions.get(append.streamId) : view.versions.get(append.streamId);
    if (known === undefined) return null;
    try {
      checkExpectedVersion(append.streamId, append.expectedVersion, known);
    } catch {
      return null;
    }
    versions.set(append.streamId, (known ?? -1) + append.events.length);
  }
  // occurredAt never goes backwards along the chain, so "as of T" reads are a prefix of $all.
  const occurredAt = view.head.occurredAt > now ? new Date(view.head.occurredAt) : now;
  let head = { position: view.head.position, hash: view.head.hash };
  const results: AppendResult[] = [];
  const inserts: StoredEvent[] = [];
  const current = new Map<string, number | null>();
  for (const append of group) {
    const before = current.has(append.streamId) ? current.get(append.streamId)! : view.versions.get(append.streamId)!;
    const chained = chainEvents(append.streamId, append.events, before, head, occurredAt);
    const last = chained[chained.length - 1]!;
    head = { position: last.position, hash: last.hash };
    current.set(append.streamId, last.streamVersion);
    inserts.push(...chained);
    results.push({ streamId: append.streamId, nextExpectedVersion: last.streamVersion, position: last.position, events: chained, duplicate: false });
  }
  for (const [streamId, version] of current) view.versions.set(streamId, version);
  view.head = { ...head, occurredAt };
  return { results, inserts };
}

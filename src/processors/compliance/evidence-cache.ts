import type { Control } from '../../events/catalogue/compliance.events.js';
import type { JsonObject, StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';

type Deps = { store: EventStore; catalogue: EventCatalogue };

/** Data keys the ledger index reads (ledger-facts.ts); evidence events keep these and those conditions name. */
const INDEX_KEYS = [
  'modelId', 'version', 'modelVersion', 'datasetId', 'trainingData', 'changes', 'type', 'ownerId', 'name', 'description', 'intendedUse', 'riskTier',
  'incidentId', 'severity', 'category', 'awareAt', 'deadline', 'authorityNotifiedAt', 'authorityReference', 'scheduleId',
];

/** The data keys evidence conditions and `active` keys of these controls read (first path segment). */
export function keysRead(controls: Iterable<Control>): string[] {
  const keys = new Set(INDEX_KEYS);
  for (const c of controls)
    for (const r of c.evidence) {
      if (r.kind === 'events') for (const w of r.where) keys.add(w.path.split('.')[0]!);
      if (r.kind === 'active') keys.add(r.key.split('.')[0]!);
    }
  return [...keys].sort();
}

const trim = (e: StoredEvent, keep: Set<string>): StoredEvent => {
  const data: JsonObject = {};
  for (const k of Object.keys(e.data)) if (keep.has(k)) data[k] = e.data[k]!;
  return { ...e, data };
};

type Cache = { key: string; through: number; events: StoredEvent[] };
const PAGE = 10_000;
const caches = new WeakMap<EventStore, { latest: Promise<Cache> | null }>();

/**
 * The evidence events of `types` up to `position`, trimmed to the data keys evaluation reads, kept
 * in memory per store and extended with what was appended since: the ledger is append-only, so
 * what was read once never changes, and a status request reads only the new tail (a fairness
 * report is kilobytes; its trimmed form a few fields). An as-of request below the cached position
 * takes a prefix. Changing the types or keys (a new pack) starts the cache again.
 */
export async function cachedEvidence(deps: Deps, types: string[], keys: string[], position: number): Promise<StoredEvent[]> {
  const key = JSON.stringify([[...types].sort(), keys]);
  let slot = caches.get(deps.store);
  if (!slot) caches.set(deps.store, (slot = { latest: null }));
  const previous = slot.latest;
  // Requests extend the cache one after another, each from where the last left it.
  const next = (async (): Promise<Cache> => {
    const held = previous ? await previous.catch(() => null) : null;
    const cache = held && held.key === key ? held : { key, through: 0, events: [] };
    if (cache.through >= position) return cache;
    const keep = new Set(keys);
    for (let after = cache.through; ; ) {
      const page = await deps.store.readAll({ after, to: position, limit: PAGE, filter: { types } });
      // Appended in place: readers of an earlier prefix only look at positions they asked for.
      for (const e of page) cache.events.push(trim(deps.catalogue.upcast(e), keep));
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.position;
    }
    cache.through = position;
    return cache;
  })();
  slot.latest = next;
  const cache = await next;
  // Sorted by position: the prefix up to `position`.
  let lo = 0;
  let hi = cache.events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cache.events[mid]!.position <= position) lo = mid + 1;
    else hi = mid;
  }
  return cache.events.slice(0, lo);
}

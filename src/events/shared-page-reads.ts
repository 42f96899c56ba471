import type { StoredEvent } from './envelope.js';

/**
 * Reads of `$all` pages that followers of one process share: an append wakes every follower
 * (projections, relay, processors; about twenty) at once, all at the same checkpoint, and each used
 * to read and parse the same new events with a query of its own. A read asked for while an equal
 * or larger one after the same position is in flight joins it instead, unless that read started
 * before the latest append this process knows of (`knownHead`), which it might not see. Only
 * reads in flight are shared, never kept: a later read always goes to the database. Pages are
 * read at least `minLimit` long, so followers with smaller pages can join a larger one's read. Each caller gets its own copy of
 * the events, so a follower changing one cannot change what another sees.
 */
export function sharedPageReads(
  read: (after: number, limit: number) => Promise<StoredEvent[]>,
  options: { minLimit: number; knownHead: () => number },
): (after: number, limit: number) => Promise<StoredEvent[]> {
  const inFlight = new Map<number, { limit: number; head: number; page: Promise<StoredEvent[]> }>();
  return async (after, limit) => {
    const head = options.knownHead();
    let shared = inFlight.get(after);
    if (!shared || shared.limit < limit || shared.head < head) {
      const entry = { limit: Math.max(limit, options.minLimit), head, page: read(after, Math.max(limit, options.minLimit)) };
      inFlight.set(after, entry);
      const forget = () => {
        if (inFlight.get(after) === entry) inFlight.delete(after);
      };
      entry.page.then(forget, forget);
      shared = entry;
    }
    const page = await shared.page;
    return structuredClone(page.length > limit ? page.slice(0, limit) : page);
  };
}

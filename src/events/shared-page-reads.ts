import type { StoredEvent } from './envelope.js';

/**
 * Reads of `$all` pages that followers of one process share: an append wakes every follower
 * (projections, relay, processors; about twenty) at the same checkpoint, and each used to read
 * and parse the same new events with a query of its own. A read after the same position, at least
 * as long, started since the latest append this process knows of (`knownHead`) and at most
 * `maxAgeMs` ago, is joined (in flight) or reused (done) instead: it holds every event the caller
 * could know of. A follower that finishes its batch a little after the others gets the page they
 * read. Past `maxAgeMs` a read goes to the database again, so a follower polling for appends it
 * was not told of (a lost notification) still finds them. Pages are read at least `minLimit`
 * long, so followers with smaller pages can join a larger one's read. Each caller gets its own
 * copy of the events: a follower changing one cannot change what another sees.
 */
export function sharedPageReads(
  read: (after: number, limit: number) => Promise<StoredEvent[]>,
  options: { minLimit: number; knownHead: () => number; maxAgeMs: number },
): (after: number, limit: number) => Promise<StoredEvent[]> {
  const reads = new Map<number, { limit: number; head: number; startedAt: number; page: Promise<StoredEvent[]> }>();
  return async (after, limit) => {
    const head = options.knownHead();
    const now = performance.now();
    for (const [key, r] of reads) if (r.head < head || now - r.startedAt > options.maxAgeMs) reads.delete(key);
    let shared = reads.get(after);
    if (!shared || shared.limit < limit) {
      const entry = { limit: Math.max(limit, options.minLimit), head, startedAt: now, page: read(after, Math.max(limit, options.minLimit)) };
      reads.set(after, entry);
      // A failed read is not reused.
      entry.page.catch(() => reads.get(after) === entry && reads.delete(after));
      shared = entry;
    }
    const page = await shared.page;
    return structuredClone(page.length > limit ? page.slice(0, limit) : page);
  };
}

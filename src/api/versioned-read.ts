import { cachedReadModelQuery } from '../projections/cached-read-model-query.js';
import type { ReadModelPosition } from '../projections/projection-runner.js';
import type { Runtime } from '../runtime.js';

export type VersionedRead<T> = { value: T | null; streamVersion: number | null };

const ATTEMPTS = 3;

/**
 * Reads an aggregate from a read model together with the ledger stream version its body shows.
 * Read models do not keep stream versions (a projection only sees the event types it handles), so:
 * the position P the read model reflects is read first, then the body (which shows at least P),
 * then the stream's head. When the head is at or before P, the body shows exactly the head's
 * version: every event of the stream up to P is in it, and none after the head can be (the head
 * was read after the body). Otherwise the stream has an event the body may not show yet: the read
 * model is waited for up to it (read-your-writes) and the read starts again. No version when the
 * read model lags past the wait, or the stream keeps moving: a conditional write then needs a
 * fresh read. Two queries when the body is cached (position, head).
 */
export async function readVersioned<T>(runtime: Runtime, streamId: string, projection: string, read: (at: ReadModelPosition) => Promise<T | null>): Promise<VersionedRead<T>> {
  for (let attempt = 1; ; attempt++) {
    const at = await runtime.projections.positionOf(projection);
    const value = await read(at);
    const head = await runtime.store.streamHead(streamId);
    if (!head) return { value, streamVersion: null };
    if (at.current && head.position <= at.position) return { value, streamVersion: head.streamVersion };
    if (attempt >= ATTEMPTS || !(await runtime.projections.waitFor(head.position, runtime.config.RAIA_MIN_POSITION_WAIT_MS, [projection]))) return { value, streamVersion: null };
  }
}

/** The stream moved while its body was read: the body may show an event after the head it would be cached under. */
class StreamMovedDuringRead extends Error {}

/**
 * `readVersioned` of one aggregate whose body depends only on its own stream's events (a model and
 * its versions, a dataset and its versions), answered from the query cache by the stream's head:
 * once the read model has applied the stream up to its head, the body is the stream's state there,
 * the same for every read until the stream moves, however many other streams the projection moves
 * on meanwhile (keying by the projection's checkpoint threw it away on every write anywhere). The
 * checkpoint and the head are read together first (coalesced-lookup.ts shares each query with the
 * reads of the moment); a body read on a miss is kept only when the head, read again after it, has
 * not moved. Otherwise, and while the read model lags, `readVersioned` with the body keyed by the
 * checkpoint as before. `query` names the read among the projection's cached ones.
 */
export async function readVersionedCached<T>(runtime: Runtime, streamId: string, projection: string, query: string, id: string, read: () => Promise<T | null>): Promise<VersionedRead<T>> {
  const [at, head] = await Promise.all([runtime.projections.positionOf(projection), runtime.store.streamHead(streamId)]);
  if (head && at.current && head.position <= at.position) {
    try {
      const value = await runtime.cache.getOrCompute('read-models', `${projection}.v${at.version}:${query}:${id}@stream-head-${head.position}`, async () => {
        const body = await read();
        if ((await runtime.store.streamHead(streamId))?.position !== head.position) throw new StreamMovedDuringRead();
        return body;
      });
      return { value, streamVersion: head.streamVersion };
    } catch (error) {
      if (!(error instanceof StreamMovedDuringRead)) throw error;
    }
  }
  return readVersioned(runtime, streamId, projection, (position) => cachedReadModelQuery(runtime, projection, query, id, read, position));
}

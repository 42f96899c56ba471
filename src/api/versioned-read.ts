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

/**
 * `readVersioned` of one aggregate whose body is answered from the query cache (keyed by the
 * projection's checkpoint, read first): `query` names the read among the projection's cached ones.
 */
export const readVersionedCached = <T>(runtime: Runtime, streamId: string, projection: string, query: string, id: string, read: () => Promise<T | null>): Promise<VersionedRead<T>> =>
  readVersioned(runtime, streamId, projection, (at) => cachedReadModelQuery(runtime, projection, query, id, read, at));

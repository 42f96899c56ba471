import { createHash } from 'node:crypto';
import { canonicalJsonOf } from '../events/canonical-json.js';
import type { QueryCache } from '../platform/query-cache.js';
import type { ProjectionRunner } from './projection-runner.js';

/**
 * A read-model query answered from the cache when the same query was answered at the projection's
 * current checkpoint. The checkpoint is read before the query runs, so a stored answer reflects at
 * least the checkpoint in its key (never less): once a new event is projected the key changes and
 * older answers are unreachable, so nothing stale is served. (Events the projection does not
 * handle leave its tables as they are, and the key with them.)
 */
export async function cachedReadModelQuery<T>(
  deps: { cache: QueryCache; projections: ProjectionRunner },
  projection: string,
  query: string,
  args: unknown,
  compute: () => Promise<T>,
  /** The projection's version and checkpoint when the caller has just read them (they must be read before `compute` runs). */
  at?: { version: number; checkpoint: number },
): Promise<T> {
  const { version, checkpoint: position } = at ?? (await deps.projections.positionOf(projection));
  const digest = createHash('sha256').update(canonicalJsonOf(args ?? null).text ?? 'null').digest('hex').slice(0, 32);
  return deps.cache.getOrCompute('read-models', `${projection}.v${version}@${position}:${query}:${digest}`, compute);
}

import { v7 } from 'uuid';
import type { Actor, JsonObject } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { CacheCategory, QueryCache } from '../../platform/query-cache.js';

type Deps = { store: EventStore; catalogue: EventCatalogue; cache: QueryCache };
type Meta = { actor: Actor; by: string; correlationId?: string };

const record = async (deps: Deps, streamId: string, type: string, data: JsonObject, meta: Meta) => {
  const valid = deps.catalogue.validate(type, data);
  return (await deps.store.append(streamId, [{ id: v7(), type, schemaVersion: valid.schemaVersion, data: valid.data, actor: meta.actor, ...(meta.correlationId ? { correlationId: meta.correlationId } : {}) }], { expectedVersion: 'any' })).position;
};

/** Empties one category of the cache and records who did it and how many entries went. */
export async function clearCacheCategory(deps: Deps, category: CacheCategory, meta: Meta): Promise<{ category: CacheCategory; entriesRemoved: number; position: number }> {
  const entriesRemoved = await deps.cache.clear(category);
  return { category, entriesRemoved, position: await record(deps, `cache-${category}`, 'cache.cleared', { category, entriesRemoved, by: meta.by }, meta) };
}

/** Empties the whole cache (this installation's keys) and records it. */
export async function flushCache(deps: Deps, meta: Meta): Promise<{ entriesRemoved: number; position: number }> {
  const entriesRemoved = await deps.cache.flushAll();
  return { entriesRemoved, position: await record(deps, 'cache-all', 'cache.flushed', { entriesRemoved, by: meta.by }, meta) };
}

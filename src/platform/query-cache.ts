import { LRUCache } from 'lru-cache';
import { createClient } from 'redis';
import type { Logger } from './logger.js';

export const CACHE_CATEGORIES = ['read-models', 'provider-responses', 'reports'] as const;
export type CacheCategory = (typeof CACHE_CATEGORIES)[number];

/** Where cached answers live: Redis (shared by every RAIA process) or this process's memory. */
export type CacheBackend = {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Removes every key starting with `prefix`; returns how many went. */
  clear(prefix: string): Promise<number>;
  count(prefix: string): Promise<number>;
  close(): Promise<void>;
};

export function memoryCacheBackend(maxEntries: number): CacheBackend {
  const lru = new LRUCache<string, string>({ max: maxEntries, ttlAutopurge: false });
  const matching = (prefix: string) => [...lru.keys()].filter((k) => k.startsWith(prefix));
  return {
    kind: 'memory',
    get: async (key) => lru.get(key) ?? null,
    set: async (key, value, ttlSeconds) => void lru.set(key, value, { ttl: ttlSeconds * 1000 }),
    async clear(prefix) {
      const keys = matching(prefix);
      for (const k of keys) lru.delete(k);
      return keys.length;
    },
    count: async (prefix) => matching(prefix).length,
    close: async () => lru.clear(),
  };
}

export async function redisCacheBackend(url: string, logger?: Logger): Promise<CacheBackend> {
  const client = createClient({ url });
  client.on('error', (err: unknown) => logger?.warn({ err }, 'redis cache connection error'));
  await client.connect();
  const scan = async function* (prefix: string) {
    // Key prefixes hold no glob characters (they are built from fixed names and hex digests).
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) yield* keys;
  };
  return {
    kind: 'redis',
    get: (key) => client.get(key),
    set: async (key, value, ttlSeconds) => void (await client.set(key, value, { EX: ttlSeconds })),
    async clear(prefix) {
      let removed = 0;
      let batch: string[] = [];
      for await (const key of scan(prefix)) {
        batch.push(key);
        if (batch.length === 500) {
          removed += await client.unlink(batch);
          batch = [];
        }
      }
      if (batch.length > 0) removed += await client.unlink(batch);
      return removed;
    },
    async count(prefix) {
      let n = 0;
      for await (const _ of scan(prefix)) n++;
      return n;
    },
    close: async () => void (await client.quit().catch(() => undefined)),
  };
}

export type CategoryStats = { hits: number; misses: number; size: number };

/**
 * Answers kept for reuse, by category. A key names everything the answer depends on (for read
 * models: the query, its arguments and the projection position it reflects), so an entry is never
 * invalidated, only left unreachable and dropped by its TTL or the LRU. Hit and miss counts are
 * this process's; sizes are the backend's (shared with other processes on Redis).
 */
export class QueryCache {
  private readonly counts = new Map<CacheCategory, { hits: number; misses: number }>(CACHE_CATEGORIES.map((c) => [c, { hits: 0, misses: 0 }]));

  constructor(
    readonly backend: CacheBackend,
    /** Separates RAIA installations sharing one Redis (the database schema, in tests). */
    private readonly namespace: string,
    private readonly ttlSeconds: number,
    private readonly logger?: Logger,
  ) {}

  private prefix(category: CacheCategory) {
    return `raia:${this.namespace}:${category}:`;
  }

  /** The cached answer for `key`, or `compute`'s (stored for the next caller). A backend failure costs the cache, never the answer. */
  async getOrCompute<T>(category: CacheCategory, key: string, compute: () => Promise<T>): Promise<T> {
    const full = this.prefix(category) + key;
    const counts = this.counts.get(category)!;
    const cached = await this.backend.get(full).catch((err: unknown) => {
      this.logger?.warn({ err }, 'cache read failed');
      return null;
    });
    if (cached !== null) {
      counts.hits++;
      return JSON.parse(cached) as T;
    }
    counts.misses++;
    const value = await compute();
    await this.backend.set(full, JSON.stringify(value), this.ttlSeconds).catch((err: unknown) => this.logger?.warn({ err }, 'cache write failed'));
    return value;
  }

  async stats(): Promise<{ backend: 'redis' | 'memory'; categories: Record<CacheCategory, CategoryStats>; total: CategoryStats }> {
    const categories = {} as Record<CacheCategory, CategoryStats>;
    const total = { hits: 0, misses: 0, size: 0 };
    for (const c of CACHE_CATEGORIES) {
      const { hits, misses } = this.counts.get(c)!;
      const size = await this.backend.count(this.prefix(c));
      categories[c] = { hits, misses, size };
      total.hits += hits;
      total.misses += misses;
      total.size += size;
    }
    return { backend: this.backend.kind, categories, total };
  }

  clear(category: CacheCategory): Promise<number> {
    return this.backend.clear(this.prefix(category));
  }

  flushAll(): Promise<number> {
    return this.backend.clear(`raia:${this.namespace}:`);
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

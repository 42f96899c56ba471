import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clearCacheCategory, flushCache } from '../../processors/cache/cache-administration.js';
import { CACHE_CATEGORIES } from '../../platform/query-cache.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { problemSchema } from '../problem-details.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };
const categoryStats = z.object({ hits: z.number().int(), misses: z.number().int(), size: z.number().int() });

/** The query cache: statistics for operators; clearing and flushing for administrators, each recorded. */
export function cacheRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/v1/cache/stats', {
      config: { permission: 'system:read' },
      schema: {
        tags: ['cache'],
        summary: 'Cache hits and misses (this process) and entries (the backend) per category',
        response: { 200: z.object({ backend: z.enum(['redis', 'memory']), categories: z.record(z.enum(CACHE_CATEGORIES), categoryStats), total: categoryStats }), ...errors },
      },
    }, async () => runtime.cache.stats());

    app.post('/api/v1/cache/clear/:category', {
      config: { permission: 'cache:manage' },
      schema: {
        tags: ['cache'],
        summary: 'Empty one category of the cache (recorded as cache.cleared)',
        params: z.strictObject({ category: z.enum(CACHE_CATEGORIES) }),
        response: { 200: z.object({ category: z.enum(CACHE_CATEGORIES), entriesRemoved: z.number().int(), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const principal = principalOf(request);
      return clearCacheCategory(runtime, request.params.category, { actor: actorOf(principal), by: principal.userId, correlationId: request.id });
    });

    app.delete('/api/v1/cache/flush-all', {
      config: { permission: 'cache:manage' },
      schema: { tags: ['cache'], summary: 'Empty the whole cache (recorded as cache.flushed)', response: { 200: z.object({ entriesRemoved: z.number().int(), position: z.number().int() }), ...errors } },
    }, async (request) => {
      const principal = principalOf(request);
      return flushCache(runtime, { actor: actorOf(principal), by: principal.userId, correlationId: request.id });
    });
  };
}

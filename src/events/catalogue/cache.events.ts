import { z } from 'zod';
import { CACHE_CATEGORIES } from '../../platform/query-cache.js';
import { defineEvent } from '../event-catalogue.js';

export const cacheCleared = defineEvent({
  type: 'cache.cleared',
  schemaVersion: 1,
  schema: z.object({ category: z.enum(CACHE_CATEGORIES), entriesRemoved: z.number().int().nonnegative(), by: z.string().min(1) }),
  description: 'An administrator cleared one category of the query cache.',
});

export const cacheFlushed = defineEvent({
  type: 'cache.flushed',
  schemaVersion: 1,
  schema: z.object({ entriesRemoved: z.number().int().nonnegative(), by: z.string().min(1) }),
  description: 'An administrator flushed the whole query cache.',
});

export const cacheEvents = [cacheCleared, cacheFlushed];

import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { canonicalJson } from '../events/canonical-json.js';
import type { IdempotencyStore } from '../platform/idempotency-store.js';
import { principalOf } from './auth/access-control.js';
import { HttpProblem, invalidFields } from './problem-details.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honours `Idempotency-Key` (JSON bodies): a retry gets the first answer instead of creating twice. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotencyKey: { scope: string; key: string } | null;
  }
}

// Quoted as the draft's sf-string, or bare as most clients send it; visible ASCII but quote, comma, backslash.
const KEY = /^"?([\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]{1,255})"?$/;
const REPLAYED_HEADERS = ['content-type', 'location', 'etag'] as const;

/** Documents the header on a route that declares `config.idempotent`. */
export const idempotencyKeyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .optional()
    .describe('A unique value (e.g. a UUID) per intended creation: a retry with the same key and body gets the first answer replayed (Idempotent-Replayed: true) and creates nothing; the same key with another body is 422; while the first is in progress, 409. Kept 24 h, per caller.'),
});

/**
 * `Idempotency-Key` for routes that declare `config.idempotent`. The key is claimed in the
 * database before the handler runs; the answer (any status below 500) is recorded when sent and
 * replayed to a retry with the same key, caller, method, URL and body. A 5xx or an unrecordable
 * answer releases the key so the retry runs again. Multipart requests cannot be fingerprinted
 * before the handler reads them, so a key on one is refused rather than silently not honoured.
 */
export function registerIdempotencyKeys(app: FastifyInstance, store: IdempotencyStore): void {
  app.decorateRequest('idempotencyKey', null);

  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key'];
    if (!request.routeOptions.config.idempotent || header === undefined) return;
    const key = KEY.exec(Array.isArray(header) ? '' : header.trim())?.[1];
    if (!key) throw invalidFields([{ field: 'headers.idempotency-key', message: 'must be 1 to 255 visible ASCII characters (no quote, comma or backslash), e.g. a UUID' }]);
    if (/^multipart\//i.test(request.headers['content-type'] ?? '')) throw invalidFields([{ field: 'headers.idempotency-key', message: 'is not supported on multipart uploads' }]);
    const scope = principalOf(request).userId;
    const fingerprint = createHash('sha256')
      .update(canonicalJson({ method: request.method, url: request.url, body: request.body ?? null }) ?? '')
      .digest('hex');
    const reservation = await store.reserve(scope, key, fingerprint);
    switch (reservation.kind) {
      case 'reserved':
        request.idempotencyKey = { scope, key };
        return;
      case 'replay': {
        const { status, headers, body } = reservation.response;
        return reply.code(status).headers({ ...headers, 'idempotent-replayed': 'true' }).send(body);
      }
      case 'mismatch':
        throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency key reused', 'this Idempotency-Key was used for a different request (method, URL or body); use a new key for a new request', {
          errors: [{ field: 'headers.idempotency-key', message: 'was used for a different request' }],
        });
      case 'in-flight':
        throw new HttpProblem(409, 'idempotency-key-in-flight', 'Request in progress', 'a request with this Idempotency-Key is still in progress; retry after it answers', {
          errors: [{ field: 'headers.idempotency-key', message: 'a request with this key is in progress' }],
        });
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotencyKey;
    if (!held) return payload;
    request.idempotencyKey = null;
    if (reply.statusCode >= 500 || typeof payload !== 'string') {
      await store.release(held.scope, held.key);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    await store.complete(held.scope, held.key, { status: reply.statusCode, headers, body: payload });
    return payload;
  });
}

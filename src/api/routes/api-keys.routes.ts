import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiKey, revokeApiKey } from '../../commands/user/api-keys.js';
import type { IdentityDependencies } from '../../commands/user/identity-dependencies.js';
import { apiKeyListOrder, findApiKey, pageOfApiKeys } from '../../projections/api-keys.projection.js';
import type { ApiKeyUsage } from '../../platform/api-key-usage.js';
import { newApiKey } from '../../platform/secure-token.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { PERMISSIONS, roleHas, type Permission } from '../permissions.js';
import { HttpProblem, notFound, problemSchema, invalidFields } from '../problem-details.js';
import { idempotencyKeyHeaders } from '../idempotency-keys.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

// A key acts on resources, never on the account that owns it: it cannot mint keys or manage the account.
const NOT_GRANTABLE: readonly Permission[] = ['self:manage', 'api-keys:manage'];
const GRANTABLE = PERMISSIONS.filter((p) => !NOT_GRANTABLE.includes(p)) as [Permission, ...Permission[]];
const MAX_LIFETIME_DAYS = 366;

const keySummary = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  permissions: z.array(z.string()),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema, 503: problemSchema };

const invalidField = (field: string, message: string) => invalidFields([{ field, message }]);

/** Service-account API keys: created (shown once), listed with last use, revoked. */
export function apiKeyRoutes(identity: IdentityDependencies, usage: ApiKeyUsage, projections: ProjectionRunner, options: { readWaitMs: number }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/api/v1/auth/api-keys', {
      config: { permission: 'api-keys:manage', idempotent: true },
      schema: {
        tags: ['auth'],
        headers: idempotencyKeyHeaders,
        summary: 'Create an API key for a service acting as you, scoped to some of your permissions. The key is in this response only',
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          permissions: z.array(z.enum(GRANTABLE)).min(1).max(PERMISSIONS.length),
          expiresAt: z.iso.datetime({ offset: true }).optional(),
        }),
        response: { 201: keySummary.extend({ key: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      const { name, expiresAt } = request.body;
      const permissions = [...new Set(request.body.permissions)];
      permissions.forEach((p, i) => {
        if (!roleHas(principal.role, p)) throw invalidField(`body.permissions.${i}`, `the ${principal.role} role does not have ${p}, so a key of yours cannot either`);
      });
      const now = identity.clock();
      if (expiresAt !== undefined) {
        const at = new Date(expiresAt).getTime();
        if (at <= now.getTime()) throw invalidField('body.expiresAt', 'must be in the future');
        if (at > now.getTime() + MAX_LIFETIME_DAYS * 86_400_000) throw invalidField('body.expiresAt', `must be within ${MAX_LIFETIME_DAYS} days`);
      }
      const minted = newApiKey();
      const expires = expiresAt === undefined ? null : new Date(expiresAt).toISOString();
      const created = await createApiKey(identity, principal.userId, { name, permissions, expiresAt: expires, prefix: minted.prefix, digest: minted.digest }, actorOf(principal));
      // The caller will use the key at once: answer when authentication can see it.
      if (!(await projections.waitFor(created.position, options.readWaitMs, ['api_keys']))) {
        request.log.warn({ position: created.position }, 'api key created but its read model lags');
      }
      void reply.status(201);
      return { id: created.keyId, name, prefix: minted.prefix, key: minted.key, permissions, expiresAt: expires, createdAt: now.toISOString(), revokedAt: null, lastUsedAt: null, position: created.position };
    });

    app.get('/api/v1/auth/api-keys', {
      config: { permission: 'api-keys:manage' },
      schema: {
        tags: ['auth'],
        summary: 'Your API keys (never the keys themselves), revoked ones included, newest first unless sorted otherwise, with when each was last used',
        querystring: z.strictObject({ ...pageQuery(100), ...sortQueryOf(apiKeyListOrder) }),
        response: { 200: z.object({ apiKeys: z.array(keySummary), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const { apiKeys: keys, total } = await pageOfApiKeys(identity.knex, principalOf(request).userId, request.query);
      const uses = await usage.lastUses(keys.map((k) => k.keyId));
      return {
        apiKeys: keys.map((k) => ({ id: k.keyId, name: k.name, prefix: k.prefix, permissions: k.permissions, expiresAt: k.expiresAt, createdAt: k.createdAt, revokedAt: k.revokedAt, lastUsedAt: uses.get(k.keyId)?.lastUsedAt ?? null })),
        ...pageOf(request.query, total),
      };
    });

    app.delete('/api/v1/auth/api-keys/:id', {
      config: { permission: 'api-keys:manage' },
      schema: { tags: ['auth'], summary: 'Revoke an API key (yours; administrators may revoke any)', params: z.strictObject({ id: z.uuid() }), response: { 204: z.null(), ...errors } },
    }, async (request, reply) => {
      const principal = principalOf(request);
      const key = await findApiKey(identity.knex, request.params.id);
      // Someone else's key is "not found" to a non-administrator: ids of others' keys are not confirmed.
      if (!key || (key.userId !== principal.userId && !roleHas(principal.role, 'users:admin'))) throw notFound(`API key ${request.params.id}`);
      const revoked = await revokeApiKey(identity, key.userId, key.keyId, actorOf(principal));
      // Answer once authentication refuses the key, so "revoked" means revoked.
      if (revoked.position > 0 && !(await projections.waitFor(revoked.position, options.readWaitMs, ['api_keys']))) {
        throw new HttpProblem(503, 'read-model-lagging', 'Revocation recorded, not yet effective', `the key is revoked in the ledger (position ${revoked.position}) but authentication had not caught up within ${options.readWaitMs} ms`);
      }
      void reply.status(204);
      return null;
    });
  };
}

import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { handleCommand } from '../../commands/command-handler.js';
import { loadAccount } from '../../commands/user/account-lookup.js';
import type { IdentityDependencies } from '../../commands/user/identity-dependencies.js';
import { userDecider, userStreamId, type UserCommand } from '../../commands/user/user.decider.js';
import { inviteUser } from '../../commands/user/invitation.js';
import { listUsers, userListOrder } from '../../projections/users.projection.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { ROLES } from '../permissions.js';
import { personalDataViewOf, personalValueIn } from '../personal-data-view.js';
import { notFound, problemSchema } from '../problem-details.js';
import { etagResponseHeader, ifMatchHeaders, preconditionOf, setETag } from '../conditional-request.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const userSummary = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
  status: z.string(),
  emailVerified: z.boolean(),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
});
const changed = z.object({ userId: z.uuid(), position: z.number().int() }).meta({ headers: etagResponseHeader });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 412: problemSchema };
const params = z.strictObject({ id: z.uuid() });

/** Administration of accounts: list, invite, change role, deactivate and reactivate (admin only). */
export function adminUserRoutes(identity: IdentityDependencies): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/v1/admin/users', {
      config: { permission: 'users:admin' },
      schema: {
        tags: ['auth'],
        summary: 'List accounts (read model; pass X-Min-Position to see a write just made)',
        description: 'E-mail and name are in clear with the `personal-data:read` permission, otherwise stable `[personal:…]` pseudonyms.',
        querystring: z.strictObject({
          ...pageQuery(100),
          ...sortQueryOf(userListOrder),
          after: z.uuid().optional().meta({ deprecated: true }).describe('Deprecated (until 0.2.0; use offset): only accounts whose id sorts after this one'),
        }),
        response: {
          200: z.object({
            users: z.array(userSummary),
            ...pageFields,
            next: z.uuid().nullable().meta({ deprecated: true }).describe('Deprecated (until 0.2.0; use nextOffset): the `after` of the next page in the default order (by id, ascending), null on the last page or in another order'),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const { after, ...page } = request.query;
      const { users, total } = await listUsers(identity.knex, { ...page, afterUserId: after });
      const shown = personalValueIn(personalDataViewOf(principalOf(request)), identity.vault);
      return {
        users: users.map((u) => ({ id: u.userId, email: shown(u.email), name: shown(u.name), role: u.role, status: u.status, emailVerified: u.emailVerified, lastLoginAt: u.lastLoginAt, createdAt: u.createdAt })),
        ...pageOf(page, total),
        next: pageOf(page, total).nextOffset !== null && page.sort === 'userId' && page.order === 'asc' ? users[users.length - 1]!.userId : null,
      };
    });

    app.post('/api/v1/admin/invitations', {
      config: { permission: 'users:admin' },
      schema: {
        tags: ['auth'],
        summary: 'Invite someone with a role: a one-time link (7 days) is mailed for them to set a password. Again for a pending invitee: a new link, the role given now',
        body: z.strictObject({ email: z.email().max(254), name: z.string().trim().min(1).max(200), role: z.enum(ROLES) }),
        response: { 201: z.object({ userId: z.uuid(), role: z.enum(ROLES), expiresAt: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const invited = await inviteUser(identity, request.body, actorOf(principalOf(request)));
      void reply.status(201);
      return { userId: invited.userId, role: request.body.role, expiresAt: invited.expiresAt.toISOString(), position: invited.position };
    });

    /**
     * Runs an account command as the signed-in admin, under If-Match when given (the account's
     * version is in every write's ETag); role changes and deactivation end the user's sessions.
     */
    const command = async (request: Parameters<typeof principalOf>[0], reply: FastifyReply, userId: string, cmd: UserCommand) => {
      const precondition = preconditionOf(request);
      if (!(await loadAccount(identity, userId))) throw notFound(`user ${userId}`);
      const result = await handleCommand(identity, userDecider, userStreamId(userId), cmd, { actor: actorOf(principalOf(request)), ...(precondition ? { precondition } : {}) });
      if (result.events.length > 0 && cmd.type !== 'Reactivate') await identity.sessions.revokeAll(userId, cmd.type === 'ChangeRole' ? 'role-changed' : 'deactivated');
      setETag(reply, result.streamVersion);
      return { userId, position: result.position };
    };

    app.put('/api/v1/admin/users/:id/role', {
      config: { permission: 'users:admin' },
      schema: { tags: ['auth'], summary: "Change a user's role (their sessions end)", params, headers: ifMatchHeaders, body: z.strictObject({ role: z.enum(ROLES) }), response: { 200: changed, ...errors } },
    }, async (request, reply) => command(request, reply, request.params.id, { type: 'ChangeRole', to: request.body.role }));

    app.post('/api/v1/admin/users/:id/deactivate', {
      config: { permission: 'users:admin' },
      schema: { tags: ['auth'], summary: 'Deactivate an account (its sessions end)', params, headers: ifMatchHeaders, body: z.strictObject({ reason: z.string().trim().min(1).max(500) }), response: { 200: changed, ...errors } },
    }, async (request, reply) => command(request, reply, request.params.id, { type: 'Deactivate', reason: request.body.reason }));

    app.post('/api/v1/admin/users/:id/reactivate', {
      config: { permission: 'users:admin' },
      schema: { tags: ['auth'], summary: 'Reactivate an account', params, headers: ifMatchHeaders, response: { 200: changed, ...errors } },
    }, async (request, reply) => command(request, reply, request.params.id, { type: 'Reactivate' }));
  };
}

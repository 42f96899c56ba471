import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../events/envelope.js';
import { HttpProblem } from '../problem-details.js';
import { roleHas, type Permission, type Role } from '../permissions.js';
import type { AccessTokens } from './access-tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without credentials. */
    public?: boolean;
    /** What the caller must be allowed to do (src/api/permissions.ts). */
    permission?: Permission;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** What every registered route requires: the generated 401/403 test reads it. */
    routeAccess: RouteAccess[];
  }
}

export type RouteAccess = { method: string; url: string; public: boolean; permission: Permission | null };

export type Principal = { kind: 'user'; userId: string; role: Role; sessionId: string };

export const actorOf = (principal: Principal): Actor => ({ kind: 'user', id: principal.userId, role: principal.role });

/** The authenticated caller of a non-public route (the access hook guarantees one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpProblem(401, 'unauthenticated', 'Authentication required', 'send a bearer access token');
  return request.principal;
}

const unauthenticated = (detail: string) => new HttpProblem(401, 'unauthenticated', 'Authentication required', detail);

/**
 * Authentication and authorisation for every route: each route must declare `config.public` or
 * `config.permission` (registration fails otherwise, so no route is left open by omission).
 */
export function registerAccessControl(app: FastifyInstance, deps: { accessTokens: AccessTokens; sessionIsActive(sessionId: string): Promise<boolean> }): void {
  app.decorateRequest('principal', null);
  app.decorate('routeAccess', [] as RouteAccess[]);
  app.addHook('onRoute', (route) => {
    // Routes added by plugins we do not own (the OpenAPI UI) are documentation: public.
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), public: true };
    const config = route.config as { public?: boolean; permission?: Permission } | undefined;
    if (!config?.public && !config?.permission) throw new Error(`route ${route.method} ${route.url} declares neither config.public nor config.permission`);
    for (const method of [route.method].flat()) app.routeAccess.push({ method, url: route.url, public: Boolean(config.public), permission: config.permission ?? null });
  });
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config as { public?: boolean; permission?: Permission } | undefined;
    // Every route declares one or the other (checked at registration); only fastify's own
    // not-found handler declares neither, and it must answer 404, not 401.
    if (!config?.permission || config.public) return;
    const header = request.headers.authorization;
    if (!header) throw unauthenticated('send a bearer access token');
    const [scheme, token] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw unauthenticated('the Authorization header must be "Bearer <token>"');
    const claims = await deps.accessTokens.verify(token);
    if (!claims || !(await deps.sessionIsActive(claims.sessionId))) throw unauthenticated('the access token is invalid, expired or its session has ended');
    request.principal = { kind: 'user', userId: claims.userId, role: claims.role, sessionId: claims.sessionId };
    if (config.permission && !roleHas(claims.role, config.permission)) {
      throw new HttpProblem(403, 'forbidden', 'Forbidden', `the ${claims.role} role lacks the ${config.permission} permission`);
    }
  });
}

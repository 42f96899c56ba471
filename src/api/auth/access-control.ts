import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../events/envelope.js';
import { HttpProblem } from '../problem-details.js';
import { roleHas, type Permission, type Role } from '../permissions.js';
import type { AccessTokens } from './access-tokens.js';
import type { ApiKeyAuthentication } from './api-key-authentication.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without credentials. */
    public?: boolean;
    /** What the caller must be allowed to do (src/api/permissions.ts). */
    permission?: Permission;
    /**
     * Live channels (WebSocket, SSE), which browsers open without an Authorization header: the
     * credential may also come as a `raia.bearer.<token>` WebSocket subprotocol or a single-use
     * `ticket` query parameter (POST /api/v1/realtime/tickets), never as a lasting token in a URL.
     */
    liveCredentials?: boolean;
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

/** A signed-in user (access token of a session), or a service acting with one of a user's API keys. */
export type Principal =
  | { kind: 'user'; userId: string; role: Role; sessionId: string }
  | { kind: 'api-key'; userId: string; role: Role; keyId: string; permissions: readonly Permission[] };

export const actorOf = (principal: Principal): Actor =>
  principal.kind === 'user' ? { kind: 'user', id: principal.userId, role: principal.role } : { kind: 'user', id: principal.userId, role: principal.role, apiKeyId: principal.keyId };

/** The WebSocket subprotocol prefix that carries a bearer credential: `raia.bearer.<token or API key>`. */
export const LIVE_BEARER_PROTOCOL = 'raia.bearer.';

/** The authenticated caller of a non-public route (the access hook guarantees one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpProblem(401, 'unauthenticated', 'Authentication required', 'send a bearer access token');
  return request.principal;
}

/** The caller of a route about the account's own session (logout, sessions): API keys have none. */
export function sessionPrincipalOf(request: FastifyRequest): Extract<Principal, { kind: 'user' }> {
  const principal = principalOf(request);
  if (principal.kind !== 'user') throw new HttpProblem(403, 'forbidden', 'Forbidden', 'this route needs a signed-in session, not an API key');
  return principal;
}

const unauthenticated = (detail: string) => new HttpProblem(401, 'unauthenticated', 'Authentication required', detail);
const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail);

/**
 * Authentication and authorisation for every route: each route must declare `config.public` or
 * `config.permission` (registration fails otherwise, so no route is left open by omission).
 * A bearer credential is either a JWT access token or an API key (`raia_…`); a key is allowed a
 * permission only when the key was granted it and its owner's current role still has it.
 */
export function registerAccessControl(
  app: FastifyInstance,
  deps: {
    accessTokens: AccessTokens;
    sessionIsActive(sessionId: string): Promise<boolean>;
    apiKeys: ApiKeyAuthentication;
    /** Spends a live-channel ticket: the principal it was minted for, or null. */
    redeemTicket?(ticket: string): Promise<Principal | null>;
  },
): void {
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
    const config = request.routeOptions.config as { public?: boolean; permission?: Permission; liveCredentials?: boolean } | undefined;
    // Every route declares one or the other (checked at registration); only fastify's own
    // not-found handler declares neither, and it must answer 404, not 401.
    if (!config?.permission || config.public) return;
    const header = request.headers.authorization;
    if (!header && config.liveCredentials) request.principal = await liveChannelPrincipal(request);
    else {
      if (!header) throw unauthenticated('send a bearer access token or API key');
      const [scheme, credential] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !credential) throw unauthenticated('the Authorization header must be "Bearer <token>"');
      request.principal = await bearerPrincipal(credential, request.ip);
    }
    const principal = request.principal;
    if (!roleHas(principal.role, config.permission)) throw forbidden(`the ${principal.role} role lacks the ${config.permission} permission`);
    if (principal.kind === 'api-key' && !principal.permissions.includes(config.permission)) throw forbidden(`the API key was not granted the ${config.permission} permission`);
  });

  function bearerPrincipal(credential: string, ip: string): Promise<Principal> {
    return deps.apiKeys.looksLikeKey(credential) ? keyPrincipal(credential, ip) : tokenPrincipal(credential);
  }

  async function liveChannelPrincipal(request: FastifyRequest): Promise<Principal> {
    const protocols = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const bearer = protocols.find((p) => p.startsWith(LIVE_BEARER_PROTOCOL));
    if (bearer) return bearerPrincipal(bearer.slice(LIVE_BEARER_PROTOCOL.length), request.ip);
    const ticket = (request.query as Record<string, unknown> | undefined)?.ticket;
    if (typeof ticket === 'string' && ticket.length > 0 && deps.redeemTicket) {
      const principal = await deps.redeemTicket(ticket);
      if (!principal) throw unauthenticated('the ticket is unknown, spent or expired');
      return principal;
    }
    throw unauthenticated('send a bearer access token or API key, a ticket, or the raia.bearer.<token> subprotocol');
  }

  async function tokenPrincipal(token: string): Promise<Principal> {
    const claims = await deps.accessTokens.verify(token);
    if (!claims || !(await deps.sessionIsActive(claims.sessionId))) throw unauthenticated('the access token is invalid, expired or its session has ended');
    return { kind: 'user', userId: claims.userId, role: claims.role, sessionId: claims.sessionId };
  }

  async function keyPrincipal(key: string, ip: string): Promise<Principal> {
    const found = await deps.apiKeys.authenticate(key, ip);
    if (!found) throw unauthenticated('the API key is unknown, revoked or expired, or its owner cannot sign in');
    return { kind: 'api-key', ...found };
  }
}

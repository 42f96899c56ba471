import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { OneTimeTokenStore } from '../../platform/one-time-token-store.js';
import type { Principal } from '../auth/access-control.js';
import { ROLES, PERMISSIONS } from '../permissions.js';

/** How long a live-channel ticket can be spent: long enough to open a socket, too short to be worth stealing. */
export const LIVE_TICKET_TTL_MS = 30_000;

const principalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), userId: z.string(), role: z.enum(ROLES), sessionId: z.string() }),
  z.object({ kind: z.literal('api-key'), userId: z.string(), role: z.enum(ROLES), keyId: z.string(), permissions: z.array(z.enum(PERMISSIONS)) }),
]);

/**
 * Single-use tickets that open a live channel (WebSocket or SSE) for the principal that minted
 * them, so a browser never puts its access token in a URL. Stored as digests in the one-time token
 * table, so any node behind a load balancer can spend a ticket another node minted.
 */
export class LiveTickets {
  constructor(
    private readonly tokens: OneTimeTokenStore,
    private readonly sessionIsActive: (sessionId: string) => Promise<boolean>,
  ) {}

  mint(principal: Principal): Promise<string> {
    // A nonce in the subject: the store retires a subject's unspent tokens at each issue, and two tabs may ask at once.
    return this.tokens.issue(JSON.stringify({ principal, nonce: randomUUID() }), 'live-ticket', LIVE_TICKET_TTL_MS);
  }

  /** The ticket's principal, once; null when unknown, spent, expired, or its session has ended since. */
  async redeem(ticket: string): Promise<Principal | null> {
    const subject = await this.tokens.consume(ticket, 'live-ticket');
    if (!subject) return null;
    const principal = principalSchema.parse((JSON.parse(subject) as { principal: unknown }).principal);
    if (principal.kind === 'user' && !(await this.sessionIsActive(principal.sessionId))) return null;
    return principal;
  }
}

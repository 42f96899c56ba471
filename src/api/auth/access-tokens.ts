import type { KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { Role } from '../permissions.js';

const ISSUER = 'raia';
const AUDIENCE = 'raia-api';
const VERIFIED_MAX = 10_000;

export type AccessClaims = { userId: string; role: Role; sessionId: string };

/**
 * Short-lived access tokens: EdDSA-signed JWTs naming the user, role and session. The session is
 * checked on every request too, so logout and revocation take effect before the token expires.
 */
export class AccessTokens {
  /**
   * Tokens whose signature was verified, with their claims and expiry: a token is immutable, so
   * checking its EdDSA signature once is enough (the check was ~4 % of a loaded server's CPU).
   * Keyed by the whole token; only valid tokens enter; each is dropped at its `exp`.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(
    private readonly signingKey: KeyObject,
    private readonly verifyKey: KeyObject,
    readonly ttlSeconds: number,
  ) {}

  async issue(claims: AccessClaims, now = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ role: claims.role, sid: claims.sessionId })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .sign(this.signingKey);
  }

  /** The token's claims, or null when it is malformed, forged, expired or not ours. */
  async verify(token: string, now = new Date()): Promise<AccessClaims | null> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAtMs > now.getTime()) return known.claims;
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.verifyKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], currentDate: now });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.role !== 'string' || typeof payload.exp !== 'number') return null;
      const claims: AccessClaims = { userId: payload.sub, sessionId: payload.sid, role: payload.role as Role };
      if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { claims, expiresAtMs: payload.exp * 1000 });
      return claims;
    } catch (error) {
      if (error instanceof errors.JOSEError) return null;
      throw error;
    }
  }
}

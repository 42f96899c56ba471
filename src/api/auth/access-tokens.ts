import type { KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { Role } from '../permissions.js';

const ISSUER = 'raia';
const AUDIENCE = 'raia-api';

export type AccessClaims = { userId: string; role: Role; sessionId: string };

/**
 * Short-lived access tokens: EdDSA-signed JWTs naming the user, role and session. The session is
 * checked on every request too, so logout and revocation take effect before the token expires.
 */
export class AccessTokens {
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
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.verifyKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'] });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.role !== 'string') return null;
      return { userId: payload.sub, sessionId: payload.sid, role: payload.role as Role };
    } catch (error) {
      if (error instanceof errors.JOSEError) return null;
      throw error;
    }
  }
}

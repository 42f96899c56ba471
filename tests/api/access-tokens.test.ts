import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccessTokens } from '../../src/api/auth/access-tokens.js';

describe('access tokens', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const claims = { userId: 'u1', role: 'viewer' as const, sessionId: 's1' };

  it('a token verified once still stops verifying at its expiry (the remembered verification does not outlive exp)', async () => {
    const tokens = new AccessTokens(privateKey, publicKey, 60);
    const issuedAt = new Date('2026-12-06T12:00:00Z');
    const token = await tokens.issue(claims, issuedAt);
    expect(await tokens.verify(token, new Date(issuedAt.getTime() + 1000))).toEqual(claims);
    expect(await tokens.verify(token, new Date(issuedAt.getTime() + 59_000))).toEqual(claims); // remembered
    expect(await tokens.verify(token, new Date(issuedAt.getTime() + 60_000))).toBeNull(); // exp = iat + 60 s
  });

  it('a remembered token does not vouch for a different one: a changed signature or payload is refused', async () => {
    const tokens = new AccessTokens(privateKey, publicKey, 600);
    const token = await tokens.issue(claims);
    expect(await tokens.verify(token)).toEqual(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    expect(await tokens.verify(`${header}.${payload}.${flipped}`)).toBeNull();
    const promoted = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expect(await tokens.verify(`${header}.${promoted}.${signature}`)).toBeNull();
    // Signed with another key: not ours.
    const other = new AccessTokens(generateKeyPairSync('ed25519').privateKey, publicKey, 600);
    expect(await tokens.verify(await other.issue(claims))).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { apiKeyPrefix, newApiKey, newToken, sameDigest, tokenDigest } from '../../src/platform/secure-token.js';

describe('secure tokens', () => {
  it('makes base64url tokens of the requested number of random bytes', () => {
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(Buffer.from(newToken(16), 'base64url')).toHaveLength(16);
    expect(Buffer.from(newToken(64), 'base64url')).toHaveLength(64);
  });

  it('never repeats a token', () => {
    const tokens = new Set(Array.from({ length: 10_000 }, () => newToken()));
    expect(tokens.size).toBe(10_000);
  });

  it('digests with SHA-256 in hex', () => {
    // FIPS 180-2 appendix B.1 and `printf abc | sha256sum`.
    expect(tokenDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(tokenDigest('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('compares digests: equal, different, and different lengths without throwing', () => {
    const digest = tokenDigest('abc');
    expect(sameDigest(digest, tokenDigest('abc'))).toBe(true);
    expect(sameDigest(digest, tokenDigest('abd'))).toBe(false);
    expect(sameDigest(digest, digest.slice(0, 63))).toBe(false);
    expect(sameDigest(digest, '')).toBe(false);
    expect(sameDigest('', '')).toBe(true);
  });
});

describe('API keys', () => {
  it('are raia_, an 8-hex-digit prefix and a 256-bit secret, and store only the digest of the whole key', () => {
    const { key, prefix, digest } = newApiKey();
    expect(key).toMatch(/^raia_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`raia_${prefix}_`)).toBe(true);
    expect(digest).toBe(tokenDigest(key));
    const secret = key.slice(`raia_${prefix}_`.length);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(digest).not.toContain(secret);
  });

  it('never repeat a key', () => {
    const keys = Array.from({ length: 1_000 }, () => newApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(1_000);
    expect(new Set(keys.map((k) => k.digest)).size).toBe(1_000);
  });

  it('give back the prefix of a well-formed key and null for anything else', () => {
    const { key, prefix } = newApiKey();
    expect(apiKeyPrefix(key)).toBe(prefix);
    expect(apiKeyPrefix(`${key}x`)).toBeNull();
    expect(apiKeyPrefix(key.replace('raia_', 'raib_'))).toBeNull();
    expect(apiKeyPrefix(`raia_${prefix}`)).toBeNull();
    expect(apiKeyPrefix('')).toBeNull();
  });
});

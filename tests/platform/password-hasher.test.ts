import { describe, expect, it } from 'vitest';
import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMETERS, dummyHash, hashPassword, needsRehash, verifyNothing, verifyPassword } from '../../src/platform/password-hasher.js';

describe('password hashing (argon2id)', () => {
  it('round-trips, refuses a wrong password, and names its parameters in the PHC string', async () => {
    const phc = await hashPassword('correct horse battery staple');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=47104,t=1,p=1\$/);
    expect(await verifyPassword(phc, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(phc, 'correct horse battery stapler')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
    expect(needsRehash(phc)).toBe(false);
  });

  it('asks for a rehash of hashes made with other parameters', async () => {
    const old = await hash('pw', { ...ARGON2_PARAMETERS, memoryCost: 19_456, timeCost: 2 });
    expect(needsRehash(old)).toBe(true);
    expect(await verifyPassword(old, 'pw')).toBe(true);
  });

  it('verifies the RFC 9106-style reference PHC string of the argon2 reference implementation', async () => {
    // From the argon2 reference implementation's test suite (argon2id, m=64 KiB, t=2, p=1, password "password", salt "somesalt").
    const reference = '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc';
    expect(await verifyPassword(reference, 'password')).toBe(true);
    expect(await verifyPassword(reference, 'passwore')).toBe(false);
  });

  it('checks unknown accounts against a hash of the same cost as real ones', async () => {
    // Same algorithm and parameters means the same work per verification (timing is a benchmark's business).
    expect(needsRehash(await dummyHash())).toBe(false);
    await expect(verifyNothing('anything')).resolves.toBeUndefined();
  });
});

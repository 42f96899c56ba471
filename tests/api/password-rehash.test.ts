import { hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/commands/command-handler.js';
import { loadAccount } from '../../src/commands/user/account-lookup.js';
import { registerAccount } from '../../src/commands/user/registration.js';
import { userDecider, userStreamId } from '../../src/commands/user/user.decider.js';
import { systemActor } from '../../src/events/envelope.js';
import { ARGON2_PARAMETERS, needsRehash } from '../../src/platform/password-hasher.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const password = 'a long enough passphrase';

describe('password hashes made with older parameters', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => {
    await server.close();
  });

  it('are re-hashed with the current parameters at the next successful sign-in, once', async () => {
    const identity = server.runtime.identity;
    const { userId } = await registerAccount(identity, { email: 'old@example.org', name: 'Old', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    // As an earlier release would have stored it: argon2id with a smaller memory cost.
    const weaker = await hash(password, { ...ARGON2_PARAMETERS, memoryCost: 19456 });
    await handleCommand(identity, userDecider, userStreamId(userId), { type: 'SetPassword', passwordHash: await identity.vault.seal(userId, weaker), via: 'reset' }, { actor: systemActor('test') });
    expect(needsRehash((await loadAccount(identity, userId))!.passwordHash!)).toBe(true);

    const wrong = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'old@example.org', password: 'not the password at all' } });
    expect(wrong.statusCode).toBe(401);
    expect(needsRehash((await loadAccount(identity, userId))!.passwordHash!)).toBe(true);

    for (let i = 0; i < 2; i++) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'old@example.org', password } });
      expect(res.statusCode).toBe(200);
    }
    const changes = (await server.runtime.store.readStream(userStreamId(userId))).filter((e) => e.type === 'user.password-changed');
    expect(changes.map((e) => e.data.via)).toEqual(['reset', 'rehash']);
    const account = await loadAccount(identity, userId);
    expect(needsRehash(account!.passwordHash!)).toBe(false);
    expect(await identity.verifyPassword(account!.passwordHash!, password)).toBe(true);
  });
});

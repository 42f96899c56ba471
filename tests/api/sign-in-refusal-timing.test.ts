import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const password = 'a long enough passphrase';
const FLOOR_MS = 400;

/**
 * A refused sign-in for a known address reads the account and records the failure; one for an
 * unknown address does neither, and answered ~30 % sooner (bench/auth-enumeration.bench.ts). Both
 * are held to the floor, which is far above what either path takes on an idle machine, so the
 * answer's time no longer says which it was. Lower bounds only: a loaded machine may be slower.
 */
describe('refused sign-ins take the same time whether or not the address has an account', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { RAIA_FAILED_SIGN_IN_FLOOR_MS: String(FLOOR_MS) });
    await registerAccount(server.runtime.identity, { email: 'known@example.org', name: 'Known', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
  });
  afterAll(async () => {
    await server.close();
  });

  const timedLogin = async (email: string, pass: string) => {
    const started = performance.now();
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: pass } });
    return { status: res.statusCode, body: res.json() as Record<string, unknown>, ms: performance.now() - started };
  };

  it('an unknown address and a wrong password both answer 401 no sooner than the floor, with the same body', async () => {
    for (let i = 0; i < 3; i++) {
      const unknown = await timedLogin(`nobody-${i}@example.org`, password);
      const wrong = await timedLogin('known@example.org', `not the passphrase ${i}`);
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      // A timer may fire up to a millisecond early against performance.now().
      expect(unknown.ms).toBeGreaterThanOrEqual(FLOOR_MS - 1);
      expect(wrong.ms).toBeGreaterThanOrEqual(FLOOR_MS - 1);
    }
  });

  it('a sign-in with the right password is not held back', async () => {
    const right = await timedLogin('known@example.org', password);
    expect(right.status).toBe(200);
    expect(right.body).toHaveProperty('accessToken');
  });
});

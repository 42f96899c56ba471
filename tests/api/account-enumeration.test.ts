import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const password = 'a long enough passphrase';

/**
 * Whether an address has an account must not show in how a public identity route answers: same
 * status and body, and the same work inside the request (timing is measured by
 * bench/auth-enumeration.bench.ts, too noisy for a shared test machine). The work that depends on
 * the address is held here until the answer is in, to see what the request itself did.
 */
describe.each(['postgres', 'pglite'] as const)('account enumeration on %s', (dialect) => {
  let server: TestServer;
  let held: (() => Promise<unknown>)[] = [];
  let hashes = 0;
  beforeAll(async () => {
    server = await startTestServer(dialect);
    await registerAccount(server.runtime.identity, { email: 'taken@example.org', name: 'Taken', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    const identity = server.runtime.identity;
    const hash = identity.hashPassword;
    identity.hashPassword = (plain) => ((hashes += 1), hash(plain));
    identity.inBackground = (_name, task) => void held.push(task);
  });
  afterAll(async () => {
    await server.close();
  });

  const outbox = async () => Number((await server.runtime.db.knex('raia_mail_outbox').count({ n: '*' }))[0]!.n);
  /** What the request did before answering: its answer, argon2 hashes, ledger and outbox writes, work left for later. */
  async function inRequest(url: string, payload: object) {
    held = [];
    hashes = 0;
    const [head, mails] = [(await server.runtime.store.head()).position, await outbox()];
    const res = await server.app.inject({ method: 'POST', url, payload });
    const seen = { status: res.statusCode, body: res.json(), hashes, appended: (await server.runtime.store.head()).position - head, mailed: (await outbox()) - mails, later: held.length };
    for (const task of held) await task();
    return seen;
  }

  it('registers a taken and a new address with the same answer and the same work in the request', async () => {
    const taken = await inRequest('/api/v1/auth/register', { email: 'taken@example.org', name: 'Someone', password });
    const fresh = await inRequest('/api/v1/auth/register', { email: 'fresh@example.org', name: 'Someone', password });
    expect(taken).toEqual(fresh);
    expect(fresh).toMatchObject({ status: 202, hashes: 1, appended: 0, mailed: 0, later: 1 });
    // The held work did what sign-up does: the new account exists, and both addresses got their mail.
    expect(await server.runtime.store.readAll({ filter: { types: ['user.registered'] } })).toHaveLength(2);
    const to = (await server.runtime.db.knex('raia_mail_outbox').select('to_address', 'subject')).map((m) => `${m.to_address}: ${m.subject}`);
    expect(to).toEqual(expect.arrayContaining(['taken@example.org: RAIA: someone tried to register with your address', 'fresh@example.org: RAIA: confirm your e-mail address']));
  });

  it('answers password recovery for a known and an unknown address with the same answer and the same work in the request', async () => {
    const known = await inRequest('/api/v1/auth/forgot-password', { email: 'taken@example.org' });
    const unknown = await inRequest('/api/v1/auth/forgot-password', { email: 'nobody@example.org' });
    expect(known).toEqual(unknown);
    expect(known).toMatchObject({ status: 202, appended: 0, mailed: 0, later: 1 });
    const mails = await server.runtime.db.knex('raia_mail_outbox').where('subject', 'RAIA: reset your password').select('to_address');
    expect(mails.map((m) => m.to_address)).toEqual(['taken@example.org']);
  });

  it('answers a verification resend for any address with the same answer and the same work in the request', async () => {
    const known = await inRequest('/api/v1/auth/resend-verification', { email: 'fresh@example.org' });
    const unknown = await inRequest('/api/v1/auth/resend-verification', { email: 'nobody@example.org' });
    expect(known).toEqual(unknown);
    expect(known).toMatchObject({ status: 202, appended: 0, mailed: 0, later: 1 });
  });
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import type { IdentityDependencies, OutgoingMail } from '../../../src/commands/user/identity-dependencies.js';
import { checkPassword } from '../../../src/commands/user/password-policy.js';
import { userStreamId } from '../../../src/commands/user/user.decider.js';
import { raiaEventCatalogue } from '../../../src/events/catalogue/raia-event-catalogue.js';
import type { Actor } from '../../../src/events/envelope.js';
import { PersonalDataVault } from '../../../src/events/personal-data.js';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { OneTimeTokenStore } from '../../../src/platform/one-time-token-store.js';
import { hashPassword, needsRehash, verifyNothing, verifyPassword } from '../../../src/platform/password-hasher.js';
import { SessionStore } from '../../../src/platform/session-store.js';
import { openTestDatabase, type TestDatabase } from '../../support/test-database.js';

export const password = 'correct horse battery staple';
export const admin: Actor = { kind: 'user', id: 'admin-0', role: 'admin' };

/** The link's token in a mail RAIA sent. */
export const tokenIn = (mail: OutgoingMail) => /token: (\S+)/.exec(mail.text)![1]!;

/** The refusal `run` ends with (anything else fails the test). */
export async function refusal(run: () => Promise<unknown>): Promise<CommandRefused> {
  try {
    await run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/**
 * The identity use cases' dependencies on the real stores (PostgreSQL, the vault, sessions,
 * one-time tokens) and the real password hasher and policy, opened before the file's tests and
 * dropped after them; mails and background work are collected. `deps` and `store` are set once
 * the hook has run.
 */
export function identityStores() {
  let db: TestDatabase;
  let n = 0;
  const stores = {
    deps: undefined as unknown as IdentityDependencies,
    store: undefined as unknown as PostgresEventStore,
    mails: [] as OutgoingMail[],
    background: [] as { name: string; done: Promise<unknown> }[],
    /** A fresh address each call. */
    address: () => `person${++n}.${randomBytes(3).toString('hex')}@example.org`,
    /** Waits for the background work started so far. */
    settle: async () => {
      await Promise.all(stores.background.splice(0).map((b) => b.done));
    },
    mailsTo: (to: string) => stores.mails.filter((m) => m.to === to),
    /** The plain events of a user's stream (personal fields opened). */
    userEvents: async (userId: string) => (await stores.deps.vault.reveal(await stores.store.readStream(userStreamId(userId)))).map((e) => ({ type: e.type, data: e.data, actor: e.actor })),
  };
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    stores.store = new PostgresEventStore(db);
    stores.deps = {
      store: stores.store,
      catalogue: raiaEventCatalogue(),
      vault: new PersonalDataVault(db.knex, randomBytes(32)),
      knex: db.knex,
      sessions: new SessionStore(db.knex, 86_400_000),
      oneTimeTokens: new OneTimeTokenStore(db.knex),
      hashPassword,
      verifyPassword,
      needsRehash,
      verifyNothing,
      checkPassword,
      sendMail: async (mail) => {
        stores.mails.push(mail);
      },
      inBackground: (name, task) => {
        stores.background.push({ name, done: task() });
      },
      emailDigestKey: randomBytes(32),
      publicUrl: 'https://raia.example',
      clock: () => new Date(),
    };
  }, 60_000);
  afterAll(async () => {
    await stores.settle();
    await stores.store.close();
    await db.drop();
  });
  return stores;
}

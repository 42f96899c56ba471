import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { Knex } from '../../platform/database.js';
import type { OneTimeTokenStore } from '../../platform/one-time-token-store.js';
import type { SessionStore } from '../../platform/session-store.js';

export type OutgoingMail = { to: string; subject: string; text: string };

/** What the identity use cases need from the outside world, wired once by the runtime. */
export type IdentityDependencies = {
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  knex: Knex;
  sessions: SessionStore;
  oneTimeTokens: OneTimeTokenStore;
  hashPassword(plain: string): Promise<string>;
  verifyPassword(hash: string, plain: string): Promise<boolean>;
  /** Whether a stored hash was made with weaker parameters than today's (re-hashed at the next sign-in). */
  needsRehash(hash: string): boolean;
  /** Spends the time of a real verification, so unknown accounts cannot be told apart by timing. */
  verifyNothing(plain: string): Promise<void>;
  checkPassword(password: string, context: { email?: string; name?: string }): string[];
  sendMail(mail: OutgoingMail): Promise<void>;
  /** Runs work after the request is answered (steps that depend on whether an account exists). */
  inBackground(name: string, task: () => Promise<unknown>): void;
  emailDigestKey: Buffer;
  publicUrl: string;
  clock(): Date;
};

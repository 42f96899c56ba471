import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { sealedField, userRegistered } from '../../src/events/catalogue/user.events.js';
import { defineEvent, EventCatalogue } from '../../src/events/event-catalogue.js';
import { discloseEvents } from '../../src/events/event-disclosure.js';
import { classifyFields, credential, personal } from '../../src/events/field-classification.js';
import type { JsonObject } from '../../src/events/envelope.js';
import { PersonalDataVault } from '../../src/events/personal-data.js';
import { documentedPseudonym } from '../support/personal-data.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const PSEUDONYM = /^\[personal:[0-9a-f]{16}\]$/;

describe('field classification in the event catalogue', () => {
  it('finds the marked fields and the sealed fields of a schema, through nullable wrappers', () => {
    const { classified, sealed } = classifyFields(userRegistered.schema);
    expect(classified).toEqual(
      expect.arrayContaining([
        { path: ['email'], fieldClass: 'personal' },
        { path: ['name'], fieldClass: 'personal' },
        { path: ['passwordHash'], fieldClass: 'credential' },
      ]),
    );
    expect(classified).toHaveLength(3);
    expect(sealed).toEqual([['email'], ['name'], ['passwordHash']]);
  });

  it('marks a copy: the shared sealed-field shape stays unmarked', () => {
    expect(classifyFields(z.object({ x: sealedField })).classified).toEqual([]);
    expect(classifyFields(z.object({ list: z.array(personal(z.string())) })).classified).toEqual([{ path: ['list', '*'], fieldClass: 'personal' }]);
    expect(classifyFields(z.object({ k: credential(z.string()).optional() })).classified).toEqual([{ path: ['k'], fieldClass: 'credential' }]);
  });

  it('refuses an event whose sealed field is marked neither personal nor credential', () => {
    const unsafe = defineEvent({ type: 'test.unsafe', schemaVersion: 1, schema: z.object({ who: z.object({ contact: sealedField.nullable() }) }), description: 'x' });
    expect(() => new EventCatalogue().register(unsafe)).toThrow(/test\.unsafe v1: sealed field who\.contact is marked neither personal nor credential/);
    const safe = defineEvent({ type: 'test.safe', schemaVersion: 1, schema: z.object({ who: personal(z.object({ contact: sealedField })) }), description: 'x' });
    expect(() => new EventCatalogue().register(safe)).not.toThrow();
  });

  it('classifies every sealed field of every RAIA event (the catalogue builds)', () => {
    expect(() => raiaEventCatalogue()).not.toThrow();
  });
});

describe('disclosure of ledger events', () => {
  let db: TestDatabase;
  let vault: PersonalDataVault;
  const masterKey = randomBytes(32);
  const catalogue = raiaEventCatalogue();
  const expectedPseudonym = (value: unknown) => documentedPseudonym(masterKey, JSON.stringify(value));

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    vault = new PersonalDataVault(db.knex, masterKey);
  });
  afterAll(async () => {
    await db.drop();
  });

  const registered = async (subject: string, email: string) => ({
    type: 'user.registered',
    schemaVersion: 1,
    data: {
      userId: subject,
      email: await vault.seal(subject, email),
      name: await vault.seal(subject, 'Ada Lovelace'),
      passwordHash: await vault.seal(subject, '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
      emailDigest: 'a'.repeat(64),
      role: 'viewer',
      method: 'self-service',
    } as JsonObject,
    metadata: {} as JsonObject,
  });

  it('shows personal fields in clear to a reader allowed to, and never the credentials', async () => {
    const [e] = await discloseEvents([await registered('u1', 'ada@example.org')], { catalogue, vault }, 'clear');
    expect(e!.data).toEqual({ userId: 'u1', email: 'ada@example.org', name: 'Ada Lovelace', passwordHash: '[withheld]', emailDigest: 'a'.repeat(64), role: 'viewer', method: 'self-service' });
  });

  it('pseudonymises personal fields otherwise: keyed, stable across calls and ciphertexts, equal values alike', async () => {
    const events = [await registered('u1', 'ada@example.org'), await registered('u2', 'ada@example.org'), await registered('u3', 'bob@example.org')];
    const first = await discloseEvents(events, { catalogue, vault }, 'pseudonymised');
    const again = await discloseEvents(events, { catalogue, vault }, 'pseudonymised');
    expect(again).toEqual(first);
    expect(first[0]!.data.email).toBe(expectedPseudonym('ada@example.org'));
    expect(first[1]!.data.email).toBe(first[0]!.data.email);
    expect(first[2]!.data.email).toBe(expectedPseudonym('bob@example.org'));
    expect(first[0]!.data.name).toMatch(PSEUDONYM);
    expect(first[0]!.data.passwordHash).toBe('[withheld]');
    expect(JSON.stringify(first)).not.toMatch(/example\.org|Lovelace|argon2/);
    const otherKey = new PersonalDataVault(db.knex, randomBytes(32));
    expect(otherKey.pseudonym('ada@example.org')).not.toBe(vault.pseudonym('ada@example.org'));
  });

  it('withholds credential digests in clear text, and sealed fields of unknown types or in metadata', async () => {
    const key = { type: 'user.api-key-created', schemaVersion: 1, data: { userId: 'u1', keyId: 'k1', name: 'ci', prefix: '0123abcd', digest: 'f'.repeat(64), permissions: ['models:read'], expiresAt: null } as JsonObject };
    const unknown = { type: 'test.thing', schemaVersion: 1, data: { note: 'public', secret: await vault.seal('u1', 'x') } as JsonObject, metadata: { hidden: await vault.seal('u1', 'y') } as JsonObject };
    const [k, u] = await discloseEvents<{ type: string; schemaVersion: number; data: JsonObject; metadata?: JsonObject }>([key, unknown], { catalogue, vault }, 'clear');
    expect(k!.data).toEqual({ ...key.data, digest: '[withheld]' });
    expect(u!.data).toEqual({ note: 'public', secret: '[withheld]' });
    expect(u!.metadata).toEqual({ hidden: '[withheld]' });
    // A type declaring no classified field: sealed values deep in its data, or only in its metadata, are found too.
    const deep = { type: 'model.updated', schemaVersion: 1, data: { modelId: 'm', changes: { tags: ['a', { x: [await vault.seal('u1', 'z')] }] } } as JsonObject };
    const metaOnly = { type: 'model.updated', schemaVersion: 1, data: { modelId: 'm', changes: {} } as JsonObject, metadata: { trace: 't', note: await vault.seal('u1', 'w') } as JsonObject };
    const clean = { type: 'model.updated', schemaVersion: 1, data: { modelId: 'm', changes: { tags: ['a'] } } as JsonObject, metadata: { trace: 't' } as JsonObject };
    const [d, m, c] = await discloseEvents<{ type: string; schemaVersion: number; data: JsonObject; metadata?: JsonObject }>([deep, metaOnly, clean], { catalogue, vault }, 'clear');
    expect(d!.data).toEqual({ modelId: 'm', changes: { tags: ['a', { x: ['[withheld]'] }] } });
    expect(m).toEqual({ ...metaOnly, metadata: { trace: 't', note: '[withheld]' } });
    expect(c).toEqual(clean);
  });

  it('reads an erased subject as [redacted] in either view; a plaintext personal field is pseudonymised too', async () => {
    const event = await registered('u9', 'eve@example.org');
    const login = { type: 'user.logged-in', schemaVersion: 1, data: { userId: 'u9', sessionId: 's', method: 'password', ip: await vault.seal('u9', '203.0.113.9'), userAgent: 'Mozilla/5.0 (Eve)' } as JsonObject };
    const before = await discloseEvents([login], { catalogue, vault }, 'pseudonymised');
    expect(before[0]!.data).toMatchObject({ ip: expectedPseudonym('203.0.113.9'), userAgent: expectedPseudonym('Mozilla/5.0 (Eve)') });
    await vault.erase('u9');
    for (const view of ['clear', 'pseudonymised'] as const) {
      const [e, l] = await discloseEvents([event, login], { catalogue, vault }, view);
      expect(e!.data).toMatchObject({ email: '[redacted]', name: '[redacted]', passwordHash: '[withheld]' });
      expect(l!.data.ip).toBe('[redacted]');
    }
  });
});

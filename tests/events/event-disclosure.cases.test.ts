import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { sealedField } from '../../src/events/catalogue/user.events.js';
import type { JsonObject } from '../../src/events/envelope.js';
import { defineEvent, EventCatalogue } from '../../src/events/event-catalogue.js';
import { classifiedFieldsQueried, discloseEvents, hasClassifiedFields, isPlainEvent, WITHHELD } from '../../src/events/event-disclosure.js';
import { credential, personal } from '../../src/events/field-classification.js';
import type { PersonalDataVault } from '../../src/events/personal-data.js';
import { documentedPseudonym, vaultOnPostgres } from '../support/personal-data.js';
import type { TestDatabase } from '../support/test-database.js';

type Event = { type: string; schemaVersion: number; data: JsonObject; metadata?: JsonObject };

// A small catalogue whose classified fields are known by construction.
const contactAdded = defineEvent({
  type: 'test.contact-added',
  schemaVersion: 1,
  schema: z.object({
    contactId: z.string(),
    email: personal(sealedField),
    nickname: personal(z.string()).nullable(),
    apiToken: credential(z.string()),
    people: z.array(z.object({ phone: personal(z.string()), role: z.string() })),
  }),
  description: 'x',
});
// Two options classify `secret` differently: credential first, so a "last one wins" reading would show it.
const secretEither = defineEvent({
  type: 'test.secret-either',
  schemaVersion: 1,
  schema: z.union([z.object({ secret: credential(z.string()) }), z.object({ secret: personal(z.string()) })]),
  description: 'x',
});
const note = defineEvent({ type: 'test.note', schemaVersion: 1, schema: z.object({ text: z.string() }), description: 'x' });
const catalogue = new EventCatalogue().register(contactAdded, secretEither, note);

describe('hasClassifiedFields', () => {
  it('is true only for a known type and version whose schema declares a classified field', () => {
    expect(hasClassifiedFields(catalogue, { type: 'test.contact-added', schemaVersion: 1 })).toBe(true);
    expect(hasClassifiedFields(catalogue, { type: 'test.secret-either', schemaVersion: 1 })).toBe(true);
    expect(hasClassifiedFields(catalogue, { type: 'test.note', schemaVersion: 1 })).toBe(false);
    expect(hasClassifiedFields(catalogue, { type: 'test.contact-added', schemaVersion: 2 })).toBe(false);
    expect(hasClassifiedFields(catalogue, { type: 'test.unknown', schemaVersion: 1 })).toBe(false);
  });
});

describe('isPlainEvent', () => {
  const sealed = { $pii: 'v1', subject: 'u1', iv: 'aXY=', ct: 'Y3Q=', tag: 'dGFn' };

  it('is true for an event of no classified field holding no sealed value, with or without metadata', () => {
    // Scalars, nested objects and arrays of every JSON kind, none of them sealed.
    const data = { text: 'hi', n: 1, ok: false, none: null, list: [1, 'two', null, { a: 'b', deeper: [{ c: 3 }] }], obj: { x: { y: 'z' } } };
    expect(isPlainEvent(catalogue, { type: 'test.note', schemaVersion: 1, data })).toBe(true);
    expect(isPlainEvent(catalogue, { type: 'test.note', schemaVersion: 1, data, metadata: { trace: 't', tags: ['a'] } })).toBe(true);
    expect(isPlainEvent(catalogue, { type: 'test.note', schemaVersion: 1, data: {}, metadata: {} })).toBe(true);
    // A type RAIA does not know declares nothing.
    expect(isPlainEvent(catalogue, { type: 'test.unknown', schemaVersion: 1, data })).toBe(true);
  });

  it('is false when a sealed value occurs anywhere, or the type declares classified fields', () => {
    expect(isPlainEvent(catalogue, { type: 'test.note', schemaVersion: 1, data: { text: 'hi', secret: sealed } })).toBe(false);
    expect(isPlainEvent(catalogue, { type: 'test.note', schemaVersion: 1, data: { list: [1, [{ x: sealed }]] } })).toBe(false);
    expect(isPlainEvent(catalogue, { type: 'test.note', schemaVersion: 1, data: { text: 'hi' }, metadata: { trace: 't', who: { s: sealed } } })).toBe(false);
    // Declared classified fields make the event non-plain even when none of its values is sealed.
    expect(isPlainEvent(catalogue, { type: 'test.secret-either', schemaVersion: 1, data: { secret: 'x' } })).toBe(false);
  });
});

describe('discloseEvents, field by field', () => {
  let db: TestDatabase;
  let vault: PersonalDataVault;
  const masterKey = randomBytes(32);
  const expectedPseudonym = (value: string) => documentedPseudonym(masterKey, JSON.stringify(value));

  beforeAll(async () => {
    // Only the vault's table is needed here.
    ({ db, vault } = await vaultOnPostgres(masterKey));
  });
  afterAll(async () => {
    await db.drop();
  });

  const contact = async (nickname: string | null): Promise<Event> => ({
    type: 'test.contact-added',
    schemaVersion: 1,
    data: {
      contactId: 'c1',
      email: await vault.seal('u1', 'ada@example.org'),
      nickname,
      apiToken: 'tok_0123456789',
      people: [
        { phone: '+44 20 7946 0000', role: 'owner' },
        { phone: '+44 20 7946 0001', role: 'deputy' },
      ],
    },
  });

  it('discloses personal fields inside array elements by their `*` path, in either view', async () => {
    const [clear] = await discloseEvents([await contact('Ada')], { catalogue, vault }, 'clear');
    expect(clear!.data).toEqual({
      contactId: 'c1',
      email: 'ada@example.org',
      nickname: 'Ada',
      apiToken: WITHHELD,
      people: [
        { phone: '+44 20 7946 0000', role: 'owner' },
        { phone: '+44 20 7946 0001', role: 'deputy' },
      ],
    });
    const [pseudo] = await discloseEvents([await contact('Ada')], { catalogue, vault }, 'pseudonymised');
    expect(pseudo!.data).toEqual({
      contactId: 'c1',
      email: expectedPseudonym('ada@example.org'),
      nickname: expectedPseudonym('Ada'),
      apiToken: WITHHELD,
      people: [
        { phone: expectedPseudonym('+44 20 7946 0000'), role: 'owner' },
        { phone: expectedPseudonym('+44 20 7946 0001'), role: 'deputy' },
      ],
    });
  });

  it('keeps a null personal field null: there is no value to show or pseudonymise', async () => {
    const [e] = await discloseEvents([await contact(null)], { catalogue, vault }, 'pseudonymised');
    expect(e!.data.nickname).toBeNull();
    expect(e!.data.email).toBe(expectedPseudonym('ada@example.org'));
  });

  it('withholds a field one union option declares a credential, even when another declares it personal', async () => {
    const event: Event = { type: 'test.secret-either', schemaVersion: 1, data: { secret: 'hunter2' } };
    for (const view of ['clear', 'pseudonymised'] as const) {
      const [e] = await discloseEvents([event], { catalogue, vault }, view);
      expect(e!.data).toEqual({ secret: WITHHELD });
    }
  });

  it('returns plain events unchanged, as new objects, and withholds sealed values in plain metadata', async () => {
    const plain: Event = { type: 'test.note', schemaVersion: 1, data: { text: 'hello', list: [1, { a: null }] }, metadata: { trace: 't' } };
    const sealedMeta: Event = { type: 'test.note', schemaVersion: 1, data: { text: 'x' }, metadata: { who: await vault.seal('u1', 'Ada') } };
    const [p, s] = await discloseEvents([plain, sealedMeta], { catalogue, vault }, 'clear');
    expect(p).toEqual(plain);
    expect(p).not.toBe(plain);
    expect(s).toEqual({ ...sealedMeta, metadata: { who: WITHHELD } });
  });

  it('opens the personal values of a whole page in one vault call, and makes none when there are none', async () => {
    const reveal = vi.spyOn(vault, 'reveal');
    try {
      const note1: Event = { type: 'test.note', schemaVersion: 1, data: { text: 'a' } };
      // Personal fields that are null and a credential hold nothing to open.
      const nothingPersonal: Event = { type: 'test.contact-added', schemaVersion: 1, data: { contactId: 'c0', email: null, nickname: null, apiToken: 't', people: [] } };
      const none = await discloseEvents([note1, nothingPersonal], { catalogue, vault }, 'clear');
      expect(reveal).not.toHaveBeenCalled();
      expect(none[1]!.data).toEqual({ contactId: 'c0', email: null, nickname: null, apiToken: WITHHELD, people: [] });
      const [a, b] = await discloseEvents([await contact('Ada'), await contact('Bo')], { catalogue, vault }, 'clear');
      expect(reveal).toHaveBeenCalledTimes(1);
      expect([a!.data.nickname, b!.data.nickname]).toEqual(['Ada', 'Bo']);
    } finally {
      reveal.mockRestore();
    }
  });
});

describe('classifiedFieldsQueried', () => {
  // test.person: personal and credential leaves, a public object with a personal field, an array of
  // personal values and a personal object. test.door classifies a field below test.person's
  // personal `address`, as a credential: a query on `address` touches both.
  const person = defineEvent({
    type: 'test.person',
    schemaVersion: 1,
    schema: z.object({
      personId: z.string(),
      email: personal(z.string()),
      passwordHash: credential(z.string()),
      profile: z.object({ name: personal(z.string()), city: z.string() }),
      tags: z.array(personal(z.string())),
      home: personal(z.object({ street: z.string(), zip: z.string() })),
      address: personal(z.object({ street: z.string(), zip: z.string() })),
    }),
    description: 'x',
  });
  const door = defineEvent({ type: 'test.door', schemaVersion: 1, schema: z.object({ address: z.object({ doorCode: credential(z.string()) }) }), description: 'x' });
  const people = new EventCatalogue().register(person, door);
  const queried = (query: JsonObject) => classifiedFieldsQueried(people, query);

  it('finds nothing in a query on public fields, whatever their value', () => {
    expect(queried({})).toEqual([]);
    expect(queried({ personId: 'p1' })).toEqual([]);
    expect(queried({ personId: null })).toEqual([]);
    expect(queried({ personId: 7, unknown: { x: [1, null] } })).toEqual([]);
    // A public field next to a personal one in the same object.
    expect(queried({ profile: { city: 'London' } })).toEqual([]);
    // An empty array at a personal array tests no element.
    expect(queried({ tags: [] })).toEqual([]);
  });

  it('names personal and credential leaves, in query order', () => {
    expect(queried({ email: 'ada@example.org' })).toEqual([{ path: ['email'], fieldClass: 'personal' }]);
    expect(queried({ passwordHash: '$argon2id$' })).toEqual([{ path: ['passwordHash'], fieldClass: 'credential' }]);
    expect(queried({ personId: 'p1', email: 'e', passwordHash: 'h' })).toEqual([
      { path: ['email'], fieldClass: 'personal' },
      { path: ['passwordHash'], fieldClass: 'credential' },
    ]);
  });

  it('follows nested objects to the classified field', () => {
    expect(queried({ profile: { name: 'Ada', city: 'London' } })).toEqual([{ path: ['profile', 'name'], fieldClass: 'personal' }]);
  });

  it('names array elements by the `*` path', () => {
    expect(queried({ tags: ['vip'] })).toEqual([{ path: ['tags', '*'], fieldClass: 'personal' }]);
  });

  it('names a personal object at its own path when the query goes inside it', () => {
    expect(queried({ home: { zip: 'NW1' } })).toEqual([{ path: ['home'], fieldClass: 'personal' }]);
  });

  it('reports a scalar or null on an object that holds a classified field: it tests that field too', () => {
    // `{"profile": null}` matches only events whose profile, name included, is null.
    expect(queried({ profile: null })).toEqual([{ path: ['profile'], fieldClass: 'personal' }]);
    expect(queried({ profile: 'Ada' })).toEqual([{ path: ['profile'], fieldClass: 'personal' }]);
  });

  it('takes the stricter class where two types classify overlapping paths', () => {
    // At `address`: test.person's personal field covers it, test.door's credential lies below it.
    expect(queried({ address: { street: 'Baker St' } })).toEqual([{ path: ['address'], fieldClass: 'credential' }]);
  });
});

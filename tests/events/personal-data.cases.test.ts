import { createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/events/envelope.js';
import { isSealedField, PersonalDataVault, REDACTED, SubjectErased, type SealedField } from '../../src/events/personal-data.js';
import { documentedPseudonym, vaultOnPostgres } from '../support/personal-data.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const masterKey = randomBytes(32);

/** AES-256-GCM decryption written from the documented layout, independently of the vault. */
function openGcm(key: Buffer, iv: Buffer, tag: Buffer, ct: Buffer, aad: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}

const expectedPseudonym = (canonicalText: string): string => documentedPseudonym(masterKey, canonicalText);

describe('PersonalDataVault against a real PostgreSQL schema', () => {
  let db: TestDatabase;
  let vault: PersonalDataVault;

  beforeAll(async () => {
    ({ db, vault } = await vaultOnPostgres(masterKey));
  });
  afterAll(async () => {
    await db.drop();
  });

  /** Opens a sealed field by hand: unwrap the subject's stored key (iv 12 | tag 16 | ct), then the field. */
  async function openByHand(field: SealedField): Promise<unknown> {
    const row = await db.knex('raia_subject_keys').where('subject_id', field.subject).first();
    const wrapped = Buffer.from(row.wrapped_key as Buffer);
    const key = openGcm(masterKey, wrapped.subarray(0, 12), wrapped.subarray(12, 28), wrapped.subarray(28), `subject-key:${field.subject}`);
    expect(key).toHaveLength(32);
    const b64 = (s: string) => Buffer.from(s, 'base64');
    return JSON.parse(openGcm(key, b64(field.iv), b64(field.tag), b64(field.ct), field.subject).toString('utf8')) as unknown;
  }

  it('seals a value as AES-256-GCM under the subject key, openable by hand and by reveal', async () => {
    const value = { email: 'ada@example.org', tags: ['é', 1, null] };
    const sealed = await vault.seal('s-seal', value);
    expect(Object.keys(sealed).sort()).toEqual(['$pii', 'ct', 'iv', 'subject', 'tag']);
    expect(sealed.$pii).toBe('v1');
    expect(sealed.subject).toBe('s-seal');
    // GCM: 96-bit nonce, 128-bit tag, ciphertext as long as the plaintext JSON.
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    expect(Buffer.from(sealed.ct, 'base64')).toHaveLength(Buffer.byteLength(JSON.stringify(value), 'utf8'));
    expect(await openByHand(sealed)).toEqual(value);
    const [revealed] = await vault.reveal([{ data: { v: sealed } }]);
    expect(revealed!.data).toEqual({ v: value });
  });

  it('reveals nested sealed fields inside arrays and objects, keeping arrays, nulls and other members', async () => {
    const a = await vault.seal('s-nest-a', 'alpha');
    const b = await vault.seal('s-nest-b', 42);
    const data = { keep: null, n: 3, list: [a, 'plain', { inner: b, none: null }], obj: { deep: [[a]] } } as JsonObject;
    const [out] = await vault.reveal([{ data, extra: 'x' } as { data: JsonObject; extra: string }]);
    expect(out).toEqual({ data: { keep: null, n: 3, list: ['alpha', 'plain', { inner: 42, none: null }], obj: { deep: [['alpha']] } }, extra: 'x' });
    // Arrays stay arrays (not index-keyed objects).
    expect(Array.isArray(out!.data.list)).toBe(true);
    expect(Array.isArray((out!.data.obj as { deep: unknown }).deep)).toBe(true);
  });

  it('a field relabelled with another subject cannot be opened with that subject key', async () => {
    const sealed = await vault.seal('s-owner', 'secret');
    await vault.seal('s-other', 'anything');
    await expect(vault.reveal([{ data: { v: { ...sealed, subject: 's-other' } } }])).rejects.toThrow();
    // Each subject has its own key: the same value sealed for two subjects opens only under its own.
    const [ok] = await vault.reveal([{ data: { v: sealed } }]);
    expect(ok!.data.v).toBe('secret');
  });

  it('returns events without sealed fields as they are, without reading the key table', async () => {
    const events = [{ data: { a: 1, b: [null, 'x'], c: { d: null } } as JsonObject }];
    expect(await vault.reveal(events)).toBe(events);
    // A schema with no key table at all: reveal must not query it when there is nothing to open.
    const bare = await openTestDatabase('postgres', { migrate: false, poolSize: 1 });
    try {
      const noTable = new PersonalDataVault(bare.knex, masterKey);
      expect(await noTable.reveal(events)).toBe(events);
    } finally {
      await bare.drop();
    }
  });

  it('erase destroys the key: sealed fields read as [redacted], new sealing is refused', async () => {
    const sealed = await vault.seal('s-erase', 'eve@example.org');
    expect(await vault.isErased('s-erase')).toBe(false);
    expect(await vault.erase('s-erase')).toEqual({ keyDestroyed: true });
    expect(await vault.isErased('s-erase')).toBe(true);
    const row = await db.knex('raia_subject_keys').where('subject_id', 's-erase').first();
    expect(row.wrapped_key).toBeNull();
    expect(row.erased_at).not.toBeNull();
    const [out] = await vault.reveal([{ data: { v: sealed, w: [sealed] } }]);
    expect(out!.data).toEqual({ v: REDACTED, w: [REDACTED] });
    expect(REDACTED).toBe('[redacted]');
    const refused = await vault.seal('s-erase', 'again').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SubjectErased);
    // Idempotent: the answer still says a key had been recorded under this subject.
    expect(await vault.erase('s-erase')).toEqual({ keyDestroyed: true });
    expect(await vault.isErased('s-erase')).toBe(true);
  });

  it('erasing an unknown subject destroys no key but leaves a tombstone that refuses later sealing', async () => {
    expect(await vault.isErased('s-never')).toBe(false);
    expect(await vault.erase('s-never')).toEqual({ keyDestroyed: false });
    expect(await vault.erase('s-never')).toEqual({ keyDestroyed: false });
    expect(await vault.isErased('s-never')).toBe(true);
    const err = await vault.seal('s-never', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubjectErased);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      code: 'SUBJECT_ERASED',
      name: 'SubjectErased',
      subjectId: 's-never',
      message: 'personal data of subject s-never has been erased; nothing new can be recorded about it',
    });
  });

  it('sealBatch seals for several subjects at once, each under its own key, reusing existing keys', async () => {
    const existing = await vault.seal('b-1', 'before');
    const before = await db.knex('raia_subject_keys').where('subject_id', 'b-1').first();
    const entries: { subjectId: string; value: JsonValue }[] = [
      { subjectId: 'b-1', value: 'one' },
      { subjectId: 'b-2', value: { n: 2 } },
      { subjectId: 'b-1', value: [1, 'one'] },
      { subjectId: 'b-3', value: null },
    ];
    const sealed = await vault.sealBatch(entries);
    expect(sealed).toHaveLength(4);
    expect(sealed.map((s) => s.subject)).toEqual(['b-1', 'b-2', 'b-1', 'b-3']);
    for (const [i, s] of sealed.entries()) {
      expect(Object.keys(s).sort()).toEqual(['$pii', 'ct', 'iv', 'subject', 'tag']);
      expect(s.$pii).toBe('v1');
      expect(Buffer.from(s.iv, 'base64')).toHaveLength(12);
      expect(Buffer.from(s.tag, 'base64')).toHaveLength(16);
      expect(await openByHand(s)).toEqual(entries[i]!.value);
    }
    // b-1's key was not replaced: the field sealed before the batch still opens.
    const after = await db.knex('raia_subject_keys').where('subject_id', 'b-1').first();
    expect(Buffer.from(after.wrapped_key as Buffer).equals(Buffer.from(before.wrapped_key as Buffer))).toBe(true);
    const [out] = await vault.reveal([{ data: { list: [existing, ...sealed] } }]);
    expect(out!.data.list).toEqual(['before', 'one', { n: 2 }, [1, 'one'], null]);
    // One key row per distinct subject.
    const rows = await db.knex('raia_subject_keys').whereIn('subject_id', ['b-1', 'b-2', 'b-3']).count<{ count: string }[]>('* as count');
    expect(Number(rows[0]!.count)).toBe(3);
  });

  it('sealBatch of exactly 1000 new subjects (one full insert chunk) seals every one', async () => {
    const entries = Array.from({ length: 1000 }, (_, i) => ({ subjectId: `k-${i}`, value: i }));
    const sealed = await vault.sealBatch(entries);
    expect(sealed.map((s) => s.subject)).toEqual(entries.map((e) => e.subjectId));
    const [out] = await vault.reveal([{ data: { all: sealed } }]);
    expect(out!.data.all).toEqual(entries.map((e) => e.value));
  });

  it('sealBatch refuses a batch naming an erased subject with SubjectErased', async () => {
    await vault.seal('b-erased', 'x');
    await vault.erase('b-erased');
    const err = await vault.sealBatch([{ subjectId: 'b-fresh', value: 1 }, { subjectId: 'b-erased', value: 2 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubjectErased);
    expect(err).toMatchObject({ code: 'SUBJECT_ERASED', subjectId: 'b-erased' });
    expect(await vault.sealBatch([])).toEqual([]);
  });

  it('pseudonyms: stable keyed HMAC of the canonical JSON, 16 hex digits, [redacted] kept', () => {
    expect(vault.pseudonym('ada@example.org')).toBe(expectedPseudonym('"ada@example.org"'));
    expect(vault.pseudonym('ada@example.org')).toBe(vault.pseudonym('ada@example.org'));
    expect(vault.pseudonym('ada@example.org')).toMatch(/^\[personal:[0-9a-f]{16}\]$/);
    expect(vault.pseudonym('bob@example.org')).not.toBe(vault.pseudonym('ada@example.org'));
    // Canonical JSON sorts keys (RFC 8785): both key orders hash the same text.
    expect(vault.pseudonym({ b: 1, a: [true, null] })).toBe(expectedPseudonym('{"a":[true,null],"b":1}'));
    expect(vault.pseudonym({ a: [true, null], b: 1 })).toBe(vault.pseudonym({ b: 1, a: [true, null] }));
    expect(vault.pseudonym(7)).toBe(expectedPseudonym('7'));
    expect(vault.pseudonym(null)).toBe(expectedPseudonym('null'));
    // A value with no JSON text (undefined, from an untyped caller) is hashed as null.
    expect(vault.pseudonym(undefined as unknown as JsonValue)).toBe(expectedPseudonym('null'));
    expect(vault.pseudonym(REDACTED)).toBe('[redacted]');
  });
});

describe('isSealedField', () => {
  it('accepts exactly objects whose $pii is the string v1', () => {
    expect(isSealedField({ $pii: 'v1', subject: 's', iv: '', ct: '', tag: '' })).toBe(true);
    expect(isSealedField({ $pii: 'v1' })).toBe(true);
    expect(isSealedField({ $pii: 'v2', subject: 's' })).toBe(false);
    expect(isSealedField({ $pii: 1 })).toBe(false);
    expect(isSealedField({ pii: 'v1' })).toBe(false);
    expect(isSealedField({})).toBe(false);
    expect(isSealedField([])).toBe(false);
    expect(isSealedField(null)).toBe(false);
    expect(isSealedField(undefined)).toBe(false);
    expect(isSealedField('v1')).toBe(false);
    expect(isSealedField('{"$pii":"v1"}')).toBe(false);
    expect(isSealedField(1)).toBe(false);
    // Not an object: a function carrying the property is not a sealed field.
    expect(isSealedField(Object.assign(() => undefined, { $pii: 'v1' }))).toBe(false);
  });
});

import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkWitness, signWitness, type LedgerWitness } from '../../src/events/ledger-witness.js';

const hashOf = (n: number) => n.toString(16).padStart(64, '0');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
// The key id is the SHA-256 of the SPKI DER encoding of the public key, computed here without keyFingerprint.
const spkiSha256 = (key: typeof publicKey) => createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
const keyId = spkiSha256(publicKey);
const trusted = new Set([keyId]);
const writtenAt = new Date('2026-03-04T05:06:07.089Z');
const body = { acknowledged: { position: 42, hash: hashOf(42) }, sealed: { toPosition: 40, headHash: hashOf(40) } };

describe('signWitness', () => {
  it('signs the canonical JSON of format, acknowledged, sealed, writtenAt and keyId', () => {
    const witness = signWitness(body, writtenAt, privateKey, publicKey);
    expect(witness).toMatchObject({ format: 'raia.ledger-witness.v1', ...body, writtenAt: '2026-03-04T05:06:07.089Z', algorithm: 'ed25519', keyId });
    expect(witness.publicKey).toBe(publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
    // RFC 8785 by hand: keys sorted by code unit, no white space.
    const payload =
      `{"acknowledged":{"hash":"${hashOf(42)}","position":42},"format":"raia.ledger-witness.v1","keyId":"${keyId}",` +
      `"sealed":{"headHash":"${hashOf(40)}","toPosition":40},"writtenAt":"2026-03-04T05:06:07.089Z"}`;
    expect(verify(null, Buffer.from(payload, 'utf8'), publicKey, Buffer.from(witness.signature, 'base64'))).toBe(true);
  });
});

describe('checkWitness', () => {
  const good = () => signWitness(body, writtenAt, privateKey, publicKey);

  it('accepts a witness signed by a trusted key, with or without a seal', () => {
    expect(checkWitness(good(), trusted)).toEqual({ witness: good() });
    const unsealed = signWitness({ acknowledged: body.acknowledged, sealed: null }, writtenAt, privateKey, publicKey);
    expect(checkWitness(unsealed, trusted)).toEqual({ witness: unsealed });
  });

  it('answers "malformed witness" for anything that is not a witness', () => {
    for (const value of [null, undefined, {}, 'x', { ...good(), format: 'raia.ledger-witness.v2' }, { ...good(), acknowledged: { position: 0, hash: hashOf(0) } }]) {
      expect(checkWitness(value, trusted)).toEqual({ problem: 'malformed witness' });
    }
  });

  it('answers that a public key which is not SPKI DER is unreadable', () => {
    // "AAAA" is valid base64 (three zero bytes) but no DER structure.
    expect(checkWitness({ ...good(), publicKey: 'AAAA' }, trusted)).toEqual({ problem: 'witness public key is unreadable' });
  });

  it('answers that the keyId does not match when it names another key', () => {
    // The other id is trusted too, so only the keyId/public key comparison can refuse it.
    const other = hashOf(7);
    expect(checkWitness({ ...good(), keyId: other }, new Set([keyId, other]))).toEqual({ problem: 'witness keyId does not match its public key' });
  });

  it('refuses a key that is not ed25519 even when the keyId is its fingerprint and trusted and the signature verifies', () => {
    // Ed448 signs with sign(null, ...) too, so without the key type check this witness would pass.
    const ed448 = generateKeyPairSync('ed448');
    const witness = signWitness(body, writtenAt, ed448.privateKey, ed448.publicKey);
    expect(witness.keyId).toBe(spkiSha256(ed448.publicKey));
    expect(checkWitness(witness, new Set([witness.keyId]))).toEqual({ problem: 'witness keyId does not match its public key' });
  });

  it('refuses an untrusted signer and an altered body', () => {
    expect(checkWitness(good(), new Set([hashOf(1)]))).toEqual({ problem: 'witness was signed by an untrusted key' });
    const altered: LedgerWitness = { ...good(), acknowledged: { position: 41, hash: hashOf(41) } };
    expect(checkWitness(altered, trusted)).toEqual({ problem: 'witness signature is invalid' });
    // A signature made by another key, under this key's id and public key.
    const other = generateKeyPairSync('ed25519');
    const forged = { ...good(), signature: sign(null, Buffer.from('x'), other.privateKey).toString('base64') };
    expect(checkWitness(forged, trusted)).toEqual({ problem: 'witness signature is invalid' });
  });
});

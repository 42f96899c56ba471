import { generateKeyPairSync, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { checkSeal, signSeal } from '../../src/events/ledger-seal.js';

describe('ledger seals', () => {
  it('sign the RFC 8785 canonical form of their fields, as the canonicalize reference writes it', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const hashes = ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)];
    const seal = signSeal({ fromPosition: 7, toPosition: 9, hashes }, privateKey, publicKey);
    // An offline verifier rebuilds the signed bytes with any JCS implementation.
    const signed = canonicalize({ keyId: seal.keyId, merkleRoot: seal.merkleRoot, headHash: seal.headHash, toPosition: 9, fromPosition: 7 })!;
    expect(verify(null, Buffer.from(signed, 'utf8'), publicKey, Buffer.from(seal.signature, 'base64'))).toBe(true);
    expect(checkSeal(seal, hashes)).toBeNull();
  });
});

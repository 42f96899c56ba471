import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { canonicalParts, findChainBreak } from '../../src/events/hash-chain.js';

/** The chain's definition, computed without the code under test: SHA-256(prevHash ‖ RFC 8785 JSON of the envelope without hash). */
const referenceHash = (e: Omit<StoredEvent, 'hash'>) => createHash('sha256').update(e.prevHash + canonicalize({ ...e, occurredAt: e.occurredAt.toISOString() })).digest('hex');

function link(position: number, prevHash: string, data: StoredEvent['data']): StoredEvent {
  const body: Omit<StoredEvent, 'hash'> = {
    id: `01a20560-2ab0-77a4-a193-${position.toString().padStart(12, '0')}`,
    type: 'model.registered',
    schemaVersion: 1,
    streamId: 'model-42',
    streamVersion: position - 17,
    position,
    occurredAt: new Date('2026-11-22T22:28:38.197Z'),
    actor: { kind: 'user', id: 'alice', role: 'risk_officer' },
    correlationId: null,
    causationId: null,
    data,
    metadata: {},
    prevHash,
  };
  return { ...body, hash: referenceHash(body) };
}

const before = { position: 16, hash: 'ab'.repeat(32) };
const first = link(17, before.hash, { n: 1 });
const second = link(18, first.hash, { n: 2 });
const third = link(19, second.hash, { n: 3 });

describe('findChainBreak', () => {
  it('finds no break in a chain hashed by the reference definition', () => {
    expect(findChainBreak([first, second, third], before)).toBeNull();
    expect(findChainBreak([], before)).toBeNull();
  });

  it('names the first missing position when a position is skipped', () => {
    expect(findChainBreak([first, third], before)).toEqual({ position: 18, reason: 'position 18 is missing (next stored is 19)' });
    // Missing at the very start: expected 17 after 16.
    expect(findChainBreak([second], before)).toEqual({ position: 17, reason: 'position 17 is missing (next stored is 18)' });
  });

  it('names the event whose prevHash is not the previous hash', () => {
    expect(findChainBreak([first, second], { position: 16, hash: 'cd'.repeat(32) })).toEqual({ position: 17, reason: 'prevHash does not match the previous event' });
    const relinked = { ...second, prevHash: 'ef'.repeat(32) };
    expect(findChainBreak([first, relinked, third], before)).toEqual({ position: 18, reason: 'prevHash does not match the previous event' });
  });

  it('names the event whose content no longer matches its hash', () => {
    const edited = { ...second, data: { n: 20 } };
    expect(findChainBreak([first, edited, third], before)).toEqual({ position: 18, reason: 'hash does not match the event content' });
  });
});

describe('canonicalParts', () => {
  it('writes actor, data and metadata as RFC 8785 text', () => {
    expect(canonicalParts({ actor: { kind: 'system', id: 'raia' }, data: { b: 1, a: [true, null] }, metadata: {} })).toEqual({
      actor: '{"id":"raia","kind":"system"}',
      data: '{"a":[true,null],"b":1}',
      metadata: '{}',
    });
  });

  it('refuses a part that has no JSON text at all', () => {
    expect(() => canonicalParts({ actor: { kind: 'system', id: 'raia' }, data: undefined as unknown as StoredEvent['data'], metadata: {} })).toThrow(new Error('event is not serialisable'));
  });
});

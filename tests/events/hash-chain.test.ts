import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { canonicalEnvelope, eventHash } from '../../src/events/hash-chain.js';

const event: Omit<StoredEvent, 'hash'> = {
  id: '01a20560-2ab0-77a4-a193-909894f40cca',
  type: 'model.registered',
  schemaVersion: 1,
  streamId: 'model-42',
  streamVersion: 3,
  position: 17,
  occurredAt: new Date('2026-11-22T22:28:38.197Z'),
  actor: { kind: 'user', id: 'alice', role: 'risk_officer' },
  correlationId: null,
  causationId: '01a20560-2ab0-77a4-a193-909894f40ccb',
  data: { name: 'crédit "scoring" ✓', tags: ['eu', 'high'], n: 12, nested: { b: true, a: null } },
  metadata: {},
  prevHash: 'ab'.repeat(32),
};

describe('hash chain', () => {
  it('hashes SHA-256(prevHash ‖ canonical JSON) to the value computed independently (Python json + hashlib)', () => {
    // python3: json.dumps(event, sort_keys=True, separators=(',', ':'), ensure_ascii=False), hashlib.sha256
    expect(eventHash(event)).toBe('ca2a6d6ae42a46cec934e81734ccc7f55fff1fb5d7c1ebd7b06dacd0a57257e6');
  });

  it('writes the envelope exactly as RFC 8785 canonicalisation of the whole object would', () => {
    const tricky: Omit<StoredEvent, 'hash'>[] = [
      event,
      { ...event, correlationId: '0193f0c2-0000-7000-8000-000000000000', causationId: null, metadata: { z: [1.5, -0, 1e21, 1e-7], a: 'x\u2028y' } },
      { ...event, streamId: 'ledger', data: { '\u00e9': 1, e: 2, '\ud83d\ude00': 'emoji', 'a"b': '\\' }, actor: { kind: 'system', id: 'raia' } },
    ];
    for (const e of tricky) {
      const whole = canonicalize({ ...e, occurredAt: e.occurredAt.toISOString() });
      expect(canonicalEnvelope(e)).toBe(whole);
    }
  });
});

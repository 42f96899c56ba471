import { v7 } from 'uuid';
import type { Actor, JsonObject, NewEvent, StoredEvent } from '../../src/events/envelope.js';

export const testActor: Actor = { kind: 'user', id: 'user-1', role: 'data_scientist' };

/** A fresh event for tests; `type` defaults to `test.happened`. */
export function newEvent(data: JsonObject = {}, overrides: Partial<NewEvent> = {}): NewEvent {
  return { id: v7(), type: 'test.happened', schemaVersion: 1, data, actor: testActor, ...overrides };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A recognisable 64-hex "hash" for position n (tests of code that passes hashes on without checking them). */
export const fakeHashOf = (n: number) => n.toString(16).padStart(64, '0');

/** A stored event at `position` of one test stream, chained by `fakeHashOf` (not a real hash chain). */
export const fakeStoredEvent = (position: number, data: JsonObject = {}): StoredEvent => ({
  id: `00000000-0000-7000-8000-${position.toString().padStart(12, '0')}`,
  type: 'test.happened',
  schemaVersion: 1,
  streamId: 'test-1',
  streamVersion: position - 1,
  position,
  occurredAt: new Date('2026-01-01T00:00:00.000Z'),
  actor: { kind: 'system', id: 'raia' },
  correlationId: null,
  causationId: null,
  data,
  metadata: {},
  prevHash: fakeHashOf(position - 1),
  hash: fakeHashOf(position),
});

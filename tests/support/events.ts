import { v7 } from 'uuid';
import type { Actor, JsonObject, NewEvent } from '../../src/events/envelope.js';

export const testActor: Actor = { kind: 'user', id: 'user-1', role: 'data_scientist' };

/** A fresh event for tests; `type` defaults to `test.happened`. */
export function newEvent(data: JsonObject = {}, overrides: Partial<NewEvent> = {}): NewEvent {
  return { id: v7(), type: 'test.happened', schemaVersion: 1, data, actor: testActor, ...overrides };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventCatalogue, UnknownEventType, defineEvent } from '../../src/events/event-catalogue.js';
import { InvalidEvent } from '../../src/events/event-store.js';

const v1 = defineEvent({ type: 'dataset.registered', schemaVersion: 1, schema: z.object({ name: z.string() }), description: 'v1' });
const v2 = defineEvent({ type: 'dataset.registered', schemaVersion: 2, schema: z.object({ name: z.string(), rows: z.number() }), description: 'v2' });
const v3 = defineEvent({ type: 'dataset.registered', schemaVersion: 3, schema: z.object({ name: z.string(), rows: z.number(), owner: z.string() }), description: 'v3' });

describe('UnknownEventType', () => {
  it('carries its code and name, and the version only when one is given', () => {
    const plain = new UnknownEventType('model.vanished');
    expect(plain).toBeInstanceOf(Error);
    expect(plain.code).toBe('UNKNOWN_EVENT_TYPE');
    expect(plain.name).toBe('UnknownEventType');
    expect(plain.message).toBe('unknown event type model.vanished');
    expect(new UnknownEventType('model.vanished', 4).message).toBe('unknown event type model.vanished v4');
    // Version 0 is a version: only an absent one is left out.
    expect(new UnknownEventType('model.vanished', 0).message).toBe('unknown event type model.vanished v0');
  });

  it('is what latestVersion throws for a type the catalogue does not know', () => {
    expect(() => new EventCatalogue().latestVersion('model.vanished')).toThrow(new UnknownEventType('model.vanished'));
    expect(() => new EventCatalogue().latestVersion('model.vanished')).toThrow('unknown event type model.vanished');
  });
});

describe('EventCatalogue', () => {
  it('knows a type once any of its versions is registered', () => {
    const c = new EventCatalogue().register(v2);
    expect(c.has('dataset.registered')).toBe(true);
    expect(c.has('dataset.deleted')).toBe(false);
    expect(new EventCatalogue().has('dataset.registered')).toBe(false);
  });

  it('names the version after the last it could reach when an upcaster is missing', () => {
    // v1 → v2 is registered, v2 → v3 is not: the step to v3 is the one missing.
    const c = new EventCatalogue().register(v1, v2, v3).registerUpcaster({ type: 'dataset.registered', fromVersion: 1, upcast: (d) => ({ ...d, rows: 0 }) });
    expect(() => c.upcast({ type: 'dataset.registered', schemaVersion: 1, data: { name: 'x' } })).toThrow('unknown event type dataset.registered v3');
    expect(() => new EventCatalogue().register(v1, v3).upcast({ type: 'dataset.registered', schemaVersion: 1, data: { name: 'x' } })).toThrow('unknown event type dataset.registered v2');
  });

  it('names (root) when data is not an object at all', () => {
    const c = new EventCatalogue().register(v1);
    expect(() => c.validate('dataset.registered', 'just text')).toThrow(InvalidEvent);
    expect(() => c.validate('dataset.registered', 'just text')).toThrow(/^dataset\.registered v1: \(root\): /);
    expect(() => c.validate('dataset.registered', { name: 3 })).toThrow(/^dataset\.registered v1: name: /);
  });

  it('names (root) when the whole data is a sealed field nobody classified', () => {
    // A sealed field is an object with `$pii: 'v1'` (personal-data.ts); here the event's data itself is one.
    const sealedRoot = defineEvent({ type: 'test.sealed', schemaVersion: 1, schema: z.object({ $pii: z.literal('v1'), ct: z.string() }), description: 'x' });
    expect(() => new EventCatalogue().register(sealedRoot)).toThrow(new Error('event test.sealed v1: sealed field (root) is marked neither personal nor credential'));
  });
});

import { describe, expect, it } from 'vitest';
import type { Actor, NewEvent } from '../../src/events/envelope.js';
import { InvalidEvent } from '../../src/events/event-store.js';
import { validateNewEvents, validateStreamId } from '../../src/events/new-event-validation.js';

const ID_A = '0193f0c2-0000-7000-8000-00000000000a';
const ID_B = '0193f0c2-0000-7000-8000-00000000000b';
const event = (overrides: Partial<NewEvent> = {}): NewEvent => ({ id: ID_A, type: 'model.registered', schemaVersion: 1, data: { n: 1 }, actor: { kind: 'system', id: 'raia' }, ...overrides });

/** The InvalidEvent message validation throws for these events (fails the test when it accepts them). */
function refusal(events: NewEvent[]): string {
  try {
    validateNewEvents(events);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEvent);
    return (error as Error).message;
  }
  throw new Error('validation accepted the events');
}

describe('validateStreamId', () => {
  it('accepts a category-id stream and names at most the first 40 characters of a refused one', () => {
    expect(() => validateStreamId('model-42')).not.toThrow();
    const bad = `-${'x'.repeat(59)}`;
    // 1 dash + 39 x's: the first 40 characters of the 60-character id.
    expect(() => validateStreamId(bad)).toThrow(new InvalidEvent(`invalid stream id "-${'x'.repeat(39)}"`));
  });
});

describe('validateNewEvents refusals name the field and the rule', () => {
  it('refuses an empty append', () => {
    expect(refusal([])).toBe('an append needs at least one event');
  });

  it('refuses ids that are not UUIDs, and an id repeated in any letter case', () => {
    expect(refusal([event({ id: 'not-a-uuid' })])).toBe('events[0].id must be a UUID');
    expect(refusal([event({ id: ID_B }), event({ id: ID_A.toUpperCase() }), event({ id: ID_A })])).toBe('events[2].id is repeated in the append');
  });

  it('refuses a type not shaped like aggregate.past-tense-verb, quoting it', () => {
    expect(refusal([event({ type: 'Registered' })])).toBe('events[0].type "Registered" must look like "aggregate.past-tense-verb"');
  });

  it('refuses schema versions that are not positive integers', () => {
    for (const schemaVersion of [0, -1, 1.5, Number.NaN]) expect(refusal([event({ schemaVersion })])).toBe('events[0].schemaVersion must be a positive integer');
  });

  it('refuses causation and correlation ids that are not UUIDs', () => {
    expect(refusal([event({ causationId: 'cause' })])).toBe('events[0].causationId must be a UUID');
    expect(refusal([event({ correlationId: 'corr' })])).toBe('events[0].correlationId must be a UUID');
    expect(() => validateNewEvents([event({ causationId: ID_B, correlationId: ID_B })])).not.toThrow();
  });
});

describe('validateNewEvents actor checks', () => {
  const withActor = (actor: unknown) => [event({ id: ID_B, actor: actor as Actor })];

  it('refuses an unknown kind and an empty or control-character id', () => {
    expect(refusal(withActor({ kind: 'robot', id: 'r2' }))).toBe('events[0].actor.kind must be user, service or system');
    expect(refusal(withActor({ kind: 'service', id: '' }))).toBe('events[0].actor.id must be 1 to 200 printable characters');
  });

  it('refuses a role that is not printable text', () => {
    expect(refusal(withActor({ kind: 'user', id: 'alice', role: 'a\nb' }))).toBe('events[0].actor.role must be 1 to 200 printable characters');
  });

  it('refuses a missing actor, and an id or role that is a number (its text "12" would pass the pattern)', () => {
    expect(refusal(withActor(null))).toBe('events[0].actor.kind must be user, service or system');
    expect(refusal(withActor({ kind: 'service', id: 12 }))).toBe('events[0].actor.id must be 1 to 200 printable characters');
    expect(refusal(withActor({ kind: 'user', id: 'alice', role: 12 }))).toBe('events[0].actor.role must be 1 to 200 printable characters');
  });

  it('refuses an actor whose other fields PostgreSQL cannot store, naming the actor', () => {
    expect(refusal(withActor({ kind: 'user', id: 'alice', note: 'a\u0000b' }))).toBe('events[0].actor contains a NUL character or an unpaired surrogate');
  });

  it('accepts a printable apiKeyId and refuses one that is not a string or holds a control character', () => {
    const [validated] = validateNewEvents(withActor({ kind: 'user', id: 'alice', role: 'auditor', apiKeyId: 'key-7' }));
    expect(validated?.actor).toEqual({ kind: 'user', id: 'alice', role: 'auditor', apiKeyId: 'key-7' });
    // A number would pass the text pattern once converted ("12"): the type check is what refuses it.
    expect(refusal(withActor({ kind: 'user', id: 'alice', role: 'auditor', apiKeyId: 12 }))).toBe('events[0].actor.apiKeyId must be 1 to 200 printable characters');
    expect(refusal(withActor({ kind: 'user', id: 'alice', role: 'auditor', apiKeyId: 'key\u00017' }))).toBe('events[0].actor.apiKeyId must be 1 to 200 printable characters');
    expect(refusal(withActor({ kind: 'user', id: 'alice', role: 'auditor', apiKeyId: '' }))).toBe('events[0].actor.apiKeyId must be 1 to 200 printable characters');
  });
});

describe('validateNewEvents JSON checks', () => {
  it('refuses data that is an array, and metadata that is a string', () => {
    expect(refusal([event({ data: [1, 2] as unknown as NewEvent['data'] })])).toBe('events[0].data must be a JSON object');
    expect(refusal([event({ metadata: 'text' as unknown as NewEvent['data'] })])).toBe('events[0].metadata must be a JSON object');
  });

  it('refuses an object whose JSON is not an object (toJSON answering a string)', () => {
    // JSON.stringify({ toJSON: () => 'text' }) is '"text"': not an object once stored.
    expect(refusal([event({ data: { toJSON: () => 'text' } as unknown as NewEvent['data'] })])).toBe('events[0].data must be a JSON object');
  });

  it('refuses data JSON cannot serialise, with the reason', () => {
    expect(refusal([event({ data: { big: 10n } as unknown as NewEvent['data'] })])).toBe('events[0].data is not serialisable as JSON: BigInt values cannot be serialised as JSON');
    const throwing = { toJSON: () => { throw 'plain reason'; } };
    expect(refusal([event({ data: { x: throwing } as unknown as NewEvent['data'] })])).toBe('events[0].data is not serialisable as JSON: plain reason');
  });

  it('refuses NUL characters and lone surrogates, which jsonb cannot hold', () => {
    expect(refusal([event({ data: { s: 'a\u0000b' } })])).toBe('events[0].data contains a NUL character or an unpaired surrogate');
    expect(refusal([event({ metadata: { s: 'a\ud800b' } })])).toBe('events[0].metadata contains a NUL character or an unpaired surrogate');
    // A paired surrogate (an emoji) is valid Unicode and is written as is.
    expect(validateNewEvents([event({ data: { s: '\ud83d\ude00' } })])[0]?.canonical.data).toBe('{"s":"\ud83d\ude00"}');
  });
});

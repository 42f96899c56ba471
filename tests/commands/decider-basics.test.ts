import { describe, expect, it } from 'vitest';
import { CommandRefused, assertNever } from '../../src/commands/decider.js';
import { PreconditionFailed, preconditionHolds } from '../../src/commands/stream-precondition.js';

describe('CommandRefused', () => {
  it('carries its code, every reason (joined in the message), the status (409 by default) and the field', () => {
    const refused = new CommandRefused('SOME_CODE', ['first reason', 'second reason']);
    expect(refused).toBeInstanceOf(Error);
    expect([refused.name, refused.code, refused.message, refused.reasons, refused.status, refused.field]).toEqual(['CommandRefused', 'SOME_CODE', 'first reason; second reason', ['first reason', 'second reason'], 409, undefined]);
    const withField = new CommandRefused('BAD', ['only one'], 422, 'password');
    expect([withField.message, withField.status, withField.field]).toEqual(['only one', 422, 'password']);
  });

  it('assertNever throws naming the unhandled value', () => {
    expect(() => assertNever({ type: 'Unknown' } as never)).toThrow(new Error('unhandled case: {"type":"Unknown"}'));
  });
});

describe('stream preconditions', () => {
  it('a stream that does not exist meets no precondition', () => {
    expect(preconditionHolds({ kind: 'exists' }, null)).toBe(false);
    expect(preconditionHolds({ kind: 'at', versions: [0] }, null)).toBe(false);
  });

  it('exists: any version; at: one of the versions named', () => {
    expect(preconditionHolds({ kind: 'exists' }, 0)).toBe(true);
    expect(preconditionHolds({ kind: 'exists' }, 7)).toBe(true);
    expect(preconditionHolds({ kind: 'at', versions: [3, 5] }, 5)).toBe(true);
    expect(preconditionHolds({ kind: 'at', versions: [3, 5] }, 4)).toBe(false);
    expect(preconditionHolds({ kind: 'at', versions: [] }, 0)).toBe(false);
  });

  it('a failed precondition names the stream and its version, or says it does not exist', () => {
    const missing = new PreconditionFailed('model-m1', null);
    expect(missing).toBeInstanceOf(Error);
    expect([missing.name, missing.code, missing.message, missing.streamId, missing.current]).toEqual(['PreconditionFailed', 'PRECONDITION_FAILED', 'stream model-m1 does not exist', 'model-m1', null]);
    const moved = new PreconditionFailed('model-m1', 4);
    expect([moved.message, moved.current]).toEqual(['stream model-m1 is at version 4, not a version the request names', 4]);
    expect(new PreconditionFailed('model-m1', 0).message).toBe('stream model-m1 is at version 0, not a version the request names');
  });
});

import { describe, expect, it } from 'vitest';
import { pollAll } from '../../src/events/all-subscription.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { fakeStoredEvent } from '../support/events.js';

const stored = (position: number) => fakeStoredEvent(position);

/**
 * A ledger behind `readAfter` holding events 1..count, and a `waitForAppend` that answers at once
 * while `count` is below `until` (growing the ledger by one) and otherwise waits for the abort.
 * Both record their calls in one log, so the order of reads and waits shows.
 */
function scriptedLedger(count: number, until = count) {
  const log: string[] = [];
  let head = count;
  const readAfter = (after: number, limit: number) => {
    log.push(`read ${after} ${limit}`);
    const page: StoredEvent[] = [];
    for (let p = after + 1; p <= Math.min(head, after + limit); p++) page.push(stored(p));
    return Promise.resolve(page);
  };
  const waitForAppend = (signal: AbortSignal, timeoutMs: number, after: number) => {
    log.push(`wait ${after} ${timeoutMs}`);
    if (head < until) {
      head++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  };
  return { readAfter, waitForAppend, log };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('pollAll', () => {
  it('reads full batches back to back, and waits for an append only after a short batch', async () => {
    const { readAfter, waitForAppend, log } = scriptedLedger(5, 6);
    const delivered: number[][] = [];
    const subscription = pollAll(readAfter, waitForAppend, { after: 1, batchSize: 2, pollIntervalMs: 40, onEvents: async (events) => void delivered.push(events.map((e) => e.position)) });
    await settle();
    await subscription.stop();
    // (1,5] in pages of 2: 2,3 and 4,5 are full (no wait), then an empty page waits; the append of 6 comes, 6 alone is short, so wait again.
    expect(delivered).toEqual([[2, 3], [4, 5], [6]]);
    expect(log).toEqual(['read 1 2', 'read 3 2', 'read 5 2', 'wait 5 40', 'read 5 2', 'wait 6 40']);
  });

  it('waits up to 1000 ms between polls unless told otherwise', async () => {
    const { readAfter, waitForAppend, log } = scriptedLedger(0);
    const subscription = pollAll(readAfter, waitForAppend, { after: 0, onEvents: () => Promise.resolve() });
    await settle();
    await subscription.stop();
    // Default batch size 500.
    expect(log).toEqual(['read 0 500', 'wait 0 1000']);
  });

  it('does not deliver a page whose read finished after stop()', async () => {
    const delivered: StoredEvent[][] = [];
    let finishRead: (events: StoredEvent[]) => void = () => undefined;
    const readAfter = () => new Promise<StoredEvent[]>((resolve) => (finishRead = resolve));
    const subscription = pollAll(readAfter, () => Promise.resolve(), { after: 0, onEvents: async (events) => void delivered.push(events) });
    await settle();
    const stopped = subscription.stop();
    finishRead([stored(1)]);
    await stopped;
    expect(delivered).toEqual([]);
  });

  it("hands a handler's error to onError, and the subscription ends quietly", async () => {
    const { readAfter, waitForAppend } = scriptedLedger(3);
    const failure = new Error('projection failed');
    const errors: unknown[] = [];
    const subscription = pollAll(readAfter, waitForAppend, { after: 0, onEvents: () => Promise.reject(failure), onError: (error) => errors.push(error) });
    await expect(subscription.done).resolves.toBeUndefined();
    expect(errors).toEqual([failure]);
  });

  it("without onError, done rejects with the handler's own error", async () => {
    const { readAfter, waitForAppend } = scriptedLedger(3);
    const failure = new Error('projection failed');
    const subscription = pollAll(readAfter, waitForAppend, { after: 0, onEvents: () => Promise.reject(failure) });
    await expect(subscription.done).rejects.toBe(failure);
    // stop() after the end still resolves.
    await expect(subscription.stop()).resolves.toBeUndefined();
  });
});

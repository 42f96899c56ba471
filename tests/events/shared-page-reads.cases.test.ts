import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { sharedPageReads } from '../../src/events/shared-page-reads.js';
import { fakeStoredEvent } from '../support/events.js';

const stored = (position: number) => fakeStoredEvent(position, { n: position });

type Pending = { after: number; limit: number; resolve(events: StoredEvent[]): void; reject(error: Error): void };

/** The page read the followers share, answered by hand: each call waits until the test settles it. */
function scriptedRead() {
  const calls: Pending[] = [];
  const read = (after: number, limit: number) =>
    new Promise<StoredEvent[]>((resolve, reject) => {
      calls.push({ after, limit, resolve, reject });
    });
  return { read, calls };
}

const positions = (events: StoredEvent[]) => events.map((e) => e.position);

afterEach(() => {
  vi.useRealTimers();
});

describe('sharedPageReads', () => {
  it('reads at least minLimit events, and a smaller request joins that read', async () => {
    const { read, calls } = scriptedRead();
    const shared = sharedPageReads(read, { minLimit: 10, knownHead: () => 0, maxAgeMs: 60_000 });
    const small = shared(0, 3);
    const larger = shared(0, 8);
    expect(calls.map((c) => [c.after, c.limit])).toEqual([[0, 10]]);
    calls[0]!.resolve([1, 2, 3, 4, 5].map(stored));
    expect(positions(await small)).toEqual([1, 2, 3]);
    expect(positions(await larger)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads the requested limit when it is above minLimit', async () => {
    const { read, calls } = scriptedRead();
    const shared = sharedPageReads(read, { minLimit: 10, knownHead: () => 0, maxAgeMs: 60_000 });
    const page = shared(4, 25);
    expect(calls.map((c) => [c.after, c.limit])).toEqual([[4, 25]]);
    calls[0]!.resolve([stored(5)]);
    expect(positions(await page)).toEqual([5]);
  });

  it('does not reuse a failed read: the next caller reads again', async () => {
    const { read, calls } = scriptedRead();
    const shared = sharedPageReads(read, { minLimit: 1, knownHead: () => 0, maxAgeMs: 60_000 });
    const failing = shared(0, 5);
    calls[0]!.reject(new Error('connection reset'));
    await expect(failing).rejects.toThrow('connection reset');
    const retried = shared(0, 5);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve([stored(1)]);
    expect(positions(await retried)).toEqual([1]);
  });

  it("a failed read that was already replaced by a larger one does not drop the larger one's page", async () => {
    const { read, calls } = scriptedRead();
    const shared = sharedPageReads(read, { minLimit: 1, knownHead: () => 0, maxAgeMs: 60_000 });
    const small = shared(0, 2);
    const large = shared(0, 20); // larger than the read in flight: a read of its own, which takes the slot
    expect(calls.map((c) => c.limit)).toEqual([2, 20]);
    calls[0]!.reject(new Error('timeout'));
    await expect(small).rejects.toThrow('timeout');
    calls[1]!.resolve([stored(1), stored(2), stored(3)]);
    expect(positions(await large)).toEqual([1, 2, 3]);
    // The larger read still serves followers: no third read.
    const joined = shared(0, 20);
    expect(calls).toHaveLength(2);
    expect(positions(await joined)).toEqual([1, 2, 3]);
  });

  it('reuses a page read exactly maxAgeMs ago and reads again once it is older', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { read, calls } = scriptedRead();
    const shared = sharedPageReads(read, { minLimit: 1, knownHead: () => 0, maxAgeMs: 100 });
    const first = shared(0, 5);
    calls[0]!.resolve([stored(1)]);
    await first;
    // "At most maxAgeMs ago" (the module's contract): an age of exactly 100 ms is still shared.
    vi.advanceTimersByTime(100);
    const reused = shared(0, 5);
    expect(calls).toHaveLength(1);
    expect(positions(await reused)).toEqual([1]);
    vi.advanceTimersByTime(1);
    const again = shared(0, 5);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve([stored(1), stored(2)]);
    expect(positions(await again)).toEqual([1, 2]);
  });
});

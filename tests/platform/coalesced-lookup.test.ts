import { describe, expect, it } from 'vitest';
import { CoalescedLookup } from '../../src/platform/coalesced-lookup.js';

/** A promise with its resolve and reject in hand, to hold a load open. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('CoalescedLookup', () => {
  it('answers the calls of one turn with one load of their distinct keys; a key the load leaves out is undefined', async () => {
    const loads: string[][] = [];
    const lookup = new CoalescedLookup<string, number>(async (keys) => {
      loads.push(keys);
      return new Map(keys.filter((k) => k !== 'none').map((k) => [k, k.length]));
    });
    expect(await Promise.all([lookup.get('a'), lookup.get('bbb'), lookup.get('a'), lookup.get('none')])).toEqual([1, 3, 1, undefined]);
    expect(loads).toEqual([['a', 'bbb', 'none']]);
  });

  it('never answers a call from a load that began before it: calls during a load wait for the next one, which carries them all', async () => {
    // The "database": a value that a write changes; each load reads it when it begins.
    let value = 0;
    const pending: { keys: string[]; seen: number; done: ReturnType<typeof deferred<Map<string, number>>> }[] = [];
    const lookup = new CoalescedLookup<string, number>((keys) => {
      const done = deferred<Map<string, number>>();
      pending.push({ keys, seen: value, done });
      return done.promise;
    });
    const first = lookup.get('x');
    await Promise.resolve();
    expect(pending.map((p) => p.keys)).toEqual([['x']]);
    // A write acknowledged while the first load is in flight, then two reads: they must see it.
    value = 1;
    const second = lookup.get('x');
    const third = lookup.get('y');
    await Promise.resolve();
    expect(pending).toHaveLength(1);
    pending[0]!.done.resolve(new Map([['x', pending[0]!.seen]]));
    expect(await first).toBe(0);
    // The next load began only after the first settled, with both keys asked meanwhile.
    expect(pending.map((p) => p.keys)).toEqual([['x'], ['x', 'y']]);
    pending[1]!.done.resolve(new Map([['x', pending[1]!.seen], ['y', pending[1]!.seen]]));
    expect(await Promise.all([second, third])).toEqual([1, 1]);
  });

  it('rejects every call of a failed load (thrown or rejected), and the calls after it still get a load', async () => {
    let mode: 'reject' | 'throw' | 'ok' = 'reject';
    const lookup = new CoalescedLookup<string, string>((keys) => {
      if (mode === 'throw') throw new Error('thrown');
      if (mode === 'reject') return Promise.reject(new Error('rejected'));
      return Promise.resolve(new Map(keys.map((k) => [k, k.toUpperCase()])));
    });
    const failed = await Promise.allSettled([lookup.get('a'), lookup.get('b')]);
    expect(failed.map((f) => f.status === 'rejected' && (f.reason as Error).message)).toEqual(['rejected', 'rejected']);
    mode = 'throw';
    await expect(lookup.get('c')).rejects.toThrow('thrown');
    mode = 'ok';
    expect(await Promise.all([lookup.get('a'), lookup.get('c')])).toEqual(['A', 'C']);
  });

  it('calls made while a load fails wait for the next load, not the failure', async () => {
    const first = deferred<Map<string, number>>();
    let calls = 0;
    const lookup = new CoalescedLookup<string, number>(() => (++calls === 1 ? first.promise : Promise.resolve(new Map([['k', 7]]))));
    const failing = lookup.get('k');
    await Promise.resolve();
    const later = lookup.get('k');
    first.reject(new Error('down'));
    await expect(failing).rejects.toThrow('down');
    expect(await later).toBe(7);
    expect(calls).toBe(2);
  });
});

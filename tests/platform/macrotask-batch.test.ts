import { describe, expect, it } from 'vitest';
import { macrotaskBatch } from '../../src/platform/macrotask-batch.js';

describe('macrotask batch', () => {
  it('runs the requests of one macrotask together, in order, each answered with its own outcome', async () => {
    const runs: number[][] = [];
    const double = macrotaskBatch(async (xs: number[]) => {
      runs.push(xs);
      return xs.map((x) => x * 2);
    });
    const first = await Promise.all([double(1), double(2), double(3)]);
    const later = await double(4);
    expect(first).toEqual([2, 4, 6]);
    expect(later).toBe(8);
    expect(runs).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects every request of a batch whose run throws, and later batches run afresh', async () => {
    let fail = true;
    const run = macrotaskBatch(async (xs: string[]) => {
      if (fail) throw new Error('statement failed');
      return xs;
    });
    const outcomes = await Promise.allSettled([run('a'), run('b')]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await run('c')).toBe('c');
  });
});

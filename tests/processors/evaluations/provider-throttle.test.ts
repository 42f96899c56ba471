import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { judgeCacheKey } from '../../../src/processors/evaluations/judge-cache.js';
import { ProviderThrottle } from '../../../src/processors/evaluations/provider-throttle.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('provider throttle', () => {
  it('never has more than `concurrency` calls in flight', async () => {
    const throttle = new ProviderThrottle(3, null);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        throttle.run(async () => {
          peak = Math.max(peak, ++active);
          await pause(5);
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it('starts at most `requestsPerMinute` calls in a sliding minute', async () => {
    vi.useFakeTimers();
    try {
      const throttle = new ProviderThrottle(10, 2);
      const started: number[] = [];
      const calls = Array.from({ length: 3 }, (_, i) => throttle.run(async () => void started.push(i)));
      await vi.advanceTimersByTimeAsync(0);
      // Two start at once; the third waits until the first leaves the window, 60 s later.
      expect(started).toEqual([0, 1]);
      await vi.advanceTimersByTimeAsync(59_999);
      expect(started).toEqual([0, 1]);
      await vi.advanceTimersByTimeAsync(1);
      expect(started).toEqual([0, 1, 2]);
      await Promise.all(calls);
      throttle.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('judge cache key', () => {
  const base = { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', model: 'judge', parameters: { temperature: 0 }, messages: [{ role: 'user' as const, content: 'Is it so?' }] };
  it('is SHA-256 of the canonical JSON of provider, base URL, model, parameters and the prompt hash', () => {
    const promptSha = createHash('sha256').update('[{"content":"Is it so?","role":"user"}]').digest('hex');
    const expected = createHash('sha256').update(`{"baseUrl":"http://127.0.0.1:1/v1","model":"judge","parameters":{"temperature":0},"prompt":"${promptSha}","provider":"openai-compatible"}`).digest('hex');
    expect(judgeCacheKey(base)).toBe(expected);
  });
  it('changes with the model, the parameters or the prompt, not with the time limit', () => {
    const key = judgeCacheKey(base);
    expect(judgeCacheKey({ ...base, model: 'other' })).not.toBe(key);
    expect(judgeCacheKey({ ...base, parameters: { temperature: 1 } })).not.toBe(key);
    expect(judgeCacheKey({ ...base, messages: [{ role: 'user', content: 'Is it not?' }] })).not.toBe(key);
    expect(judgeCacheKey({ ...base, parameters: { temperature: 0, timeoutMs: 900 } })).toBe(key);
  });
});

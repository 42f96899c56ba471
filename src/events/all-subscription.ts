import type { StoredEvent } from './envelope.js';
import type { SubscribeOptions, Subscription } from './event-store.js';

/**
 * Catch-up-then-live subscription over a gap-free `$all`: reads pages after the checkpoint and,
 * once caught up, sleeps until `waitForAppend` signals (or a poll interval passes, so a lost
 * notification only costs latency). Positions are dense and commit in order, so reading
 * `position > checkpoint` can neither skip nor repeat an event.
 */
export function pollAll(
  readAfter: (after: number, limit: number) => Promise<StoredEvent[]>,
  /** Resolves once an event after `after` may have been appended (at once if one already was), on abort, or after `timeoutMs`. */
  waitForAppend: (signal: AbortSignal, timeoutMs: number, after: number) => Promise<void>,
  options: SubscribeOptions & { pollIntervalMs?: number },
): Subscription {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const abort = new AbortController();
  let checkpoint = options.after;

  const run = async () => {
    while (!abort.signal.aborted) {
      const events = await readAfter(checkpoint, batchSize);
      if (abort.signal.aborted) return;
      if (events.length > 0) {
        await options.onEvents(events);
        checkpoint = events[events.length - 1]!.position;
      }
      if (events.length < batchSize) await waitForAppend(abort.signal, pollIntervalMs, checkpoint);
    }
  };
  const done = run().catch((error: unknown) => {
    if (options.onError) options.onError(error);
    else throw error;
  });
  return {
    done,
    async stop() {
      abort.abort();
      await done.catch(() => undefined);
    },
  };
}

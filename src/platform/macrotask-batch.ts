/**
 * Requests made within one macrotask, run together on the next turn of the event loop: the work
 * one ledger append wakes (every follower saving or moving a checkpoint) becomes one statement and
 * one commit instead of one each. `run` answers each request in order; if it throws, every request
 * of the batch is rejected with that error.
 */
export function macrotaskBatch<I, O>(run: (requests: I[]) => Promise<O[]>): (request: I) => Promise<O> {
  let pending: { request: I; resolve(outcome: O): void; reject(error: unknown): void }[] = [];

  const flush = async () => {
    const taken = pending;
    pending = [];
    try {
      const outcomes = await run(taken.map((t) => t.request));
      taken.forEach((t, i) => t.resolve(outcomes[i]!));
    } catch (error) {
      for (const t of taken) t.reject(error);
    }
  };

  return (request) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ request, resolve, reject });
      if (pending.length === 1) setImmediate(() => void flush());
    });
}

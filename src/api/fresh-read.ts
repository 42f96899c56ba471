import type { Runtime } from '../runtime.js';

/** Waits (bounded) until the read models have every event the ledger holds now. */
export async function readModelCaughtUp(runtime: Runtime, ...projections: [string, ...string[]]): Promise<boolean> {
  return runtime.projections.waitFor((await runtime.store.head()).position, runtime.config.RAIA_MIN_POSITION_WAIT_MS, projections);
}

/**
 * Reads from a read model, and when the row is missing but the ledger has the stream (a write a
 * moment ago), waits (bounded) for the read model to catch up before reading again. Clients can
 * also send `X-Min-Position`; this spares them doing so right after their own writes.
 */
export async function readFresh<T>(runtime: Runtime, streamId: string, projection: string, read: () => Promise<T | null>): Promise<T | null> {
  const found = await read();
  if (found) return found;
  const [first] = await runtime.store.readStream(streamId, { limit: 1 });
  if (!first) return null;
  return (await readModelCaughtUp(runtime, projection)) ? read() : null;
}

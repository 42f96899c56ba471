import type { Runtime } from '../runtime.js';

export type VersionedRead<T> = { value: T | null; streamVersion: number | null };

const ATTEMPTS = 3;

/**
 * Reads an aggregate from a read model together with the ledger stream version its body shows.
 * Read models do not keep stream versions (a projection only sees the event types it handles),
 * so the version is taken from the stream's last event, the read model is waited for up to that
 * event, and the body is read; if the stream did not move meanwhile, the body shows exactly that
 * version (any newer row would need a newer event). Under a steady stream of writes the version
 * returned may be older than the body, never newer: a conditional write with it fails (412)
 * rather than overwriting what the caller has not seen. No version when the read model lags.
 */
export async function readVersioned<T>(runtime: Runtime, streamId: string, projection: string, read: () => Promise<T | null>): Promise<VersionedRead<T>> {
  const last = async () => (await runtime.store.readStream(streamId, { direction: 'backwards', limit: 1 }))[0];
  let before = await last();
  for (let attempt = 1; ; attempt++) {
    if (!before) return { value: await read(), streamVersion: null };
    if (!(await runtime.projections.waitFor(before.position, runtime.config.RAIA_MIN_POSITION_WAIT_MS, [projection]))) return { value: await read(), streamVersion: null };
    const value = await read();
    const after = await last();
    if (after!.streamVersion === before.streamVersion || attempt >= ATTEMPTS) return { value, streamVersion: before.streamVersion };
    before = after;
  }
}

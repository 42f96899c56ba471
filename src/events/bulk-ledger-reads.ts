import type { EventStore, PositionHash, ReadAllOptions, StoredEventText } from './event-store.js';

const toText = (e: Awaited<ReturnType<EventStore['readAll']>>[number]): StoredEventText => {
  const { occurredAt, data, metadata, ...rest } = e;
  return { ...rest, occurredAt: occurredAt.toISOString(), dataJson: JSON.stringify(data), metadataJson: JSON.stringify(metadata) };
};

/** A page of `$all` (forwards) as text: the adapter's own bulk read where it has one, else `readAll`'s events rendered. */
export async function readAllText(store: EventStore, options: ReadAllOptions): Promise<StoredEventText[]> {
  if (store.readAllText) return store.readAllText(options);
  return (await store.readAll(options)).map(toText);
}

/** Positions and hashes of the events in (after, to], in order, a page at a time. */
export async function readAllHashes(store: EventStore, options: { after: number; to: number; limit?: number }): Promise<PositionHash[]> {
  if (store.readAllHashes) return store.readAllHashes(options);
  return (await store.readAll(options)).map((e) => ({ position: e.position, hash: e.hash }));
}

/** Every position and hash in (after, to], page by page, to `each`. */
export async function eachHash(store: EventStore, after: number, to: number, each: (e: PositionHash) => void, pageSize = 10_000): Promise<void> {
  while (after < to) {
    const page = await readAllHashes(store, { after, to, limit: pageSize });
    if (page.length === 0) return;
    for (const e of page) each(e);
    after = page[page.length - 1]!.position;
  }
}

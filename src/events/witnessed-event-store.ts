import type { EventStore } from './event-store.js';
import type { LedgerWitnessFile } from './ledger-witness-file.js';
import type { WitnessFloor } from './ledger-witness.js';

/**
 * The store with its acknowledgements witnessed: each append's last position and hash go to the
 * witness as the append answers (in memory; the file follows), and `verify` holds the ledger against
 * the witness and, when there is one, the newest seal an outside archive holds. Both are read before
 * `verify` reads the head, so an append acknowledged in between is already in the head and cannot
 * look like a missing tail.
 */
export function witnessAppends(store: EventStore, witness: LedgerWitnessFile, sealArchive: () => Promise<WitnessFloor | null> = async () => null): EventStore {
  return {
    name: store.name,
    async append(streamId, events, options) {
      const result = await store.append(streamId, events, options);
      const last = result.events[result.events.length - 1];
      if (last) witness.acknowledge(last.position, last.hash);
      return result;
    },
    readStream: (streamId, options) => store.readStream(streamId, options),
    streamHead: (streamId) => store.streamHead(streamId),
    readAll: (options) => store.readAll(options),
    countAll: (options) => store.countAll(options),
    ...(store.readAllText ? { readAllText: store.readAllText.bind(store) } : {}),
    ...(store.readAllHashes ? { readAllHashes: store.readAllHashes.bind(store) } : {}),
    ...(store.readEventsAt ? { readEventsAt: store.readEventsAt.bind(store) } : {}),
    ...(store.readAllCsv ? { readAllCsv: store.readAllCsv.bind(store) } : {}),
    ...(store.copyAllCsv ? { copyAllCsv: store.copyAllCsv.bind(store) } : {}),
    head: () => store.head(),
    ...(store.onCommitted ? { onCommitted: store.onCommitted.bind(store) } : {}),
    ...(store.readFollowing ? { readFollowing: store.readFollowing.bind(store) } : {}),
    subscribeToAll: (options) => store.subscribeToAll(options),
    async verify(options = {}) {
      const [floor, archived] = await Promise.all([witness.floor(), sealArchive()]);
      return store.verify({ ...options, witness: floor, sealArchive: archived });
    },
    close: () => store.close(),
  };
}

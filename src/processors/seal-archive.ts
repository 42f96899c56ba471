import type { EventStore } from '../events/event-store.js';
import { LEDGER_STREAM } from '../events/ledger-seal.js';
import type { Logger } from '../platform/logger.js';
import type { NatsArchive } from '../platform/nats-archive-stream.js';
import { relayedMessage } from './event-relay.js';

const STREAM_VERSION = 'Raia-Stream-Version';
const PAGE = 500;

export type SealArchive = {
  /** Publishes every seal of the ledger the archive does not hold yet, oldest first; answers how many. */
  catchUp(): Promise<number>;
};

/**
 * Copies the ledger's seals to an archive outside the database (a NATS stream that refuses deletes),
 * so that an observer holds them even if the ledger's rows are deleted. The archive's newest message
 * says how far it got (its `Raia-Stream-Version` in the `ledger` stream), so a seal missed while NATS
 * was down goes out with the next catch-up: at start and after each seal. Catch-ups run one at a time.
 */
export function sealArchive(options: { store: EventStore; archive: NatsArchive; logger?: Logger }): SealArchive {
  const { store, archive } = options;
  let running: Promise<number> = Promise.resolve(0);

  const run = async (): Promise<number> => {
    const last = await archive.lastHeaders();
    let fromVersion = last?.[STREAM_VERSION] === undefined ? 0 : Number(last[STREAM_VERSION]) + 1;
    let published = 0;
    for (;;) {
      const seals = await store.readStream(LEDGER_STREAM, { fromVersion, limit: PAGE });
      for (const seal of seals) {
        // The relay's message for the seal (same payload and headers), on the archive's own subject.
        const { id, payload, headers } = relayedMessage(seal, '');
        await archive.publish({ id, payload, headers: { ...headers, [STREAM_VERSION]: String(seal.streamVersion) } });
        published++;
      }
      if (seals.length < PAGE) break;
      fromVersion = seals[seals.length - 1]!.streamVersion + 1;
    }
    if (published > 0) options.logger?.info({ published }, 'ledger seals archived');
    return published;
  };

  return {
    catchUp() {
      const next = running.catch(() => 0).then(run);
      running = next;
      return next;
    },
  };
}

import type { EventStore } from '../events/event-store.js';
import { z } from 'zod';
import { LEDGER_STREAM, checkSealSignature, ledgerSealedSchema } from '../events/ledger-seal.js';
import type { WitnessFloor } from '../events/ledger-witness.js';
import type { Logger } from '../platform/logger.js';
import type { NatsArchive } from '../platform/nats-archive-stream.js';
import { relayedMessage } from './event-relay.js';

const STREAM_VERSION = 'Raia-Stream-Version';
const PAGE = 500;

export type SealArchive = {
  /** Publishes every seal of the ledger the archive does not hold yet, oldest first; answers how many. */
  catchUp(): Promise<number>;
  /**
   * The newest archived seal as a bound on the ledger (its own position and hash, and the end of the
   * segment it seals), for `verify`; null while nothing is archived. A seal that fails its signature
   * or comes from an untrusted key is reported as the bound's problem rather than trusted.
   */
  bound(trustedKeyIds: Set<string>): Promise<WitnessFloor | null>;
};

/** The archived message: the relay's JSON of the stored `ledger.sealed` event. */
const archivedSealSchema = z.object({
  position: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  occurredAt: z.string(),
  data: ledgerSealedSchema,
});

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
    const last = (await archive.last())?.headers;
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
    async bound(trustedKeyIds) {
      const last = await archive.last();
      if (!last) return null;
      const parsed = archivedSealSchema.safeParse(last.data);
      if (!parsed.success) return { acknowledged: { position: 0, hash: '' }, sealed: null, writtenAt: null, problem: 'the newest seal in the NATS seal archive is malformed' };
      const { position, hash, occurredAt, data: seal } = parsed.data;
      const problem = checkSealSignature(seal, trustedKeyIds);
      return {
        acknowledged: { position, hash },
        sealed: { toPosition: seal.toPosition, headHash: seal.headHash },
        writtenAt: occurredAt,
        problem: problem && `the newest seal in the NATS seal archive failed its check (${problem})`,
      };
    },
  };
}

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
 * so that an observer holds them even if the ledger's rows are deleted. Each seal is archived under
 * the id of the key that signed it, so ledgers sharing a NATS server stay apart; `keyIds` are this
 * ledger's keys (the current one and those trusted after a rotation). The newest message under them
 * says how far it got (its `Raia-Stream-Version` in the `ledger` stream), so a seal missed while NATS
 * was down goes out with the next catch-up: at start and after each seal. Catch-ups run one at a time.
 */
export function sealArchive(options: { store: EventStore; archive: NatsArchive; keyIds: ReadonlySet<string>; logger?: Logger }): SealArchive {
  const { store, archive, keyIds } = options;
  let running: Promise<number> = Promise.resolve(0);

  // Where the archive got to: the newest stream version held under any key this ledger's seals use.
  const archivedThrough = async (): Promise<number> => {
    let through = -1;
    for (const keyId of keyIds) {
      const version = (await archive.last(keyId))?.headers[STREAM_VERSION];
      if (version !== undefined) through = Math.max(through, Number(version));
    }
    return through;
  };

  const run = async (): Promise<number> => {
    let fromVersion = (await archivedThrough()) + 1;
    let published = 0;
    for (;;) {
      const seals = await store.readStream(LEDGER_STREAM, { fromVersion, limit: PAGE });
      for (const seal of seals) {
        // The relay's message for the seal (same payload and headers), under the key that signed it.
        const { id, payload, headers } = relayedMessage(seal, '');
        const keyId = ledgerSealedSchema.shape.keyId.safeParse((seal.data as { keyId?: unknown }).keyId);
        await archive.publish(keyId.success ? keyId.data : 'unknown-key', { id, payload, headers: { ...headers, [STREAM_VERSION]: String(seal.streamVersion) } });
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
      // Only the subjects of trusted keys are read: another ledger sharing the stream has keys of its own.
      const held = [];
      for (const keyId of trustedKeyIds) {
        const message = await archive.last(keyId);
        if (message) held.push(message);
      }
      if (held.length === 0) return null;
      const parsed = held.map((message) => archivedSealSchema.safeParse(message.data));
      const malformed = parsed.find((p) => !p.success);
      if (malformed) return { acknowledged: { position: 0, hash: '' }, sealed: null, writtenAt: null, problem: 'the newest seal in the NATS seal archive is malformed' };
      const newest = parsed.map((p) => p.data!).reduce((a, b) => (b.position > a.position ? b : a));
      const { position, hash, occurredAt, data: seal } = newest;
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

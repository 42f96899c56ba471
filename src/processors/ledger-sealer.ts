import type { KeyObject } from 'node:crypto';
import { schedule, type ScheduledTask } from 'node-cron';
import { systemActor } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import type { EventStore, Subscription } from '../events/event-store.js';
import { LEDGER_SEALED, LEDGER_STREAM, signSeal } from '../events/ledger-seal.js';
import type { Logger } from '../platform/logger.js';
import { inEventBatchSpan } from '../platform/event-tracing.js';
import { handleCommand } from '../commands/command-handler.js';
import { CommandRefused } from '../commands/decider.js';
import { ledgerDecider } from '../commands/ledger/ledger.decider.js';
import { resultEventId } from './result-event-id.js';

export const LEDGER_SEALER = 'ledger-sealer';
const PAGE = 5000;

export type LedgerSealerOptions = {
  store: EventStore;
  catalogue: EventCatalogue;
  signingKey: KeyObject;
  verifyKey: KeyObject;
  /** Seal as soon as this many positions are unsealed. */
  every: number;
  /** Also seal whatever is unsealed on this schedule (node-cron syntax); absent: no timer. */
  cron?: string;
  logger?: Logger;
  /** Called once a seal is stored (before `sealNow` answers), e.g. to write the ledger witness. */
  onSealed?(seal: { toPosition: number; headHash: string }): Promise<void>;
};

export type LedgerSealer = {
  /** Seals the unsealed segment now, if it holds anything but earlier seals; returns the seal's position. */
  sealNow(): Promise<number | null>;
  stop(): Promise<void>;
};

/**
 * Appends signed `ledger.sealed` checkpoints (ARCHITECTURE.md, "Tamper evidence"). Several sealers
 * may run: the ledger decider only accepts a seal that starts where the last one ended, and the
 * seal's id is derived from the event that closes its segment, so at most one seal per segment lands.
 */
export function startLedgerSealer(options: LedgerSealerOptions): LedgerSealer {
  const { store, catalogue } = options;
  let running: Promise<number | null> | null = null;
  let stopped = false;
  /** Where the last seal this sealer read or wrote ends: a lower bound (another process may have sealed further). */
  let sealedAtLeast = 0;

  const seal = async (minimum: number): Promise<number | null> => {
    const ledger = await store.readStream(LEDGER_STREAM, { direction: 'backwards', limit: 1 });
    const sealedTo = ledger[0] ? Number(ledger[0].data.toPosition) : 0;
    sealedAtLeast = Math.max(sealedAtLeast, sealedTo);
    const head = await store.head();
    if (head.position - sealedTo < minimum) return null;
    const hashes: string[] = [];
    let onlySeals = true;
    let closing = '';
    for (let after = sealedTo; after < head.position; ) {
      const page = await store.readAll({ after, to: head.position, limit: PAGE });
      if (page.length === 0) break;
      for (const e of page) {
        hashes.push(e.hash);
        if (e.type !== LEDGER_SEALED) onlySeals = false;
        closing = e.id;
      }
      after = page[page.length - 1]!.position;
    }
    // Sealing a segment that holds only the previous seal would add a seal per tick forever.
    if (onlySeals || hashes.length !== head.position - sealedTo) return null;
    const signed = signSeal({ fromPosition: sealedTo + 1, toPosition: head.position, hashes }, options.signingKey, options.verifyKey);
    try {
      const result = await handleCommand({ store, catalogue }, ledgerDecider, LEDGER_STREAM, { type: 'RecordSeal', seal: signed }, {
        actor: systemActor(LEDGER_SEALER),
        causationId: closing,
        eventIds: [resultEventId(closing, LEDGER_SEALER)],
      });
      options.logger?.info({ from: signed.fromPosition, to: signed.toPosition, position: result.position }, 'ledger sealed');
      await options.onSealed?.({ toPosition: signed.toPosition, headHash: signed.headHash });
      sealedAtLeast = Math.max(sealedAtLeast, signed.toPosition);
      return result.position;
    } catch (error) {
      // Another sealer sealed this segment first.
      if (error instanceof CommandRefused) return null;
      throw error;
    }
  };

  // One seal at a time in this process; a caller arriving during another's seal waits for it and
  // then seals on its own terms (a forced seal must not take the answer of a threshold check).
  const trigger = async (minimum: number): Promise<number | null> => {
    while (running) await running.catch(() => undefined);
    const current = seal(minimum).finally(() => {
      running = null;
    });
    running = current;
    return current;
  };

  let subscription: Subscription | null = null;
  void store.head().then((head) => {
    if (stopped) return;
    subscription = store.subscribeToAll({
      after: head.position,
      onEvents: async (events) => {
        // Fewer than `every` positions past the last seal known: not yet (the check reads the ledger
        // twice). The known seal can only be older than the real one, so no seal is missed; one due
        // because of events not yet delivered is checked when they are.
        if (events[events.length - 1]!.position - sealedAtLeast < options.every) return;
        await inEventBatchSpan(LEDGER_SEALER, events, () => trigger(options.every)).catch((err: unknown) => options.logger?.error({ err }, 'ledger seal failed'));
      },
      onError: (err) => options.logger?.error({ err }, 'ledger sealer subscription failed'),
    });
  });
  const task: ScheduledTask | null = options.cron
    ? schedule(options.cron, () => void trigger(1).catch((err: unknown) => options.logger?.error({ err }, 'scheduled ledger seal failed')), { name: LEDGER_SEALER })
    : null;

  return {
    sealNow: () => trigger(1),
    async stop() {
      stopped = true;
      await task?.destroy();
      await (subscription as Subscription | null)?.stop();
      await running?.catch(() => undefined);
    },
  };
}

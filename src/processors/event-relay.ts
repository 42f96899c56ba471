import type { StoredEvent } from '../events/envelope.js';
import type { EventStore, Subscription } from '../events/event-store.js';
import type { Knex } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import type { MessageBus, OutgoingMessage } from '../platform/message-bus.js';
import { inContextOf } from '../platform/tracing.js';
import { loadCheckpoint, saveCheckpoint } from './processor-checkpoints.js';

export type EventRelayOptions = {
  store: EventStore;
  bus: MessageBus;
  /** Where the relay's checkpoint lives (`raia_processor_checkpoints`). */
  knex: Knex;
  /** Events go to `<subjectPrefix>.<event.type>`, e.g. `raia.events.model.registered`. */
  subjectPrefix: string;
  /** Checkpoint name. Default `nats-relay`. */
  name?: string;
  /** Events read, published and checkpointed together. Default 500. */
  batchSize?: number;
  /** First wait before retrying after a failure; doubles up to 30 s. Default 500 ms. */
  retryDelayMs?: number;
  logger?: Logger;
};

export type EventRelay = {
  /** Finishes the batch in flight (publishing and checkpointing it), then stops. */
  stop(): Promise<void>;
  /** Events committed to the ledger but not yet checkpointed as published. */
  lag(): Promise<number>;
  /** Position of the last event known to be published. */
  checkpoint(): number;
};

const MAX_RETRY_DELAY_MS = 30_000;

/** The bus message for a ledger event: its id is the dedupe id, its payload the stored event as JSON. */
export function relayedMessage(event: StoredEvent, subjectPrefix: string): OutgoingMessage {
  return {
    subject: `${subjectPrefix}.${event.type}`,
    id: event.id,
    payload: JSON.stringify({ ...event, occurredAt: event.occurredAt.toISOString() }),
    headers: { 'Raia-Position': String(event.position), 'Raia-Stream-Id': event.streamId },
  };
}

/**
 * Publishes every committed ledger event to the bus (ARCHITECTURE.md, "Processors and scale-out"),
 * following `$all` from a checkpoint. The checkpoint moves only after the bus has acknowledged the
 * whole batch, so a crash republishes at most one batch, and the bus drops those repeats by event id
 * (within its duplicate window). Failures are logged and retried with backoff from the checkpoint.
 */
export async function startEventRelay(options: EventRelayOptions): Promise<EventRelay> {
  const { store, bus, knex, subjectPrefix, logger } = options;
  const name = options.name ?? 'nats-relay';
  const batchSize = options.batchSize ?? 500;
  const firstRetryDelayMs = options.retryDelayMs ?? 500;
  let checkpoint = await loadCheckpoint(knex, name);
  let subscription: Subscription | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelayMs = firstRetryDelayMs;
  let stopped = false;

  const publishBatch = async (events: StoredEvent[]) => {
    // Pipelined: the publishes leave in position order on one connection, so the bus stores them in
    // that order; only a failure part-way can put a retried event after later ones. Each publish is
    // traced within the trace of the operation that appended the event (its metadata's traceparent).
    await Promise.all(events.map((event) => inContextOf(event.metadata, () => bus.publish(relayedMessage(event, subjectPrefix)))));
    const last = events[events.length - 1]!.position;
    await saveCheckpoint(knex, name, last);
    checkpoint = last;
    retryDelayMs = firstRetryDelayMs;
  };

  const follow = () => {
    subscription = store.subscribeToAll({
      after: checkpoint,
      batchSize,
      onEvents: publishBatch,
      onError(error) {
        if (stopped) return;
        logger?.error({ relay: name, checkpoint, err: error, retryInMs: retryDelayMs }, 'event relay failed; retrying from its checkpoint');
        retryTimer = setTimeout(() => {
          if (!stopped) follow();
        }, retryDelayMs);
        retryDelayMs = Math.min(retryDelayMs * 2, MAX_RETRY_DELAY_MS);
      },
    });
  };
  follow();
  logger?.info({ relay: name, checkpoint, subjectPrefix }, 'event relay started');

  return {
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await subscription?.stop();
    },
    async lag() {
      const head = await store.head();
      return Math.max(0, head.position - checkpoint);
    },
    checkpoint: () => checkpoint,
  };
}

import type { Logger } from './logger.js';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_DELIVER,
  assertPublishSubject,
  defaultRedeliveryDelayMs,
  matchesAny,
  parseJsonPayload,
  payloadBytes,
  reportDeadLetter,
  validateConsumeOptions,
  type BusHealth,
  type ConsumeOptions,
  type DeliveredMessage,
  type MessageBus,
  type MessageConsumer,
  type OutgoingMessage,
  type PublishResult,
  type WatchOptions,
} from './message-bus.js';
import { processTraced, publishTraced } from './message-tracing.js';

export type InProcessBusOptions = {
  /** Messages kept for durables created later; the oldest are dropped beyond it. Default 100,000. */
  retainMessages?: number;
  duplicateWindowMs?: number;
  clock?: () => number;
  logger?: Logger;
};

type RetainedMessage = { sequence: number; subject: string; id: string; payload: Uint8Array; headers: Record<string, string> };

type Redelivery = { message: RetainedMessage; deliveryCount: number; dueAt: number };

type Waiter = { wake(): void };

/**
 * A durable's position, as JetStream keeps it: a cursor over the retained messages plus the failed
 * deliveries waiting for their backoff. Consumers sharing the durable take work from it in turn.
 */
type Durable = {
  filters: string[];
  maxDeliver: number;
  redeliveryDelayMs: (deliveryCount: number) => number;
  /** Next sequence to look at for first deliveries. */
  cursor: number;
  /** Waiting redeliveries, in sequence order. */
  redeliveries: Redelivery[];
  waiters: Set<Waiter>;
};

/**
 * The message bus in memory, for one process without NATS: the same delivery contract as the
 * JetStream adapter (dedupe window, durable cursors, ordered first deliveries, backoff redelivery,
 * dead letters), but everything is lost with the process, which is acceptable because the relay
 * republishes from its checkpoint in the ledger.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): MessageBus {
  const retainMessages = options.retainMessages ?? 100_000;
  const duplicateWindowMs = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  const clock = options.clock ?? Date.now;
  // Map iteration follows insertion order, so the oldest entries come first in both maps.
  const retained = new Map<number, RetainedMessage>();
  const recentIds = new Map<string, { sequence: number; at: number }>();
  const durables = new Map<string, Durable>();
  const consumers = new Set<MessageConsumer>();
  const watchers = new Set<WatchOptions>();
  let firstSequence = 1;
  let lastSequence = 0;
  let closed = false;

  const forgetExpiredIds = (now: number) => {
    for (const [id, entry] of recentIds) {
      if (entry.at > now - duplicateWindowMs) break;
      recentIds.delete(id);
    }
  };

  const wakeAll = (durable: Durable) => {
    for (const waiter of durable.waiters) waiter.wake();
  };

  /** The next delivery for a durable: a due redelivery first (as JetStream does), else the next new match. */
  const takeNext = (durable: Durable, now: number): Redelivery | null => {
    const due = durable.redeliveries.findIndex((r) => r.dueAt <= now);
    if (due !== -1) return durable.redeliveries.splice(due, 1)[0]!;
    durable.cursor = Math.max(durable.cursor, firstSequence);
    while (durable.cursor <= lastSequence) {
      const message = retained.get(durable.cursor++);
      if (message && matchesAny(durable.filters, message.subject)) return { message, deliveryCount: 1, dueAt: now };
    }
    return null;
  };

  const scheduleRedelivery = (durable: Durable, redelivery: Redelivery) => {
    const at = durable.redeliveries.findIndex((r) => r.message.sequence > redelivery.message.sequence);
    durable.redeliveries.splice(at === -1 ? durable.redeliveries.length : at, 0, redelivery);
    wakeAll(durable);
  };

  /** Retains a published message (once per id within the window) and wakes the durables it matches. */
  const store = async (message: OutgoingMessage): Promise<PublishResult> => {
    const now = clock();
    forgetExpiredIds(now);
    const seen = recentIds.get(message.id);
    if (seen) return { duplicate: true, sequence: seen.sequence };
    const sequence = ++lastSequence;
    recentIds.set(message.id, { sequence, at: now });
    retained.set(sequence, { sequence, subject: message.subject, id: message.id, payload: payloadBytes(message.payload), headers: { ...message.headers } });
    while (retained.size > retainMessages) retained.delete(firstSequence++);
    for (const durable of durables.values()) {
      if (matchesAny(durable.filters, message.subject)) wakeAll(durable);
    }
    for (const watcher of watchers) {
      if (matchesAny(watcher.filterSubjects, message.subject)) watcher.onMessage(message.subject, { ...message.headers });
    }
    return { duplicate: false, sequence };
  };

  const toDelivered = (message: RetainedMessage, deliveryCount: number): DeliveredMessage => ({
    subject: message.subject,
    id: message.id,
    sequence: message.sequence,
    payload: message.payload,
    headers: { ...message.headers },
    deliveryCount,
    data: () => parseJsonPayload(message.payload),
  });

  return {
    kind: 'in-process',

    async publish(message: OutgoingMessage): Promise<PublishResult> {
      if (closed) throw new Error('message bus is closed');
      assertPublishSubject(message.subject);
      return publishTraced('in-process', message, store);
    },

    async consume(consumeOptions: ConsumeOptions): Promise<MessageConsumer> {
      if (closed) throw new Error('message bus is closed');
      validateConsumeOptions(consumeOptions);
      const config = {
        filters: [...consumeOptions.filterSubjects],
        maxDeliver: consumeOptions.maxDeliver ?? DEFAULT_MAX_DELIVER,
        redeliveryDelayMs: consumeOptions.redeliveryDelayMs ?? defaultRedeliveryDelayMs,
      };
      let durable = durables.get(consumeOptions.durable);
      // A durable's configuration follows its latest consumer, as a JetStream consumer update does.
      if (durable) Object.assign(durable, config);
      else {
        durable = { ...config, cursor: firstSequence, redeliveries: [], waiters: new Set() };
        durables.set(consumeOptions.durable, durable);
      }
      const state = durable;

      let stopping = false;
      let timer: NodeJS.Timeout | undefined;
      let wakeUp: () => void = () => undefined;
      const waiter: Waiter = { wake: () => wakeUp() };
      state.waiters.add(waiter);

      const sleep = () =>
        new Promise<void>((resolve) => {
          const nextDue = Math.min(...state.redeliveries.map((r) => r.dueAt));
          wakeUp = () => {
            clearTimeout(timer);
            wakeUp = () => undefined;
            resolve();
          };
          if (Number.isFinite(nextDue)) timer = setTimeout(wakeUp, Math.max(0, nextDue - clock()));
        });

      const deliver = async ({ message, deliveryCount }: Redelivery) => {
        const delivered = toDelivered(message, deliveryCount);
        try {
          await processTraced('in-process', consumeOptions.durable, delivered, consumeOptions.handler);
        } catch (error) {
          if (deliveryCount >= state.maxDeliver) {
            await reportDeadLetter(consumeOptions, { message: delivered, error }, options.logger);
            return;
          }
          scheduleRedelivery(state, { message, deliveryCount: deliveryCount + 1, dueAt: clock() + state.redeliveryDelayMs(deliveryCount) });
        }
      };

      const run = async () => {
        let sinceYield = 0;
        while (!stopping) {
          const next = takeNext(state, clock());
          if (!next) {
            await sleep();
            continue;
          }
          await deliver(next);
          // Handlers that never wait would otherwise hold the event loop for the whole backlog.
          if (++sinceYield === 1000) {
            sinceYield = 0;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        }
      };
      // Deliveries start on a later tick, so `consume` resolves before the first handler call, as with NATS.
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(run);

      const consumer: MessageConsumer = {
        async stop() {
          stopping = true;
          wakeUp();
          await done;
          state.waiters.delete(waiter);
          consumers.delete(consumer);
        },
      };
      consumers.add(consumer);
      return consumer;
    },

    async watch(watchOptions: WatchOptions) {
      if (closed) throw new Error('message bus is closed');
      const watcher = { ...watchOptions, filterSubjects: [...watchOptions.filterSubjects] };
      watchers.add(watcher);
      return {
        async stop() {
          watchers.delete(watcher);
        },
      };
    },

    async health(): Promise<BusHealth> {
      return {
        kind: 'in-process',
        connected: !closed,
        detail: { retained: retained.size, lastSequence, durables: durables.size, consumers: consumers.size },
      };
    },

    async close() {
      closed = true;
      watchers.clear();
      await Promise.all([...consumers].map((c) => c.stop()));
    },
  };
}

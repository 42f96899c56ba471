import type { StoredEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/event-store.js';
import type { Logger } from '../../platform/logger.js';
import type { MessageBus, MessageWatch } from '../../platform/message-bus.js';

export type LedgerFeedOptions = {
  store: EventStore;
  bus: MessageBus;
  /** The relay publishes to `<subjectPrefix>.<type>`: hearing any of them means the ledger moved. */
  subjectPrefix: string;
  logger?: Logger;
  /** Read the ledger this often even without a bus notice (a lost notice costs at most this). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Events read per ledger query. Default 500. */
  batchSize?: number;
};

export type LedgerFeedListener = (events: StoredEvent[]) => void;

export type LedgerFeed = {
  /** Position of the last event handed to the listeners. */
  head(): number;
  /** Hears every committed event after `head()`, in position order, each exactly once, in batches. */
  listen(listener: LedgerFeedListener): () => void;
  /** Committed events after `after` (a client's resume point), read from the ledger itself. */
  readAfter(after: number, limit: number): Promise<StoredEvent[]>;
  /** Notices heard from the bus and ledger reads made, for the system analytics. */
  counters(): { busNotices: number; reads: number; eventsDelivered: number };
  stop(): Promise<void>;
};

/**
 * The ledger as a live feed for this process's WebSocket and SSE clients. The bus, and the store
 * where it can tell, only say that something was committed (the relay's publishes, heard through a
 * plain watch, not a durable consumer; the store's commit notices); the events themselves are read
 * from the ledger after the last position handed out,
 * so every process sees every event once and in order whatever the bus drops, duplicates or
 * reorders, and a client resuming from a position reads the same ledger.
 */
export async function startLedgerFeed(options: LedgerFeedOptions): Promise<LedgerFeed> {
  const { store, bus, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const listeners = new Set<LedgerFeedListener>();
  let head = (await store.head()).position;
  let stopped = false;
  let wanted = false;
  let wake: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const counters = { busNotices: 0, reads: 0, eventsDelivered: 0 };

  const signal = () => {
    wanted = true;
    wake();
  };

  const waitForNotice = () =>
    new Promise<void>((resolve) => {
      wake = () => {
        clearTimeout(timer);
        wake = () => undefined;
        resolve();
      };
      if (wanted || stopped) wake();
      else timer = setTimeout(wake, pollIntervalMs);
    });

  const deliver = (events: StoredEvent[]) => {
    head = events[events.length - 1]!.position;
    counters.eventsDelivered += events.length;
    for (const listener of listeners) {
      try {
        listener(events);
      } catch (error) {
        logger?.error({ err: error }, 'live feed listener failed');
      }
    }
  };

  // The page the other followers of the ledger in this process (projections, relay, processors)
  // read after the same commit, where the store shares it: one query for all instead of one more.
  const readNew = store.readFollowing ? store.readFollowing.bind(store) : (after: number, limit: number) => store.readAll({ after, limit });

  const run = async () => {
    while (!stopped) {
      wanted = false;
      try {
        counters.reads++;
        const events = await readNew(head, batchSize);
        if (stopped) return;
        if (events.length > 0) deliver(events);
        if (events.length === batchSize) continue;
      } catch (error) {
        logger?.warn({ err: error, head }, 'live feed could not read the ledger; retrying');
      }
      await waitForNotice();
    }
  };

  const watch: MessageWatch = await bus.watch({
    filterSubjects: [`${options.subjectPrefix}.>`],
    onMessage(_subject, headers) {
      counters.busNotices++;
      // The relay publishes what this feed has usually delivered already (the store's commit notice
      // comes first): a notice of a position at or below the head asks for nothing new.
      const position = Number(headers['Raia-Position']);
      if (Number.isFinite(position) && position > 0 && position <= head) return;
      signal();
    },
  });
  // Commits the store hears of (this process's at once, others' by NOTIFY) wake the feed without
  // waiting for the relay to read them and publish them on the bus.
  const stopHearingCommits = store.onCommitted?.((position) => {
    if (position > head) signal();
  });
  const done = run();
  logger?.info({ head, bus: bus.kind }, 'live ledger feed started');

  return {
    head: () => head,
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    readAfter: (after, limit) => store.readAll({ after, limit }),
    counters: () => ({ ...counters }),
    async stop() {
      stopped = true;
      stopHearingCommits?.();
      await watch.stop();
      wake();
      await done;
      listeners.clear();
    },
  };
}

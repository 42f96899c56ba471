import type { StoredEvent } from '../../events/envelope.js';
import { discloseEvents, type PersonalDataView } from '../../events/event-disclosure.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { Logger } from '../../platform/logger.js';
import type { LedgerFeed } from '../../processors/live/ledger-feed.js';
import { presentEvent } from '../audit-query.js';

/** One client connection as the fan-out sees it (a WebSocket or an SSE response). */
export type LiveTransport = {
  /** Queues a frame for the client. */
  write(frame: string): void;
  /** Bytes queued for the client that the network has not taken yet. */
  bufferedBytes(): number;
  /** Ends the connection: the client reads too slowly, or the server stops. */
  end(reason: 'slow-consumer' | 'shutdown'): void;
};

export type LedgerSubscriberOptions = {
  transport: LiveTransport;
  /** How personal fields reach this client (personal-data-view.ts). */
  view: PersonalDataView;
  /** Which events the client receives: its channel, its principal's permissions, its own filters. */
  accepts(event: StoredEvent): boolean;
  /** The client's frame for an event, given the event as JSON (disclosed for its view). */
  frame(eventJson: string, event: StoredEvent): string;
  /** Resume point: events after this position; null for "from now". */
  after: number | null;
};

export type LedgerSubscription = {
  /** Last position the client was sent or passed over. */
  cursor(): number;
  close(): void;
};

export type LedgerFanoutOptions = {
  feed: LedgerFeed;
  disclosure: { catalogue: EventCatalogue; vault: PersonalDataVault };
  /** A client with more than this many bytes queued is disconnected, so it cannot grow server memory. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** How long a resuming client may take to drain a page before it counts as slow. Default 10 s. */
  drainTimeoutMs?: number;
  /** Events per ledger read when a client catches up. Default 500. */
  pageSize?: number;
  logger?: Logger;
};

type Subscriber = LedgerSubscriberOptions & { cursor: number; live: boolean; closed: boolean };

/**
 * Hands the live ledger feed to this process's clients. Each client has a cursor (the last
 * position it was sent or passed over): a client resuming from a position first reads the ledger
 * after it, then joins the live fan-out once its cursor has reached what the fan-out already sent,
 * and the fan-out skips anything at or below a client's cursor, so the client misses nothing and
 * sees nothing twice. Events are disclosed once per batch and personal-data view, not per client.
 */
export class LedgerFanout {
  private readonly subscribers = new Set<Subscriber>();
  private readonly maxBufferedBytes: number;
  private readonly drainTimeoutMs: number;
  private readonly pageSize: number;
  /** Position of the last batch the fan-out has handed to its live clients. */
  private sentHead: number;
  private queue: Promise<void> = Promise.resolve();
  private readonly unlisten: () => void;
  private disconnectedSlow = 0;

  constructor(private readonly options: LedgerFanoutOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.pageSize = options.pageSize ?? 500;
    this.sentHead = options.feed.head();
    this.unlisten = options.feed.listen((events) => {
      this.queue = this.queue.then(() => this.fanOut(events)).catch((error: unknown) => options.logger?.error({ err: error }, 'live fan-out failed'));
    });
  }

  subscribe(options: LedgerSubscriberOptions): LedgerSubscription {
    const subscriber: Subscriber = { ...options, cursor: options.after ?? this.sentHead, live: false, closed: false };
    this.subscribers.add(subscriber);
    void this.catchUp(subscriber);
    return {
      cursor: () => subscriber.cursor,
      close: () => this.remove(subscriber),
    };
  }

  stats(): { clients: number; liveClients: number; slowDisconnects: number; sentHead: number } {
    let live = 0;
    for (const s of this.subscribers) if (s.live) live++;
    return { clients: this.subscribers.size, liveClients: live, slowDisconnects: this.disconnectedSlow, sentHead: this.sentHead };
  }

  /** Ends every client connection and stops hearing the feed. */
  close(): void {
    this.unlisten();
    for (const s of [...this.subscribers]) {
      this.remove(s);
      s.transport.end('shutdown');
    }
  }

  private remove(subscriber: Subscriber): void {
    subscriber.closed = true;
    this.subscribers.delete(subscriber);
  }

  private slow(subscriber: Subscriber): void {
    this.disconnectedSlow++;
    this.remove(subscriber);
    subscriber.transport.end('slow-consumer');
  }

  /** Ledger reads after the client's cursor until it has what the live fan-out already sent. */
  private async catchUp(subscriber: Subscriber): Promise<void> {
    try {
      while (!subscriber.closed) {
        if (subscriber.cursor >= this.sentHead) {
          subscriber.live = true;
          return;
        }
        const events = await this.options.feed.readAfter(subscriber.cursor, this.pageSize);
        if (subscriber.closed) return;
        if (events.length === 0) {
          // Cannot happen (what was sent live is in the ledger); going live is the safe way out of the loop.
          subscriber.live = true;
          return;
        }
        const wanted = events.filter((e) => subscriber.accepts(e));
        const disclosed = await discloseEvents(wanted, this.options.disclosure, subscriber.view);
        if (subscriber.closed) return;
        for (const event of disclosed) subscriber.transport.write(subscriber.frame(JSON.stringify(presentEvent(event)), event));
        subscriber.cursor = events[events.length - 1]!.position;
        if (!(await this.drained(subscriber))) return this.slow(subscriber);
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'a live client could not catch up; disconnected');
      this.remove(subscriber);
      subscriber.transport.end('shutdown');
    }
  }

  /** Waits until a catching-up client has taken most of what it was sent; false when it does not in time. */
  private async drained(subscriber: Subscriber): Promise<boolean> {
    const until = Date.now() + this.drainTimeoutMs;
    while (subscriber.transport.bufferedBytes() > this.maxBufferedBytes / 2) {
      if (subscriber.closed || Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  private async fanOut(events: StoredEvent[]): Promise<void> {
    const views = new Set<PersonalDataView>();
    for (const s of this.subscribers) views.add(s.view);
    const json = new Map<PersonalDataView, string[]>();
    for (const view of views) json.set(view, (await discloseEvents(events, this.options.disclosure, view)).map((e) => JSON.stringify(presentEvent(e))));
    // From here on synchronous: no client can join or go live half-way through a batch.
    this.sentHead = events[events.length - 1]!.position;
    for (const s of this.subscribers) {
      if (!s.live) continue;
      const texts = json.get(s.view);
      if (!texts) {
        // The client went live after the batch was disclosed, in a view nobody else had: it reads the batch from the ledger.
        s.live = false;
        void this.catchUp(s);
        continue;
      }
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        if (event.position <= s.cursor) continue;
        s.cursor = event.position;
        if (s.accepts(event)) s.transport.write(s.frame(texts[i]!, event));
      }
      if (s.transport.bufferedBytes() > this.maxBufferedBytes) this.slow(s);
    }
  }
}

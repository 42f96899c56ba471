/**
 * The ledger on EventStoreDB / KurrentDB, for users who run one (ARCHITECTURE.md, "The ledger").
 *
 * How the port's promises are kept on a server that does not make them itself:
 *
 * - Dense global `position` and the hash chain. EventStoreDB's commit positions are byte offsets
 *   in its transaction log, neither dense nor ours. This adapter assigns the ledger position and
 *   hash itself: under an in-process mutex it reads the last ledger event of `$all` (system `$`
 *   streams and events of other applications skipped), stamps the next positions and hashes into
 *   each event's metadata, and appends. `readAll`, `head` and subscriptions read them back from
 *   the metadata. Because appends are serialised and awaited, ledger positions grow with commit
 *   order, which is what lets readers seek and stop by position.
 *
 *   KNOWN LIMITATION: the mutex is per process. Two processes appending through this adapter to
 *   the same server can both read the same head and write the same position (a forked chain that
 *   `verify` reports, and a subscription stops on). Run a single writer process per server, or
 *   move to the chainer design of ARCHITECTURE.md (events appended unchained, one chainer process
 *   assigning position and hash in `$all` read order). The same holds when an append times out
 *   client-side but commits later on the server, after a following append read the head.
 *
 * - Stream versions. The hash covers `streamVersion`, so the event must land at exactly the revision
 *   it was hashed with. The adapter therefore reads the stream's tail, checks the caller's
 *   `expectedVersion` against it, and appends with that exact revision (never ANY, never
 *   STREAM_EXISTS); a stricter condition than the caller's, enforced atomically by the server.
 *   When the server still refuses (a writer outside this process), the append is re-examined:
 *   the caller's condition may now fail (WrongExpectedVersion), or the events may turn out to be
 *   stored already (an idempotent retry), or, for `any`, it is tried again.
 *
 * - Idempotent re-append. EventStoreDB dedupes event ids only when the expected revision is the one
 *   the original append used, and this adapter never uses the original one on a retry; so it
 *   looks for the ids itself in the stream's last events before appending. Ids stored in other
 *   streams or further back than that window are not found (the Postgres adapter's unique index
 *   finds them everywhere).
 *
 * - Filters on `$all` are applied client-side (the v6 client's `readAll` takes no server filter):
 *   a selective filter scans the log. An in-memory index of (ledger position → log position),
 *   filled from every `$all` read, lets reads and subscriptions seek close to `after`.
 *
 * Envelope fields live in the event metadata: `raiaLedger` (format marker), `position`,
 * `schemaVersion`, `actor`, `occurredAt`, `prevHash`, `hash`, the event's own `metadata`, and
 * `$correlationId` / `$causationId` (the names EventStoreDB's own projections understand).
 */
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type Direction,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';
import type { Actor, JsonObject, NewEvent, StoredEvent } from '../envelope.js';
import { streamCategory } from '../envelope.js';
import {
  checkExpectedVersion,
  jsonContains,
  DuplicateEventConflict,
  InvalidEvent,
  WrongExpectedVersion,
  type AllFilter,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type LedgerHead,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StreamHead,
  type SubscribeOptions,
  type Subscription,
  type VerificationResult,
  type VerifyOptions,
} from '../event-store.js';
import { GENESIS_HASH, chainEvents } from '../hash-chain.js';
import { verifyLedger } from '../ledger-verification.js';
import { validateNewEvents, validateStreamId } from '../new-event-validation.js';

/** Marks an event as written by this adapter, and the layout of its metadata. */
const LEDGER_FORMAT = 1;
const DEFAULT_READ = 1000;
const MAX_READ = 10_000;
/** Events before the batch's own slot that an idempotent retry may be found among. */
const DUPLICATE_LOOKBACK = 64;
/** Server refusals tolerated for `expectedVersion: 'any'` before giving up. */
const MAX_APPEND_ATTEMPTS = 3;
/** One seek entry per this many ledger positions: 10 M events cost ~160 k entries. */
const INDEX_STRIDE = 64;

type LedgerMetadata = {
  raiaLedger: typeof LEDGER_FORMAT;
  position: number;
  schemaVersion: number;
  actor: Actor;
  occurredAt: string;
  prevHash: string;
  hash: string;
  metadata: JsonObject;
  $correlationId?: string;
  $causationId?: string;
};

/** The parts of the client's RecordedEvent (a conditional union type) this adapter reads. */
type Recorded = {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: Position;
};

export type EventStoreDbEventStoreOptions = {
  clock?: () => Date;
  /** Seal signers whose keys `verify` accepts; absent: any key whose signature checks out. */
  trustedKeyIds?: Set<string>;
};

export class EventStoreDbEventStore implements EventStore {
  readonly name = 'eventstoredb';
  private readonly client: EventStoreDBClient;
  private readonly clock: () => Date;
  private readonly seekIndex = new LedgerSeekIndex();
  /** `stop` of every running subscription, so `close` can end them. */
  private readonly activeSubscriptions = new Set<() => Promise<void>>();
  /** Tail of the in-process append queue (the mutex). */
  private appendQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `connectionString`: `esdb://…` (or `kurrentdb://…`, which the v6 client spells `esdb://`). */
  constructor(
    connectionString: string,
    private readonly options: EventStoreDbEventStoreOptions = {},
  ) {
    this.client = EventStoreDBClient.connectionString(connectionString.replace(/^kurrentdb(\+discover)?:\/\//, 'esdb$1://'));
    this.clock = options.clock ?? (() => new Date());
  }

  async append(streamId: string, events: NewEvent[], options: { expectedVersion?: ExpectedVersion } = {}): Promise<AppendResult> {
    validateStreamId(streamId);
    const prepared = validateNewEvents(events);
    const expected = options.expectedVersion ?? 'any';
    if (this.closed) throw new Error('the EventStoreDB event store is closed');
    const run = this.appendQueue.then(() => this.appendSerialised(streamId, prepared, expected));
    this.appendQueue = run.catch(() => undefined);
    return run;
  }

  private async appendSerialised(streamId: string, prepared: NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
    for (let attempt = 1; ; attempt++) {
      const tail = await this.readStreamTail(streamId, prepared.length + DUPLICATE_LOOKBACK);
      const repeated = repeatedAppend(streamId, prepared, tail);
      if (repeated) return repeated;

      const current = tail.length === 0 ? null : Number(tail[tail.length - 1]!.revision);
      checkExpectedVersion(streamId, expected, current);

      const head = await this.readHead();
      const now = this.clock();
      // occurredAt never goes backwards along the chain, so "as of T" reads are a prefix.
      const occurredAt = head.occurredAt && head.occurredAt > now ? head.occurredAt : now;
      const stored = chainEvents(streamId, prepared, current, head, occurredAt);
      try {
        await this.client.appendToStream(streamId, stored.map(toEventData), {
          expectedRevision: current === null ? NO_STREAM : BigInt(current),
        });
      } catch (error) {
        if (error instanceof MaxAppendSizeExceededError) throw new InvalidEvent(`the append exceeds EventStoreDB's maximum append size (${error.maxAppendSize} bytes)`);
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // A writer outside this process moved the stream between our read and our append.
        if (attempt >= MAX_APPEND_ATTEMPTS) {
          throw new WrongExpectedVersion(streamId, expected, error.actualVersion === NO_STREAM ? null : Number(error.actualVersion));
        }
        continue;
      }
      const last = stored[stored.length - 1]!;
      return { streamId, nextExpectedVersion: last.streamVersion, position: last.position, events: stored, duplicate: false };
    }
  }

  /** The stream's last `count` events of any kind, oldest first; empty when the stream does not exist. */
  private async readStreamTail(streamId: string, count: number): Promise<Recorded[]> {
    const tail: Recorded[] = [];
    await scan(this.client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: count }), (resolved) => {
      if (resolved.event) tail.push(resolved.event);
      return true;
    }).catch(ignoreStreamNotFound);
    return tail.reverse();
  }

  async streamHead(streamId: string): Promise<StreamHead | null> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', limit: 1 });
    return last ? { streamVersion: last.streamVersion, position: last.position } : null;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const toVersion = options.toVersion ?? Number.POSITIVE_INFINITY;
    const asOf = options.asOf ? options.asOf.getTime() : Number.POSITIVE_INFINITY;
    if (limit <= 0) return [];
    const upper = backwards ? Math.min(options.fromVersion ?? Number.POSITIVE_INFINITY, toVersion) : toVersion;
    const lower = backwards ? 0 : Math.max(options.fromVersion ?? 0, 0);
    if (upper < lower) return [];
    const fromRevision: ReadRevision = backwards
      ? upper === Number.POSITIVE_INFINITY ? END : BigInt(upper)
      : lower === 0 ? START : BigInt(lower);

    const found: StoredEvent[] = [];
    await scan(this.client.readStream(streamId, { direction: backwards ? BACKWARDS : FORWARDS, fromRevision }), (resolved) => {
      const event = toStoredEvent(resolved.event);
      if (!event) return true;
      if (backwards) {
        // Later versions, or versions recorded after asOf, come first when reading backwards.
        if (event.streamVersion > upper || event.occurredAt.getTime() > asOf) return true;
      } else if (event.streamVersion > upper || event.occurredAt.getTime() > asOf) {
        return false;
      }
      found.push(event);
      return found.length < limit;
    }).catch(ignoreStreamNotFound);
    return found;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const limit = Math.min(options.limit ?? DEFAULT_READ, MAX_READ);
    if (limit <= 0) return [];
    const found: StoredEvent[] = [];
    let skip = options.offset ?? 0;
    await this.scanMatches(options, (event) => {
      if (skip > 0) skip -= 1;
      else found.push(event);
      return found.length < limit;
    });
    return found;
  }

  async countAll(options: Omit<ReadAllOptions, 'limit' | 'offset'> = {}): Promise<number> {
    let count = 0;
    await this.scanMatches(options, () => {
      count += 1;
      return true;
    });
    return count;
  }

  /** Visits the events `readAll` reads, in its direction, while `visit` answers true. */
  private async scanMatches(options: Omit<ReadAllOptions, 'limit' | 'offset'>, visit: (event: StoredEvent) => boolean): Promise<void> {
    const matches = allFilter(options.filter);

    if (options.direction !== 'backwards') {
      const after = options.after ?? 0;
      const to = options.to ?? Number.POSITIVE_INFINITY;
      if (to <= after) return;
      await this.scanAll(FORWARDS, this.seekIndex.atOrBefore(after) ?? START, (event) => {
        if (event.position <= after) return true;
        if (event.position > to) return false;
        return matches(event) ? visit(event) : true;
      });
      return;
    }

    // Backwards, `after` is an exclusive upper bound (as in the Postgres adapter).
    const upper = Math.min(options.to ?? Number.POSITIVE_INFINITY, options.after === undefined ? Number.POSITIVE_INFINITY : options.after - 1);
    if (upper < 1) return;
    const from = upper === Number.POSITIVE_INFINITY ? END : (this.seekIndex.atOrAfter(upper + 1) ?? END);
    await this.scanAll(BACKWARDS, from, (event) => {
      if (event.position > upper) return true;
      return matches(event) ? visit(event) : true;
    });
  }

  /** Visits the ledger events of `$all` in log order; other applications' and system events are skipped. */
  private scanAll(direction: Direction, fromPosition: ReadPosition, visit: (event: StoredEvent) => boolean): Promise<void> {
    return scan(this.client.readAll({ direction, fromPosition }), (resolved: AllStreamResolvedEvent) => {
      const event = toStoredEvent(resolved.event);
      if (!event) return true;
      this.seekIndex.record(event.position, resolved.event!.position);
      return visit(event);
    });
  }

  private async readHead(): Promise<LedgerHead> {
    let head: LedgerHead = { position: 0, hash: GENESIS_HASH, occurredAt: null };
    await this.scanAll(BACKWARDS, END, (event) => {
      head = { position: event.position, hash: event.hash, occurredAt: event.occurredAt };
      return false;
    });
    return head;
  }

  head(): Promise<LedgerHead> {
    return this.readHead();
  }

  /**
   * A catch-up subscription to `$all` (ordered; persistent subscriptions are not). It starts from
   * the nearest known log position at or before `after` (or the start of `$all`), skips what the
   * checkpoint already covers, and hands over batches: whatever has arrived, up to `batchSize`.
   * A gap in ledger positions stops it with an error rather than skipping an event silently.
   */
  subscribeToAll(options: SubscribeOptions): Subscription {
    const batchSize = options.batchSize ?? 500;
    const source = this.client.subscribeToAll(
      { fromPosition: this.seekIndex.atOrBefore(options.after) ?? START, filter: excludeSystemEvents() },
      { highWaterMark: batchSize },
    );
    let stopping = false;
    let done: Promise<void> = Promise.resolve();
    const stop = async () => {
      stopping = true;
      await source.unsubscribe().catch(() => undefined);
      source.destroy();
      await done.catch(() => undefined);
    };
    this.activeSubscriptions.add(stop);

    const run = async () => {
      let checkpoint = options.after;
      let batch: StoredEvent[] = [];
      try {
        for await (const resolved of source) {
          if (stopping) return;
          const event = toStoredEvent(resolved.event);
          if (event) {
            this.seekIndex.record(event.position, resolved.event!.position);
            if (event.position > checkpoint) {
              if (event.position !== checkpoint + 1) {
                throw new Error(`ledger position ${checkpoint + 1} is missing from $all (next is ${event.position}); run verify`);
              }
              batch.push(event);
              checkpoint = event.position;
            }
          }
          if (batch.length > 0 && (batch.length >= batchSize || source.readableLength === 0)) {
            const delivered = batch;
            batch = [];
            await options.onEvents(delivered);
          }
        }
        if (!stopping) throw new Error('EventStoreDB ended the $all subscription');
      } catch (error) {
        if (!stopping) throw error;
      } finally {
        stopping = true;
        await source.unsubscribe().catch(() => undefined);
        source.destroy();
        this.activeSubscriptions.delete(stop);
      }
    };

    done = run().catch((error: unknown) => {
      if (options.onError) options.onError(error);
      else throw error;
    });
    return { done, stop };
  }

  verify(options: VerifyOptions = {}): Promise<VerificationResult> {
    return verifyLedger(this, { ...options, trustedKeyIds: this.options.trustedKeyIds });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.activeSubscriptions].map((stop) => stop()));
    await this.appendQueue;
    await this.client.dispose();
  }
}

function toEventData(event: StoredEvent) {
  const metadata: LedgerMetadata = {
    raiaLedger: LEDGER_FORMAT,
    position: event.position,
    schemaVersion: event.schemaVersion,
    actor: event.actor,
    occurredAt: event.occurredAt.toISOString(),
    prevHash: event.prevHash,
    hash: event.hash,
    metadata: event.metadata,
    ...(event.correlationId === null ? {} : { $correlationId: event.correlationId }),
    ...(event.causationId === null ? {} : { $causationId: event.causationId }),
  };
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata });
}

/** The ledger event a recorded event carries, or null for system events and other applications' events. */
function toStoredEvent(recorded: Recorded | undefined): StoredEvent | null {
  if (!recorded || !recorded.isJson || recorded.streamId.startsWith('$') || recorded.type.startsWith('$')) return null;
  const m = recorded.metadata;
  if (!isLedgerMetadata(m) || !isJsonObject(recorded.data)) return null;
  return {
    id: recorded.id.toLowerCase(),
    type: recorded.type,
    schemaVersion: m.schemaVersion,
    streamId: recorded.streamId,
    streamVersion: Number(recorded.revision),
    position: m.position,
    occurredAt: new Date(m.occurredAt),
    actor: m.actor,
    correlationId: m.$correlationId ?? null,
    causationId: m.$causationId ?? null,
    data: recorded.data,
    metadata: m.metadata,
    prevHash: m.prevHash,
    hash: m.hash,
  };
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isLedgerMetadata(value: unknown): value is LedgerMetadata {
  if (!isJsonObject(value)) return false;
  return (
    value.raiaLedger === LEDGER_FORMAT &&
    Number.isSafeInteger(value.position) &&
    Number.isInteger(value.schemaVersion) &&
    typeof value.occurredAt === 'string' &&
    typeof value.prevHash === 'string' &&
    typeof value.hash === 'string' &&
    isJsonObject(value.actor) &&
    isJsonObject(value.metadata)
  );
}

/**
 * Re-appending stored ids answers with what was stored, if and only if it is the very same append
 * (same ids, same types, same order, contiguous). Returns null when none of the ids is in `tail`.
 */
function repeatedAppend(streamId: string, prepared: NewEvent[], tail: Recorded[]): AppendResult | null {
  const ids = new Set(prepared.map((e) => e.id));
  const overlapping = tail.filter((r) => ids.has(r.id.toLowerCase()));
  if (overlapping.length === 0) return null;
  const start = tail.findIndex((r) => r.id.toLowerCase() === prepared[0]!.id);
  const run = start === -1 ? [] : tail.slice(start, start + prepared.length);
  const events = run.map(toStoredEvent);
  const sameAppend =
    overlapping.length === prepared.length &&
    events.length === prepared.length &&
    events.every((e, i) => e !== null && e.streamId === streamId && e.id === prepared[i]!.id && e.type === prepared[i]!.type) &&
    events.every((e, i) => i === 0 || e!.position === events[i - 1]!.position + 1);
  if (!sameAppend) throw new DuplicateEventConflict(overlapping.map((r) => r.id.toLowerCase()));
  const stored = events as StoredEvent[];
  const last = stored[stored.length - 1]!;
  return { streamId, nextExpectedVersion: last.streamVersion, position: last.position, events: stored, duplicate: true };
}

function allFilter(filter: AllFilter | undefined): (event: StoredEvent) => boolean {
  if (!filter) return () => true;
  const types = filter.types && filter.types.length > 0 ? new Set(filter.types) : null;
  const from = filter.from?.getTime();
  const to = filter.to?.getTime();
  return (event) =>
    (types === null || types.has(event.type)) &&
    (filter.streamId === undefined || event.streamId === filter.streamId) &&
    (filter.streamCategory === undefined || streamCategory(event.streamId) === filter.streamCategory) &&
    (filter.actorId === undefined || event.actor.id === filter.actorId) &&
    (filter.correlationId === undefined || event.correlationId === filter.correlationId) &&
    (filter.causationId === undefined || event.causationId === filter.causationId) &&
    (filter.dataContains === undefined || jsonContains(event.data, filter.dataContains)) &&
    (from === undefined || event.occurredAt.getTime() >= from) &&
    (to === undefined || event.occurredAt.getTime() <= to);
}

function ignoreStreamNotFound(error: unknown): void {
  if (!(error instanceof StreamNotFoundError)) throw error;
}

/**
 * Iterates a read until `visit` returns false or the read ends. Stopping early cancels the gRPC
 * call: the reads ask for everything from a point and rely on this to stop the server.
 */
async function scan<E>(read: AsyncIterable<E> & { cancel(): Promise<void> }, visit: (item: E) => boolean): Promise<void> {
  let complete = false;
  try {
    for await (const item of read) {
      if (!visit(item)) return;
    }
    complete = true;
  } finally {
    if (!complete) await read.cancel().catch(() => undefined);
  }
}

/**
 * Sparse map from ledger position to EventStoreDB log position, learnt from `$all` reads, so a read
 * or subscription after position N starts near N instead of at the start of `$all`. It relies on
 * ledger positions growing with log order (the single-writer assumption above).
 */
class LedgerSeekIndex {
  private readonly positions: number[] = [];
  private readonly logPositions: Position[] = [];

  record(position: number, logPosition: Position | undefined) {
    if (!logPosition || position % INDEX_STRIDE !== 0) return;
    const at = this.firstAtOrAfter(position);
    if (this.positions[at] === position) return;
    this.positions.splice(at, 0, position);
    this.logPositions.splice(at, 0, logPosition);
  }

  /** Log position of the latest known ledger event at or before `position`. */
  atOrBefore(position: number): Position | undefined {
    const at = this.firstAtOrAfter(position);
    if (this.positions[at] === position) return this.logPositions[at];
    return at === 0 ? undefined : this.logPositions[at - 1];
  }

  /** Log position of the earliest known ledger event at or after `position`. */
  atOrAfter(position: number): Position | undefined {
    return this.logPositions[this.firstAtOrAfter(position)];
  }

  private firstAtOrAfter(position: number): number {
    let low = 0;
    let high = this.positions.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.positions[mid]! < position) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

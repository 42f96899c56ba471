import type { Actor, JsonObject, JsonValue, NewEvent, StoredEvent } from './envelope.js';
import type { WitnessFloor } from './ledger-witness.js';

export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export type AppendResult = {
  streamId: string;
  /** Version of the stream's last event after the append. */
  nextExpectedVersion: number;
  /** Global position of the last appended event. */
  position: number;
  events: StoredEvent[];
  /** True when every event id was already stored (an idempotent retry). */
  duplicate: boolean;
};

export type ReadStreamOptions = {
  direction?: 'forwards' | 'backwards';
  /** Forwards: first version to read; backwards: last. */
  fromVersion?: number;
  /** Inclusive upper bound on streamVersion. */
  toVersion?: number;
  /** Only events recorded at or before this instant. */
  asOf?: Date;
  limit?: number;
};

export type AllFilter = {
  types?: string[];
  streamId?: string;
  /** Matches `<category>-…` streams. */
  streamCategory?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
  correlationId?: string;
  causationId?: string;
  /** JSON containment on `data` (PostgreSQL's `@>`): every given key path must hold the given value. */
  dataContains?: JsonObject;
};

/**
 * The filter when it leaves any event out, else undefined: a filter whose criteria are all absent
 * (an API query's unset parameters, `types: []`) matches every event, and an unfiltered range is
 * counted from its ends rather than scanned.
 */
export function narrowingFilter(filter: AllFilter | undefined): AllFilter | undefined {
  if (!filter) return undefined;
  const { types, ...rest } = filter;
  return (types && types.length > 0) || Object.values(rest).some((v) => v !== undefined) ? filter : undefined;
}

export type ReadAllOptions = {
  /** Exclusive: read events with position > after. */
  after?: number;
  /** Inclusive upper bound. */
  to?: number;
  limit?: number;
  /** Matching events to skip before the page (offset pagination of list routes). */
  offset?: number;
  direction?: 'forwards' | 'backwards';
  filter?: AllFilter;
};

export type LedgerHead = { position: number; hash: string; occurredAt: Date | null };

/** A stream's last event: its version in the stream and its ledger position. */
export type StreamHead = { streamVersion: number; position: number };

export type Subscription = {
  /** Resolves when the subscription has stopped (after `stop()` or a handler error). */
  done: Promise<void>;
  stop(): Promise<void>;
};

export type SubscribeOptions = {
  /** Deliver events with position > after (a checkpoint). */
  after: number;
  batchSize?: number;
  /** Called with each batch in position order; the next batch waits for it. */
  onEvents(events: StoredEvent[]): Promise<void>;
  onError?(error: unknown): void;
};

export type VerificationResult = {
  ok: boolean;
  from: number;
  to: number;
  /** The positions walked; `whole` is false when a range left part of the ledger unchecked. */
  scope: { from: number; to: number; whole: boolean };
  checked: number;
  headPosition: number;
  headHash: string;
  firstBrokenPosition: number | null;
  reason: string | null;
  sealsChecked: number;
  /** End of the last seal's segment in the ledger (0: nothing sealed). */
  sealedThrough: number;
  /** Events after `sealedThrough` (the last seal itself among them): a truncation here shows only against the witness. */
  unsealedEvents: number;
  /** The bound checked against (see ledger-witness.ts); null when the store keeps none. */
  witness: BoundSummary | null;
  /** The newest seal held outside (the NATS seal archive), checked the same way; null when there is none or it is out of reach. */
  sealArchive: BoundSummary | null;
};

export type BoundSummary = { acknowledgedPosition: number; sealedThrough: number; writtenAt: string | null };

export type VerifyOptions = {
  from?: number;
  to?: number;
  /** A lower bound on the head kept outside the ledger: verification fails if the ledger falls short of it. */
  witness?: WitnessFloor | null;
  /** Another such bound: the newest seal an outside archive holds. */
  sealArchive?: WitnessFloor | null;
};

/**
 * An event as text, for bulk readers that pass its fields on without looking inside (exports):
 * the time as ISO 8601 text, `data` and `metadata` as JSON text as the store renders it (PostgreSQL
 * writes jsonb with a space after each `:` and `,`; parse it to compare values).
 */
export type StoredEventText = Omit<StoredEvent, 'occurredAt' | 'data' | 'metadata'> & { occurredAt: string; dataJson: string; metadataJson: string };

/** A ledger position and its event's hash: what Merkle trees and proofs are built from. */
export type PositionHash = { position: number; hash: string };

/**
 * Which events a CSV read must hand over whole, because the form a reader is shown may differ from
 * the stored one: their type and version (`type@schemaVersion`) declares classified fields, or
 * their data or metadata text holds `sealedMarker` (a sealed personal value).
 */
export type CsvDisclosureRule = { classifiedTypes: readonly string[]; sealedMarker: string };

/**
 * An event of `readAllCsv`: its position and hash, and either its CSV record (the columns listed
 * in `ledger-csv-record.ts`, RFC 4180, CRLF-terminated) or, when the disclosure rule names it, the
 * event itself as text for the caller to disclose and write.
 */
export type LedgerCsvRow = (PositionHash & { csvRecord: string }) | (StoredEventText & { csvRecord?: undefined });

/**
 * A page of `copyAllCsv`: `count` events in order with their positions and hashes (32 bytes each),
 * and the bytes of their CSV records (as `LedgerCsvRow`'s `csvRecord`), CRLF-terminated, except
 * the events the disclosure rule names, which come whole, each with the offset in `records` where
 * its record belongs.
 */
export type LedgerCsvBytes = {
  count: number;
  positions: Float64Array;
  hashes: Buffer;
  records: Buffer;
  whole: Array<{ at: number; event: StoredEventText }>;
};

/** The ledger port (ARCHITECTURE.md). Adapters: postgres (also on PGlite), eventstoredb. */
export interface EventStore {
  readonly name: string;
  append(streamId: string, events: NewEvent[], options?: { expectedVersion?: ExpectedVersion }): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  /** The stream's last event's version and position (null for a stream with no events), without reading the event. */
  streamHead(streamId: string): Promise<StreamHead | null>;
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** How many events `readAll` would find with these options and no limit or offset. */
  countAll(options?: Omit<ReadAllOptions, 'limit' | 'offset'>): Promise<number>;
  /**
   * Optional bulk reads, cheaper where an adapter can skip building typed events: the same pages
   * as `readAll` (forwards) as text, and only positions with hashes. `bulk-ledger-reads.ts` falls
   * back to `readAll` for an adapter without them.
   */
  readAllText?(options: ReadAllOptions): Promise<StoredEventText[]>;
  /** Optional: the positions and hashes of the page `readAll` would give (any direction, filter, offset). */
  readAllHashes?(options: ReadAllOptions): Promise<PositionHash[]>;
  /** Optional: the events at these positions, in position order (positions with no event are left out). */
  readEventsAt?(positions: readonly number[]): Promise<StoredEvent[]>;
  /**
   * Optional: `readAllText`'s page with each event the rule does not name already rendered as its
   * CSV record by the store, so that no per-field text reaches JavaScript (the CSV export's path).
   */
  readAllCsv?(options: ReadAllOptions, rule: CsvDisclosureRule): Promise<LedgerCsvRow[]>;
  /**
   * Optional: the events in (after, to] (forwards, filtered as `readAll`) as `readAllCsv` gives
   * them, streamed in one read as bytes: no record or field becomes a JavaScript string.
   */
  copyAllCsv?(options: { after: number; to: number; filter?: AllFilter }, rule: CsvDisclosureRule): AsyncIterable<LedgerCsvBytes>;
  head(): Promise<LedgerHead>;
  /**
   * Optional: calls `listener` with a position once the ledger is known to reach it (this
   * process's commits, and others' where the adapter hears them), on a later turn of the event
   * loop. Only a hint that there is something to read: followers still read the ledger itself.
   */
  onCommitted?(listener: (position: number) => void): () => void;
  /**
   * Optional: `readAll({ after, limit })` for a follower of the ledger woken by a commit, which may
   * share one query with this process's other followers reading the same page at the same moment
   * (shared-page-reads.ts). Each caller gets its own copy of the events.
   */
  readFollowing?(after: number, limit: number): Promise<StoredEvent[]>;
  /** Catch up from `after`, then follow live; every position exactly once, in order. */
  subscribeToAll(options: SubscribeOptions): Subscription;
  /** Re-walks the hash chain (and seals) over [from, to]; names the first broken position. */
  verify(options?: VerifyOptions): Promise<VerificationResult>;
  close(): Promise<void>;
}

export class WrongExpectedVersion extends Error {
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    public readonly streamId: string,
    public readonly expected: ExpectedVersion,
    public readonly actual: number | null,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, actual ${actual === null ? 'no stream' : actual}`);
    this.name = 'WrongExpectedVersion';
  }
}

/** Throws WrongExpectedVersion unless the stream's current version satisfies `expected`. */
export function checkExpectedVersion(streamId: string, expected: ExpectedVersion, current: number | null): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === null) ||
    (expected === 'stream_exists' && current !== null) ||
    (typeof expected === 'number' && current === expected);
  if (!ok) throw new WrongExpectedVersion(streamId, expected, current);
}

/** JSON containment as PostgreSQL's jsonb `@>` defines it (objects by key, arrays by membership). */
export function jsonContains(container: JsonValue, contained: JsonValue): boolean {
  if (Array.isArray(contained)) {
    if (!Array.isArray(container)) return false;
    return contained.every((c) => container.some((x) => jsonContains(x, c)));
  }
  if (typeof contained === 'object' && contained !== null) {
    if (typeof container !== 'object' || container === null || Array.isArray(container)) return false;
    // Own keys only: `in` would find `__proto__` (and `constructor`, …) on every object, as PostgreSQL does not.
    return Object.entries(contained).every(([k, v]) => Object.hasOwn(container, k) && jsonContains(container[k]!, v));
  }
  return container === contained;
}

export class DuplicateEventConflict extends Error {
  readonly code = 'DUPLICATE_EVENT_CONFLICT';
  constructor(public readonly eventIds: string[]) {
    super(`event ids already stored in a different append: ${eventIds.join(', ')}`);
    this.name = 'DuplicateEventConflict';
  }
}

export class InvalidEvent extends Error {
  readonly code = 'INVALID_EVENT';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEvent';
  }
}

export type { Actor };

import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sqlText, type RunCopyScript, type Database, type Knex, type RunScript } from '../../platform/database.js';
import { CoalescedLookup } from '../../platform/coalesced-lookup.js';
import { inContextOf } from '../../platform/tracing.js';
import { pollAll } from '../all-subscription.js';
import { sharedPageReads } from '../shared-page-reads.js';
import type { Actor, JsonObject, NewEvent, StoredEvent } from '../envelope.js';
import {
  checkExpectedVersion,
  DuplicateEventConflict,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type LedgerHead,
  type PositionHash,
  type ReadAllOptions,
  type StoredEventText,
  type ReadStreamOptions,
  type StreamHead,
  type SubscribeOptions,
  type Subscription,
  type VerificationResult,
  type VerifyOptions,
  type AllFilter,
  narrowingFilter,
  type CsvDisclosureRule,
  type LedgerCsvBytes,
  type LedgerCsvRow,
} from '../event-store.js';
import { COPY_SOURCE_COLUMNS, ledgerCsvCopy } from './ledger-csv-copy.js';
import { CsvCopyPageReader } from './ledger-csv-copy-pages.js';
import { CSV_SOURCE_COLUMNS, OCCURRED_AT_TEXT, csvPageQuery } from './ledger-csv-record.js';
import { GENESIS_HASH, chainEvents } from '../hash-chain.js';
import { verifyLedger } from '../ledger-verification.js';
import { EVENTS_TABLE } from './ledger-schema.js';
import { ledgerCoordination, type LedgerCoordination } from './ledger-coordination.js';
import { validateNewEvents, validateStreamId, type ValidatedEvent } from '../new-event-validation.js';
import { decideOnView, MAX_VIEW_STREAMS, type LedgerView } from './ledger-view.js';
import { copyRows, LEDGER_COPY_COLUMNS, unchainedFields } from './ledger-copy-rows.js';
import { insertRowsStatement } from './ledger-insert-rows.js';

const MAX_READ = 10_000;
/** The projection runner's page: followers with smaller pages (500 by default) join its reads. */
const SHARED_PAGE_MIN_LIMIT = 1000;
/** How long a page read for followers may be handed to others (see shared-page-reads.ts); well under the poll interval. */
const SHARED_PAGE_MAX_AGE_MS = 100;
/**
 * An unfiltered CSV copy streams in position order from the primary key. With no statistics yet (a ledger
 * just filled, before autovacuum has analysed it) the planner took a bitmap scan and a sort of the
 * whole range instead, which PostgreSQL must finish, to disk beyond work_mem, before the first row.
 */
const COPY_PLAN = { enable_sort: 'off' };
/** Appends write their rows with COPY (see ledger-copy-rows.ts). */
const COPY_EVENTS = `COPY ${EVENTS_TABLE} (${LEDGER_COPY_COLUMNS.join(', ')}) FROM STDIN`;

type EventRow = {
  position: number | string;
  id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  occurred_at: Date;
  actor: Actor;
  correlation_id: string | null;
  causation_id: string | null;
  data: JsonObject;
  metadata: JsonObject;
  prev_hash: string;
  hash: string;
};

const COLUMNS =
  'position, id, stream_id, stream_version, type, schema_version, occurred_at, actor, correlation_id, causation_id, data, metadata, prev_hash, hash';

const toEvent = (row: EventRow): StoredEvent => ({
  id: row.id,
  type: row.type,
  schemaVersion: row.schema_version,
  streamId: row.stream_id,
  streamVersion: row.stream_version,
  position: Number(row.position),
  occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at),
  actor: row.actor,
  correlationId: row.correlation_id,
  causationId: row.causation_id,
  data: row.data,
  metadata: row.metadata,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** The columns of an event as text; the time in the form `Date#toISOString` writes (the ledger keeps milliseconds). */
// Each cast is renamed: ORDER BY "position" would otherwise sort by the text output column ('10' < '7').
const TEXT_COLUMNS = `position::text AS position_text, id::text, stream_id, stream_version::text, type, schema_version::text,
  ${OCCURRED_AT_TEXT},
  actor->>'kind', actor->>'id', actor->>'role', actor->>'apiKeyId', correlation_id, causation_id, data::text, metadata::text, prev_hash, hash`;

function textActor(kind: string, id: string, role: string | null, apiKeyId: string | null): Actor {
  if (kind === 'user') return apiKeyId === null ? { kind, id, role: role ?? '' } : { kind, id, role: role ?? '', apiKeyId };
  return { kind: kind as 'service' | 'system', id };
}

const textEvent = (r: (string | null)[]): StoredEventText => ({
  id: r[1]!,
  type: r[4]!,
  schemaVersion: Number(r[5]),
  streamId: r[2]!,
  streamVersion: Number(r[3]),
  position: Number(r[0]),
  occurredAt: r[6]!,
  actor: textActor(r[7]!, r[8]!, r[9]!, r[10]!),
  correlationId: r[11]!,
  causationId: r[12]!,
  dataJson: r[13]!,
  metadataJson: r[14]!,
  prevHash: r[15]!,
  hash: r[16]!,
});

/**
 * A statement with `$n` placeholders with its values written in as literals, for statements that
 * take no bind parameters (COPY): numbers as numbers, text and times dollar-quoted (`sqlText`).
 */
function withLiterals(sql: string, values: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = values[Number(n) - 1];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'string') return sqlText(value);
    if (value instanceof Date) return sqlText(value.toISOString());
    throw new Error(`no literal for the value of $${n} (${typeof value})`);
  });
}

/** A text[] literal of these strings. */
const textArray = (values: readonly string[]) => `${sqlText(`{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`)}::text[]`;

type PendingAppend = {
  streamId: string;
  events: ValidatedEvent[];
  /** Per event, its COPY row's fields that do not depend on its place in the chain, made before the lock (empty when not `writesRowsByCopy`). */
  unchained: string[];
  expectedVersion: ExpectedVersion;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
};
type AppendOutcome = { result: AppendResult } | { error: unknown };

/**
 * Longest one macrotask validates waiting appends for. One append per macrotask kept the lock's
 * holder from waiting on this thread, but under HTTP load each macrotask is a turn of an event loop
 * serving dozens of requests: the twentieth of twenty waiting appends waited twenty turns, and a
 * model update 90 ms of its 100 (BENCHMARKS.md, twelfth session). A millisecond validates those
 * twenty and still leaves a large append's neighbours to the next turn.
 */
const VALIDATION_SLICE_MS = 1;
/** Most events one group-commit transaction takes; a larger single append still goes alone. */
const MAX_GROUP_EVENTS = 5000;
/** Longest a committed group's callers wait for the next group's insert to be sent before they are answered anyway. */
const SETTLE_HOLD_MS = 5;
/**
 * Optimistic groups sent at once: one committing while the next ones are parsed and indexed by
 * their own backends and wait on the append lock, already chained by this thread, so the lock
 * passes from one group to the next without a round trip or any of this thread's work in between.
 * Four keeps both cores of a small machine busy with eight writers (two left one idle a quarter of
 * the time); deeper, more groups reach their wait before the group ahead has started (each such
 * group is redone under the lock, see docs/ledger.md) and the pool has fewer connections for reads.
 */
const PIPELINE_DEPTH = 4;
/**
 * Events that must be ready before a group is sent behind those in flight rather than after the
 * oldest commits: a smaller group has too little parsing and indexing to overlap and would cost a
 * transaction of its own (eight single-event writers then commit twice as many groups, slower).
 */
const MIN_PIPELINED_EVENTS = 100;

/** An optimistic group on its way: answered when `done` says it committed, redone under the lock otherwise. */
type InFlightGroup = { group: PendingAppend[]; results: AppendResult[]; done: Promise<{ committed: true } | { committed: false; error?: unknown }> };

/**
 * FROM clause giving each stream id (`s.stream_id`) its current version (`v.version`, null for a
 * stream without events). Per-stream LATERAL lookups keep every read on an index (a grouped IN-list
 * makes the planner scan the table).
 */
const streamVersionsFrom = (streamIds: string[]): string =>
  `FROM jsonb_array_elements_text(${sqlText(JSON.stringify(streamIds))}::jsonb) AS s(stream_id)
     LEFT JOIN LATERAL (SELECT stream_version AS version FROM ${EVENTS_TABLE} WHERE stream_id = s.stream_id ORDER BY stream_version DESC LIMIT 1) v ON true`;

/** Each event of a group by event id. */
function validatedByEventId(group: PendingAppend[]): Map<string, ValidatedEvent> {
  const validatedOf = new Map<string, ValidatedEvent>();
  for (const a of group) for (const e of a.events) validatedOf.set(e.id, e);
  return validatedOf;
}

/** Each event's unchained row fields (made before the lock) by event id. */
function unchainedByEventId(group: PendingAppend[]): Map<string, string> {
  const unchainedOf = new Map<string, string>();
  for (const a of group) a.events.forEach((e, i) => unchainedOf.set(e.id, a.unchained[i]!));
  return unchainedOf;
}

/** PostgreSQL's unique_violation (also PGlite's): here, an event id that is stored already. */
const isUniqueViolation = (error: unknown): boolean => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

export type PostgresEventStoreOptions = {
  clock?: () => Date;
  /** Seal signers whose keys `verify` accepts; absent: any key whose signature checks out. */
  trustedKeyIds?: Set<string>;
  pollIntervalMs?: number;
};

/**
 * The ledger on PostgreSQL or PGlite. Appends are serialised by a transaction-scoped advisory lock,
 * so positions are assigned densely (head + 1, no sequence gaps) and commit in position order;
 * the hash chain is extended in the same transaction. Within a process, concurrent appends are
 * committed together (group commit).
 */
export class PostgresEventStore implements EventStore {
  readonly name: string;
  private readonly knex: Knex;
  private readonly clock: () => Date;
  private readonly appended = new EventEmitter();
  private unlisten: Promise<() => Promise<void>> | null = null;
  /** Appends waiting to be validated (see `validateNext`), then to be written. */
  private readonly unvalidated: (Omit<PendingAppend, 'events' | 'unchained'> & { events: NewEvent[] })[] = [];
  private readonly pending: PendingAppend[] = [];
  private draining = false;
  /** Wakes a drain waiting on an optimistic group in flight when an append is ready to be sent behind it. */
  private wakeDrain: (() => void) | null = null;
  /** The last committed group's settlement, held back until the next group's insert is on its way (see `holdSettlement`). */
  private unsettled: { settle: () => void; timer: NodeJS.Timeout } | null = null;
  /** The ledger as of this process's latest append (PostgreSQL only; see `sendOptimistic`); null: unknown, decide under the lock. */
  private view: LedgerView | null = null;
  /** Optimistic groups take an advisory lock (groupLockSpace, sequence) so the next one can wait for their transaction to end. */
  private readonly groupLockSpace = randomInt(1, 0x7fffffff);
  /** PostgreSQL takes the rows by COPY; PGlite by an INSERT made from the events themselves (see ledger-insert-rows.ts). */
  private readonly writesRowsByCopy: boolean;
  private groupSequence = 0;
  /** This ledger's NOTIFY channel and advisory lock keys, its schema's own (ledger-coordination.ts). */
  private readonly coordination: LedgerCoordination;
  /** The highest position subscribers of this process have been told of (by an append here or a NOTIFY). */
  private announced = 0;
  /** The pages this process's subscriptions read, one query for all followers asking at once. */
  private readonly subscriptionReads = sharedPageReads((after, limit) => this.readAll({ after, limit }), {
    minLimit: SHARED_PAGE_MIN_LIMIT,
    knownHead: () => this.announced,
    maxAgeMs: SHARED_PAGE_MAX_AGE_MS,
  });
  /** Groups committed by each path, and optimistic ones redone under the lock (another writer moved the head, or the database refused them). */
  readonly groupCounts = { optimistic: 0, locked: 0, redone: 0 };
  /** Present where the database streams COPY output (PostgreSQL): see `copyCsv`. */
  readonly copyAllCsv?: (options: { after: number; to: number; filter?: AllFilter }, rule: CsvDisclosureRule) => AsyncIterable<LedgerCsvBytes>;

  constructor(
    private readonly db: Database,
    private readonly options: PostgresEventStoreOptions = {},
  ) {
    this.name = db.dialect;
    this.writesRowsByCopy = db.dialect === 'postgres';
    this.coordination = ledgerCoordination(db.schema);
    this.knex = db.knex;
    this.clock = options.clock ?? (() => new Date());
    this.appended.setMaxListeners(0);
    if (db.copyOut) this.copyAllCsv = (options, rule) => this.copyCsv(db.copyOut!.bind(db), options, rule);
  }

  async append(streamId: string, events: NewEvent[], options: { expectedVersion?: ExpectedVersion } = {}): Promise<AppendResult> {
    validateStreamId(streamId);
    const expectedVersion = options.expectedVersion ?? 'any';
    return new Promise<AppendResult>((resolve, reject) => {
      this.unvalidated.push({ streamId, events, expectedVersion, resolve, reject });
      if (this.unvalidated.length === 1) setImmediate(this.validateNext);
    });
  }

  /**
   * Validates and canonicalises waiting appends for up to VALIDATION_SLICE_MS per macrotask, outside
   * the critical section (only position-dependent hashing happens under the lock), and queues them
   * for the next group. In slices, so the group in flight's replies are handled between them rather
   * than after all of them: the lock is not held while this thread prepares appends that will wait anyway.
   */
  private readonly validateNext = (): void => {
    const started = performance.now();
    while (this.unvalidated.length > 0 && performance.now() - started < VALIDATION_SLICE_MS) this.validateOne();
    if (this.unvalidated.length > 0) setImmediate(this.validateNext);
  };

  /** Validates the oldest waiting append and queues it (or refuses it). */
  private validateOne(): void {
    const next = this.unvalidated.shift();
    if (!next) return;
    let prepared: ValidatedEvent[];
    try {
      prepared = validateNewEvents(next.events);
    } catch (error) {
      next.reject(error);
      return;
    }
    this.pending.push({ ...next, events: prepared, unchained: this.writesRowsByCopy ? prepared.map(unchainedFields) : [] });
    // The drain serves every append waiting in this process, not the one that started it: its
    // queries must not be traced as that request's.
    if (!this.wakeDrain) void inContextOf(null, () => this.drain());
    else if (this.pending.reduce((n, a) => n + a.events.length, 0) >= MIN_PIPELINED_EVENTS) this.wakeDrain();
  }

  /**
   * Group commit: appends waiting in this process share one transaction (one lock, one insert, one
   * fsync), each still checked on its own; the lock orders them against other processes. While this
   * process knows the ledger's head (its own last commit), groups are decided and chained here and
   * sent ahead (`sendOptimistic`); otherwise, or when one needs the database to be decided, a group
   * reads the state under the lock first (`commitGroup`). Either way groups commit in order.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const inFlight: InFlightGroup[] = [];
    try {
      while (this.pending.length > 0 || inFlight.length > 0) {
        if (this.pending.length === 0 && inFlight.length < PIPELINE_DEPTH) {
          // Wait for the oldest group to commit or for enough appends to send behind it, whichever comes first.
          const appendReady = new Promise<void>((resolve) => (this.wakeDrain = resolve));
          const committed = await Promise.race([inFlight[0]!.done.then(() => true), appendReady.then(() => false)]);
          this.wakeDrain = null;
          if (!committed) continue;
        }
        if (this.pending.length === 0 || inFlight.length >= PIPELINE_DEPTH) {
          await this.settleOldest(inFlight);
          continue;
        }
        const group = this.takeGroup();
        let sent: InFlightGroup | null = null;
        if (this.view) {
          sent = await this.sendOptimistic(group, inFlight.length === 0).catch(() => {
            this.view = null; // the lookup failed: the locked path reports it to the callers
            return null;
          });
        }
        if (sent) {
          inFlight.push(sent);
          continue;
        }
        while (inFlight.length > 0) await this.settleOldest(inFlight);
        await this.commitGroup(group);
      }
    } finally {
      this.releaseSettled();
      this.draining = false;
    }
  }

  private takeGroup(): PendingAppend[] {
    let events = 0;
    let take = 0;
    while (take < this.pending.length && (take === 0 || events + this.pending[take]!.events.length <= MAX_GROUP_EVENTS)) events += this.pending[take++]!.events.length;
    return this.pending.splice(0, take);
  }

  /**
   * Decides and chains a group against the view and sends its insert, guarded under the lock by
   * "the head is still the one this chain starts from". Unknown streams' versions are read first,
   * without the lock: a stream this process has no group in flight for is not changed by them, and
   * a change by another writer moves the head, which the guard catches. Returns null when the group
   * must be decided under the lock instead.
   */
  private async sendOptimistic(group: PendingAppend[], nothingInFlight: boolean): Promise<InFlightGroup | null> {
    const view = this.view!;
    if (nothingInFlight && view.versions.size > MAX_VIEW_STREAMS) view.versions = new Map();
    const unknown = [...new Set(group.map((a) => a.streamId))].filter((id) => !view.versions.has(id));
    if (unknown.length > 0) {
      const [rows] = (await this.db.withScriptConnection((run) =>
        run(
          `SELECT s.stream_id, v.version ${streamVersionsFrom(unknown)}`,
        ),
      )) as { stream_id: string; version: number | null }[][];
      if (this.view !== view) return null;
      for (const r of rows ?? []) view.versions.set(r.stream_id, r.version === null ? null : Number(r.version));
    }
    const decided = decideOnView(view, group, this.clock());
    if (!decided) return null;
    const last = decided.inserts[decided.inserts.length - 1]!;
    const first = decided.inserts[0]!;
    const seq = (this.groupSequence = (this.groupSequence + 1) % 0x7fffffff);
    // Inserted before the append lock is taken, so the database parses and indexes this group while
    // the previous one commits; the lock is then taken after the previous group's transaction ended
    // (its group lock), and the chain is checked under it: the event before this group's first must
    // be committed with the hash this group chained from, or `1 / 0` aborts the transaction.
    const script = `BEGIN;
      SELECT pg_advisory_xact_lock_shared(${this.coordination.insertPhaseLockKey}), pg_advisory_xact_lock(${this.groupLockSpace}, ${seq});
      ${COPY_EVENTS};
      SELECT pg_advisory_xact_lock_shared(${this.groupLockSpace}, ${seq === 0 ? 0x7ffffffe : seq - 1});
      SELECT pg_advisory_xact_lock(${this.coordination.appendLockKey});
      SELECT 1 / count(*) FROM ${EVENTS_TABLE} WHERE position = ${first.position - 1} AND hash = '${first.prevHash}';
      SELECT pg_notify('${this.coordination.channel}', '${last.position}');
      COMMIT`;
    const rows = copyRows(decided.inserts, unchainedByEventId(group));
    const done = this.db.withScriptConnection(async (run, runCopy) => {
      try {
        await runCopy(script, rows);
        return { committed: true } as const;
      } catch (error) {
        await run('ROLLBACK').catch(() => undefined);
        return { committed: false, error } as const;
      }
    });
    this.releaseSettled();
    return { group, results: decided.results, done };
  }

  /**
   * Answers the oldest optimistic group once it committed. If it did not (another writer moved the
   * head, or the database refused it), the groups sent after it cannot have either: the view is
   * dropped and they are all decided again under the lock, in order.
   */
  private async settleOldest(inFlight: InFlightGroup[]): Promise<void> {
    const oldest = inFlight.shift()!;
    const outcome = await oldest.done;
    if (outcome.committed) {
      this.answerOptimistic(oldest);
      if (inFlight.length > 0) this.releaseSettled();
      return;
    }
    this.view = null;
    this.releaseSettled();
    const redo = [{ group: oldest.group, probeStoredIds: isUniqueViolation(outcome.error) }];
    for (const later of inFlight.splice(0)) {
      const o = await later.done;
      if (o.committed) this.answerOptimistic(later);
      else redo.push({ group: later.group, probeStoredIds: isUniqueViolation(o.error) });
    }
    this.groupCounts.redone += redo.length;
    for (const r of redo) await this.commitGroup(r.group, r.probeStoredIds);
  }

  /**
   * A committed group is answered once the next group's insert has been sent (or no group follows,
   * or after SETTLE_HOLD_MS), on the next macrotask: its callers then validate and canonicalise
   * their next appends on this thread while the database inserts, rather than while the append lock
   * waits for this thread to chain the next group. Groups are answered in commit order.
   */
  private holdSettlement(settle: () => void): void {
    this.releaseSettled();
    this.unsettled = { settle, timer: setTimeout(() => this.releaseSettled(), SETTLE_HOLD_MS) };
  }

  private releaseSettled(): void {
    const held = this.unsettled;
    if (!held) return;
    this.unsettled = null;
    clearTimeout(held.timer);
    setImmediate(held.settle);
  }

  private async commitGroup(group: PendingAppend[], probeStoredIds = false): Promise<void> {
    let outcomes: AppendOutcome[];
    this.view = null;
    try {
      let view: LedgerView;
      ({ outcomes, view } = await this.db.withScriptConnection((run, runCopy) => this.writeGroup(run, runCopy, group, probeStoredIds)));
      // Only PostgreSQL pipelines: PGlite is one connection in this process, with no round trip to save.
      if (this.db.dialect === 'postgres' && view.head.position > 0) this.view = view;
      this.groupCounts.locked++;
    } catch (error) {
      this.releaseSettled();
      // An event id is stored already (a retried append, or one racing it): decide again, this time knowing which.
      if (!probeStoredIds && isUniqueViolation(error)) return this.commitGroup(group, true);
      if (group.length === 1) {
        setImmediate(() => group[0]!.reject(error));
        return;
      }
      // The database refused the group: retry each append alone, so only the faulty one fails.
      for (const single of group) await this.commitGroup([single], probeStoredIds);
      return;
    }
    this.answer(group, outcomes);
  }

  private answerOptimistic(committed: InFlightGroup): void {
    this.groupCounts.optimistic++;
    this.answer(committed.group, committed.results.map((result) => ({ result })));
  }

  /** Answers a committed group's callers (see `holdSettlement`) and wakes this process's subscribers. */
  private answer(group: PendingAppend[], outcomes: AppendOutcome[]): void {
    this.holdSettlement(() => {
      let position = 0;
      outcomes.forEach((outcome, i) => {
        if ('error' in outcome) return group[i]!.reject(outcome.error);
        if (!outcome.result.duplicate) position = Math.max(position, outcome.result.position);
        group[i]!.resolve(outcome.result);
      });
      if (position > 0) this.announce(position);
    });
  }

  /**
   * Tells this process's subscribers that the ledger reaches `position`. They are woken on the next
   * turn of the event loop, not inside the append's settlement: the appender's continuation (an
   * HTTP answer) runs first instead of queueing behind every follower's read of the new events.
   * `announced` is set at once, so a follower that starts waiting in between does not sleep.
   */
  private announce(position: number): void {
    if (!Number.isFinite(position) || position <= this.announced) return;
    this.announced = position;
    setImmediate(() => this.appended.emit('appended', position));
  }

  /**
   * One append transaction in two round trips: BEGIN, the lock and the state read as one script;
   * then the rows' COPY (on PGlite, an INSERT: see ledger-insert-rows.ts), the NOTIFY and COMMIT
   * as another. Statements of a script each
   * take a fresh snapshot, so the state is read after the lock is held.
   */
  private async writeGroup(run: RunScript, runCopy: RunCopyScript, group: PendingAppend[], probeStoredIds: boolean): Promise<{ outcomes: AppendOutcome[]; view: LedgerView }> {
    try {
      const { outcomes, inserts, view } = await this.decideGroup(run, group, probeStoredIds);
      const notifyAndCommit = `SELECT pg_notify('${this.coordination.channel}', '${view.head.position}'); COMMIT`;
      let committed: Promise<unknown>;
      if (inserts.length === 0) committed = run('COMMIT');
      else if (this.writesRowsByCopy) committed = runCopy(`${COPY_EVENTS}; ${notifyAndCommit}`, copyRows(inserts, unchainedByEventId(group)));
      else committed = run(`${insertRowsStatement(EVENTS_TABLE, inserts, validatedByEventId(group))}; ${notifyAndCommit}`);
      this.releaseSettled();
      await committed;
      return { outcomes, view };
    } catch (error) {
      await run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Reads the state under the lock, settles each append, and returns the accepted ones' events, chained.
   * Which of the group's event ids are stored already is only looked up when `probeStoredIds`: first
   * the group is tried without, and the id's unique index refusing the insert sends it here again.
   */
  private async decideGroup(run: RunScript, group: PendingAppend[], probeStoredIds: boolean): Promise<{ outcomes: AppendOutcome[]; inserts: StoredEvent[]; view: LedgerView }> {
    const streamIds = [...new Set(group.map((a) => a.streamId))];
    const existing = probeStoredIds
      ? `(SELECT array_agg(e.id::text) FROM ${EVENTS_TABLE} e WHERE e.id IN (SELECT value::uuid FROM jsonb_array_elements_text(${sqlText(JSON.stringify(group.flatMap((a) => a.events.map((e) => e.id))))}::jsonb)))`
      : 'NULL::text[]';
    const results = await run(
      `BEGIN;
       SELECT pg_advisory_xact_lock(${this.coordination.insertPhaseLockKey}), pg_advisory_xact_lock(${this.coordination.appendLockKey});
       SELECT (SELECT coalesce(jsonb_object_agg(s.stream_id, v.version), '{}'::jsonb) ${streamVersionsFrom(streamIds)}) AS versions,
              h.position, h.hash, h.occurred_at,
              ${existing} AS existing
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT position, hash, occurred_at FROM ${EVENTS_TABLE} ORDER BY position DESC LIMIT 1) h ON true`,
    );
    const rows = results[2] as { versions: Record<string, number | null>; position: string | number | null; hash: string | null; occurred_at: Date | null; existing: string[] | null }[];
    const state = rows[0]!;
    const versions = new Map<string, number | null>(Object.entries(state.versions).map(([k, v]) => [k, v === null ? null : Number(v)]));
    const stored = new Set(state.existing ?? []);
    let head = { position: state.position === null ? 0 : Number(state.position), hash: state.hash ?? GENESIS_HASH };
    const now = this.clock();
    // occurredAt never goes backwards along the chain, so "as of T" reads are a prefix of $all.
    const occurredAt = state.occurred_at && state.occurred_at > now ? new Date(state.occurred_at) : now;

    const outcomes: AppendOutcome[] = [];
    const inserts: StoredEvent[] = [];
    const acceptedHere = new Map<string, AppendResult>();
    for (const append of group) {
      const { streamId, events } = append;
      const repeated = events.filter((e) => stored.has(e.id)).map((e) => e.id);
      if (repeated.length > 0) {
        outcomes.push(await this.idempotentOutcome(run, streamId, events, repeated));
        continue;
      }
      const earlier = acceptedHere.get(events[0]!.id);
      if (earlier || events.some((e) => acceptedHere.has(e.id))) {
        const same = earlier && earlier.streamId === streamId && earlier.events.length === events.length && earlier.events.every((e, i) => e.id === events[i]!.id && e.type === events[i]!.type);
        outcomes.push(same ? { result: { ...earlier, duplicate: true } } : { error: new DuplicateEventConflict(events.filter((e) => acceptedHere.has(e.id)).map((e) => e.id)) });
        continue;
      }
      const current = versions.get(streamId) ?? null;
      try {
        checkExpectedVersion(streamId, append.expectedVersion, current);
      } catch (error) {
        // A retried append that was stored finds its stream moved on: it is answered as a duplicate, not refused.
        const storedHere = probeStoredIds ? [] : await this.storedIds(run, events);
        outcomes.push(storedHere.length > 0 ? await this.idempotentOutcome(run, streamId, events, storedHere) : { error });
        continue;
      }
      const chained = chainEvents(streamId, events, current, head, occurredAt);
      const last = chained[chained.length - 1]!;
      head = { position: last.position, hash: last.hash };
      versions.set(streamId, last.streamVersion);
      inserts.push(...chained);
      const result: AppendResult = { streamId, nextExpectedVersion: last.streamVersion, position: last.position, events: chained, duplicate: false };
      for (const e of events) acceptedHere.set(e.id, result);
      outcomes.push({ result });
    }
    const view: LedgerView = { head: { ...head, occurredAt: inserts.length > 0 ? occurredAt : (state.occurred_at ?? occurredAt) }, versions };
    return { outcomes, view, inserts };
  }

  /** Which of these events' ids are stored already. */
  private async storedIds(run: RunScript, events: NewEvent[]): Promise<string[]> {
    const [rows] = (await run(
      `SELECT id::text AS id FROM ${EVENTS_TABLE} WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text(${sqlText(JSON.stringify(events.map((e) => e.id)))}::jsonb))`,
    )) as { id: string }[][];
    return (rows ?? []).map((r) => r.id);
  }

  /** Re-appending stored ids answers with what was stored, if and only if it is the very same append. */
  private async idempotentOutcome(run: RunScript, streamId: string, prepared: NewEvent[], existing: string[]): Promise<AppendOutcome> {
    const [rows] = (await run(
      `SELECT ${COLUMNS} FROM ${EVENTS_TABLE} WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text(${sqlText(JSON.stringify(prepared.map((e) => e.id)))}::jsonb)) ORDER BY position`,
    )) as EventRow[][];
    const events = (rows ?? []).map(toEvent);
    const sameAppend =
      existing.length === prepared.length &&
      events.every((e, i) => e.streamId === streamId && e.id === prepared[i]!.id && e.type === prepared[i]!.type) &&
      events.every((e, i) => i === 0 || e.position === events[i - 1]!.position + 1);
    if (!sameAppend) return { error: new DuplicateEventConflict(existing) };
    const last = events[events.length - 1]!;
    return { result: { streamId, nextExpectedVersion: last.streamVersion, position: last.position, events, duplicate: true } };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const backwards = options.direction === 'backwards';
    const q = this.knex(EVENTS_TABLE).select(this.knex.raw(COLUMNS)).where('stream_id', streamId);
    if (options.fromVersion !== undefined) q.where('stream_version', backwards ? '<=' : '>=', options.fromVersion);
    if (options.toVersion !== undefined) q.where('stream_version', '<=', options.toVersion);
    if (options.asOf) q.where('occurred_at', '<=', options.asOf.toISOString());
    q.orderBy('stream_version', backwards ? 'desc' : 'asc');
    if (options.limit !== undefined) q.limit(options.limit);
    const rows: EventRow[] = await q;
    return rows.map(toEvent);
  }

  async streamHead(streamId: string): Promise<StreamHead | null> {
    const head = await this.streamHeads.get(streamId);
    // A copy per caller: the answer is shared by every caller of the same query.
    return head ? { ...head } : null;
  }

  /** Heads of the streams asked for at the same time, in one query (coalesced-lookup.ts). */
  private readonly streamHeads = new CoalescedLookup<string, StreamHead>(async (streamIds) => {
    // Per stream, the (stream_id, stream_version) index read backwards: one row, and no event decoded.
    const rows = (
      streamIds.length === 1
        ? await this.knex(EVENTS_TABLE).select('stream_id', 'stream_version', 'position').where('stream_id', streamIds[0]!).orderBy('stream_version', 'desc').limit(1)
        : (
            await this.knex.raw(
              `SELECT s.id AS stream_id, h.stream_version, h.position FROM (VALUES ${streamIds.map(() => '(?)').join(', ')}) AS s(id)
               CROSS JOIN LATERAL (SELECT stream_version, position FROM ${EVENTS_TABLE} e WHERE e.stream_id = s.id ORDER BY stream_version DESC LIMIT 1) h`,
              streamIds,
            )
          ).rows
    ) as { stream_id: string; stream_version: number; position: number | string }[];
    return new Map(rows.map((r) => [r.stream_id, { streamVersion: r.stream_version, position: Number(r.position) }]));
  });

  /** The query of a `readAll` page, selecting `columns`. */
  private allQuery(options: ReadAllOptions, columns: string) {
    const limit = Math.min(options.limit ?? 1000, MAX_READ);
    const offset = options.offset ?? 0;
    return this.allMatches(options, limit + offset)
      .select(this.knex.raw(columns))
      .orderBy('position', options.direction === 'backwards' ? 'desc' : 'asc')
      .limit(limit)
      .offset(offset);
  }

  /** The events a `readAll` reads from, unordered; `span` is how far past `after` a page may reach. */
  private allMatches(options: Omit<ReadAllOptions, 'limit' | 'offset'>, span: number | null) {
    const backwards = options.direction === 'backwards';
    const q = this.knex(EVENTS_TABLE);
    if (options.after !== undefined) q.where('position', backwards ? '<' : '>', options.after);
    if (options.to !== undefined) q.where('position', '<=', options.to);
    const f = narrowingFilter(options.filter);
    // Positions are dense, so an unfiltered page is exactly the next `limit` positions: bounding the
    // range says so to the planner, which otherwise may bitmap-scan everything up to `to` for every
    // page (with stale statistics it did: a whole-ledger verify of 340,000 events ran at 8k/s).
    if (!f && options.after !== undefined && span !== null) q.where('position', backwards ? '>=' : '<=', backwards ? options.after - span : options.after + span);
    if (f) {
      if (f.types && f.types.length > 0) q.whereIn('type', f.types);
      if (f.streamId !== undefined) q.where('stream_id', f.streamId);
      if (f.streamCategory !== undefined) q.where('stream_category', f.streamCategory);
      if (f.actorId !== undefined) q.where('actor_id', f.actorId);
      if (f.correlationId !== undefined) q.where('correlation_id', f.correlationId);
      if (f.causationId !== undefined) q.where('causation_id', f.causationId);
      if (f.dataContains !== undefined) q.whereRaw('data @> ?::jsonb', [JSON.stringify(f.dataContains)]);
      if (f.from) q.where('occurred_at', '>=', f.from.toISOString());
      if (f.to) q.where('occurred_at', '<=', f.to.toISOString());
    }
    return q;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.allQuery(options, COLUMNS);
    return rows.map(toEvent);
  }

  async countAll(options: Omit<ReadAllOptions, 'limit' | 'offset'> = {}): Promise<number> {
    if (!narrowingFilter(options.filter)) {
      // Positions are dense (1 … head): an unfiltered range is counted from its ends, not scanned.
      const { position: head } = await this.head();
      const upper = Math.min(head, options.to ?? head, options.direction === 'backwards' && options.after !== undefined ? options.after - 1 : head);
      const lower = options.direction === 'backwards' ? 0 : (options.after ?? 0);
      return Math.max(0, upper - lower);
    }
    const [row] = (await this.allMatches(options, null).count({ count: '*' })) as [{ count: string | number }];
    return Number(row.count);
  }

  /** `readAll` as text: the rows come as the server's text and are not parsed (no JSON, no dates), which is most of a bulk read's cost. */
  async readAllText(options: ReadAllOptions): Promise<StoredEventText[]> {
    const { sql, bindings } = this.allQuery({ ...options, direction: 'forwards' }, TEXT_COLUMNS).toSQL().toNative();
    const rows = await this.db.queryTextRows(sql, bindings);
    return rows.map(textEvent);
  }

  /** `readAllText`'s page with the events the rule does not name rendered as CSV records by PostgreSQL (ledger-csv-record.ts). */
  async readAllCsv(options: ReadAllOptions, rule: CsvDisclosureRule): Promise<LedgerCsvRow[]> {
    const page = this.allQuery({ ...options, direction: 'forwards' }, CSV_SOURCE_COLUMNS).toSQL();
    const { sql, bindings } = this.knex.raw(csvPageQuery(page.sql), [JSON.stringify(rule.classifiedTypes), rule.sealedMarker, rule.sealedMarker, ...page.bindings]).toSQL().toNative();
    const rows = await this.db.queryTextRows(sql, bindings, { prepared: true });
    return rows.map((r) => (r[17] === null ? textEvent(r) : { position: Number(r[0]), hash: r[16]!, csvRecord: r[17]! }));
  }

  /**
   * `copyAllCsv`: one COPY of the range written by PostgreSQL's CSV writer (ledger-csv-copy.ts), cut
   * into pages as it streams (ledger-csv-copy-pages.ts); the events it marks for disclosure are read
   * whole, by position, page by page.
   */
  private async *copyCsv(copyOut: NonNullable<Database['copyOut']>, options: { after: number; to: number; filter?: AllFilter }, rule: CsvDisclosureRule): AsyncGenerator<LedgerCsvBytes> {
    const page = this.allMatches({ ...options, direction: 'forwards' }, null).select(this.knex.raw(COPY_SOURCE_COLUMNS)).orderBy('position').toSQL().toNative();
    const sql = ledgerCsvCopy(withLiterals(page.sql, page.bindings), {
      classifiedTypeNames: textArray(rule.classifiedTypes.map((key) => key.slice(0, key.lastIndexOf('@')))),
      classifiedTypes: textArray(rule.classifiedTypes),
      sealedMarker: sqlText(rule.sealedMarker),
    });
    const reader = new CsvCopyPageReader();
    // A filter may have a better way in than the primary key (an index on type, actor…): left to the planner.
    for await (const chunk of copyOut(sql, options.filter ? {} : { settings: COPY_PLAN })) {
      const read = reader.read(chunk);
      if (!read) continue;
      const whole = read.disclosed.length === 0 ? [] : await this.textEventsAt(read.disclosed.map((d) => d.position));
      yield { count: read.count, positions: read.positions, hashes: read.hashes, records: read.records, whole: whole.map((event, i) => ({ at: read.disclosed[i]!.at, event })) };
    }
    reader.end();
  }

  /** The events at these positions (ascending), as text. */
  private async textEventsAt(positions: number[]): Promise<StoredEventText[]> {
    const { sql, bindings } = this.knex(EVENTS_TABLE).select(this.knex.raw(TEXT_COLUMNS)).whereIn('position', positions).orderBy('position').toSQL().toNative();
    const events = (await this.db.queryTextRows(sql, bindings)).map(textEvent);
    if (events.length !== positions.length || events.some((e, i) => e.position !== positions[i])) throw new Error('an event marked for disclosure in the CSV copy was not found again');
    return events;
  }

  async readAllHashes(options: ReadAllOptions): Promise<PositionHash[]> {
    const { sql, bindings } = this.allQuery(options, 'position::text AS position_text, hash').toSQL().toNative();
    return (await this.db.queryTextRows(sql, bindings)).map((r) => ({ position: Number(r[0]), hash: r[1]! }));
  }

  async readEventsAt(positions: readonly number[]): Promise<StoredEvent[]> {
    if (positions.length === 0) return [];
    const rows: EventRow[] = await this.knex(EVENTS_TABLE).select(this.knex.raw(COLUMNS)).whereIn('position', positions).orderBy('position', 'asc');
    return rows.map(toEvent);
  }

  async head(): Promise<LedgerHead> {
    const head = (await this.ledgerHead.get('head'))!;
    // A copy per caller: the answer is shared by every caller of the same query.
    return { ...head, occurredAt: head.occurredAt && new Date(head.occurredAt) };
  }

  /** The ledger's head for every caller at the same time, in one query (coalesced-lookup.ts). */
  private readonly ledgerHead = new CoalescedLookup<'head', LedgerHead>(async () => {
    const row = await this.knex(EVENTS_TABLE).select('position', 'hash', 'occurred_at').orderBy('position', 'desc').first();
    const head = row ? { position: Number(row.position), hash: row.hash as string, occurredAt: new Date(row.occurred_at) } : { position: 0, hash: GENESIS_HASH, occurredAt: null };
    return new Map([['head', head]]);
  });

  onCommitted(listener: (position: number) => void): () => void {
    this.listenAcrossProcesses();
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  readFollowing(after: number, limit: number): Promise<StoredEvent[]> {
    return this.subscriptionReads(after, limit);
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    this.listenAcrossProcesses();
    return pollAll(
      this.subscriptionReads,
      (signal, timeoutMs, after) =>
        new Promise<void>((resolve) => {
          if (this.announced > after) return resolve();
          const finish = () => {
            clearTimeout(timer);
            this.appended.off('appended', finish);
            signal.removeEventListener('abort', finish);
            resolve();
          };
          const timer = setTimeout(finish, timeoutMs);
          this.appended.on('appended', finish);
          signal.addEventListener('abort', finish);
        }),
      { pollIntervalMs: this.options.pollIntervalMs, ...options },
    );
  }

  /** Other processes' appends arrive by NOTIFY; same-process appends wake subscribers directly. */
  private listenAcrossProcesses() {
    if (this.unlisten || this.db.dialect !== 'postgres') return;
    // This process's own appends come back too; announce skips what it has already announced.
    this.unlisten = this.db.listen(this.coordination.channel, (payload) => this.announce(Number(payload)));
    this.unlisten.then(
      // Another process's commit made while LISTEN was being set up sent its NOTIFY to nobody: one
      // read of the head once listening finds it (followers would otherwise wait for their next poll).
      () => this.head().then(({ position }) => this.announce(position), () => undefined),
      () => {
        this.unlisten = null;
      },
    );
  }

  verify(options: VerifyOptions = {}): Promise<VerificationResult> {
    return verifyLedger(this, { ...options, trustedKeyIds: this.options.trustedKeyIds });
  }

  async close(): Promise<void> {
    this.appended.emit('appended', -1);
    if (this.unlisten) await (await this.unlisten.catch(() => async () => undefined))();
    this.unlisten = null;
  }
}


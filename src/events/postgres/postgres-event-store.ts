import { EventEmitter } from 'node:events';
import { sqlText, type Database, type Knex, type RunScript } from '../../platform/database.js';
import { pollAll } from '../all-subscription.js';
import { streamCategory, type Actor, type JsonObject, type NewEvent, type StoredEvent } from '../envelope.js';
import {
  checkExpectedVersion,
  DuplicateEventConflict,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type LedgerHead,
  type ReadAllOptions,
  type ReadStreamOptions,
  type SubscribeOptions,
  type Subscription,
  type VerificationResult,
} from '../event-store.js';
import { GENESIS_HASH, chainEvents } from '../hash-chain.js';
import { verifyLedger } from '../ledger-verification.js';
import { EVENTS_CHANNEL, EVENTS_TABLE } from './ledger-schema.js';
import { validateNewEvents, validateStreamId, type ValidatedEvent } from '../new-event-validation.js';

/** Key of the transaction-scoped advisory lock that serialises appends (ARCHITECTURE.md design (b)). */
const APPEND_LOCK_KEY = 0x52414941; // "RAIA"
const MAX_READ = 10_000;

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

type PendingAppend = {
  streamId: string;
  events: ValidatedEvent[];
  /** Per event, what the insert needs of it that can be prepared before the lock. */
  texts: InsertTexts[];
  expectedVersion: ExpectedVersion;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
};
type AppendOutcome = { result: AppendResult } | { error: unknown };

/** Most events one group-commit transaction takes; a larger single append still goes alone. */
const MAX_GROUP_EVENTS = 5000;
/** Longest a committed group's callers wait for the next group's insert to be sent before they are answered anyway. */
const SETTLE_HOLD_MS = 5;

/**
 * An element of an array literal, always double-quoted (so no text reads as NULL) and without a `$`
 * (a `$` only occurs inside JSON strings or free text, and `\u0024` means the same in JSON): the
 * arrays can then be dollar-quoted as they are (`$j$…$j$`), without scanning them for the quote.
 * Only used for texts that are JSON or may hold a `$`; the rest (ids, stream ids and types validated
 * on append, hex hashes, ISO times, numbers) holds no character an array literal escapes.
 */
function arrayElement(text: string): string {
  const t = text.includes('$') ? text.replaceAll('$', '\\u0024') : text;
  return `"${t.includes('"') || t.includes('\\') ? t.replace(/["\\]/g, '\\$&') : t}"`;
}

/** The array elements of an event's texts that do not depend on its place in the chain: made before the lock is taken. */
type InsertTexts = { actor: string; actorId: string; data: string; metadata: string };

const insertTexts = (e: ValidatedEvent): InsertTexts => ({
  actor: arrayElement(e.canonical.actor),
  actorId: arrayElement(e.actor.id),
  data: arrayElement(e.canonical.data),
  metadata: arrayElement(e.canonical.metadata),
});

const INSERT_COLUMNS = 'position, id, stream_id, stream_category, stream_version, type, schema_version, occurred_at, actor, actor_id, correlation_id, causation_id, data, metadata, prev_hash, hash';
const INSERT_TYPES = ['bigint', 'uuid', 'text', 'text', 'integer', 'text', 'integer', 'timestamptz', 'jsonb', 'text', 'text', 'text', 'jsonb', 'jsonb', 'text', 'text'];

/**
 * The insert's rows as one array literal per column, for `unnest`: PostgreSQL parses each value
 * once with its type's input function (about a fifth less work than `jsonb_to_recordset` over one
 * JSON document of the rows). The bodies are the canonical texts computed before the lock, already
 * escaped: they are not serialised again inside the critical section. The timestamp and stream
 * shared by consecutive events are formatted once.
 */
function insertArrays(events: StoredEvent[], textsOf: Map<string, InsertTexts>): string {
  const columns: string[][] = INSERT_TYPES.map(() => []);
  const [position, id, stream, category, version, type, schemaVersion, occurred, actor, actorId, correlation, causation, data, metadata, prevHash, hash] = columns as [
    string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[],
  ];
  let occurredAt: Date | null = null;
  let occurredAtText = '';
  let streamId: string | null = null;
  let streamText = '';
  let categoryText = '';
  for (const e of events) {
    const t = textsOf.get(e.id)!;
    if (e.occurredAt !== occurredAt) {
      occurredAt = e.occurredAt;
      occurredAtText = `"${occurredAt.toISOString()}"`;
    }
    if (e.streamId !== streamId) {
      streamId = e.streamId;
      streamText = `"${streamId}"`;
      categoryText = `"${streamCategory(streamId)}"`;
    }
    position.push(String(e.position));
    id.push(`"${e.id}"`);
    stream.push(streamText);
    category.push(categoryText);
    version.push(String(e.streamVersion));
    type.push(`"${e.type}"`);
    schemaVersion.push(String(e.schemaVersion));
    occurred.push(occurredAtText);
    actor.push(t.actor);
    actorId.push(t.actorId);
    correlation.push(e.correlationId === null ? 'NULL' : `"${e.correlationId}"`);
    causation.push(e.causationId === null ? 'NULL' : `"${e.causationId}"`);
    data.push(t.data);
    metadata.push(t.metadata);
    prevHash.push(arrayElement(e.prevHash));
    hash.push(`"${e.hash}"`);
  }
  return columns.map((values, i) => `$j$\{${values.join(',')}}$j$::${INSERT_TYPES[i]}[]`).join(', ');
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
  private readonly unvalidated: (Omit<PendingAppend, 'events' | 'texts'> & { events: NewEvent[] })[] = [];
  private readonly pending: PendingAppend[] = [];
  private draining = false;
  /** The last committed group's settlement, held back until the next group's insert is on its way (see `holdSettlement`). */
  private unsettled: { settle: () => void; timer: NodeJS.Timeout } | null = null;

  constructor(
    private readonly db: Database,
    private readonly options: PostgresEventStoreOptions = {},
  ) {
    this.name = db.dialect;
    this.knex = db.knex;
    this.clock = options.clock ?? (() => new Date());
    this.appended.setMaxListeners(0);
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
   * Validates and canonicalises one waiting append per macrotask, outside the critical section (only
   * position-dependent hashing happens under the lock), and queues it for the next group. One at a
   * time, so the group in flight's replies are handled between them rather than after all of them:
   * the lock is not held while this thread prepares appends that will wait anyway.
   */
  private readonly validateNext = (): void => {
    const next = this.unvalidated.shift();
    if (!next) return;
    if (this.unvalidated.length > 0) setImmediate(this.validateNext);
    let prepared: ValidatedEvent[];
    try {
      prepared = validateNewEvents(next.events);
    } catch (error) {
      next.reject(error);
      return;
    }
    this.pending.push({ ...next, events: prepared, texts: prepared.map(insertTexts) });
    void this.drain();
  };

  /**
   * Group commit: appends waiting in this process share one transaction (one lock, one head read,
   * one insert, one fsync), each still checked on its own; the lock orders them against other processes.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        let events = 0;
        let take = 0;
        while (take < this.pending.length && (take === 0 || events + this.pending[take]!.events.length <= MAX_GROUP_EVENTS)) events += this.pending[take++]!.events.length;
        await this.commitGroup(this.pending.splice(0, take));
      }
    } finally {
      this.releaseSettled();
      this.draining = false;
    }
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
    try {
      outcomes = await this.db.withScriptConnection((run) => this.writeGroup(run, group, probeStoredIds));
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
    this.holdSettlement(() => {
      let position = 0;
      outcomes.forEach((outcome, i) => {
        if ('error' in outcome) return group[i]!.reject(outcome.error);
        if (!outcome.result.duplicate) position = Math.max(position, outcome.result.position);
        group[i]!.resolve(outcome.result);
      });
      if (position > 0) this.appended.emit('appended', position);
    });
  }

  /**
   * One append transaction in two round trips: BEGIN, the lock and the state read as one script;
   * then the insert, its NOTIFY and COMMIT as another. Statements of a script each take a fresh
   * snapshot, so the state is read after the lock is held.
   */
  private async writeGroup(run: RunScript, group: PendingAppend[], probeStoredIds: boolean): Promise<AppendOutcome[]> {
    try {
      const { outcomes, insert } = await this.decideGroup(run, group, probeStoredIds);
      const committed = run(insert ? `${insert};\nCOMMIT` : 'COMMIT');
      this.releaseSettled();
      await committed;
      return outcomes;
    } catch (error) {
      await run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Reads the state under the lock, settles each append, and returns the insert that writes the accepted ones.
   * Which of the group's event ids are stored already is only looked up when `probeStoredIds`: first
   * the group is tried without, and the id's unique index refusing the insert sends it here again.
   */
  private async decideGroup(run: RunScript, group: PendingAppend[], probeStoredIds: boolean): Promise<{ outcomes: AppendOutcome[]; insert: string | null }> {
    const streamIds = [...new Set(group.map((a) => a.streamId))];
    const existing = probeStoredIds
      ? `(SELECT array_agg(e.id::text) FROM ${EVENTS_TABLE} e WHERE e.id IN (SELECT value::uuid FROM jsonb_array_elements_text(${sqlText(JSON.stringify(group.flatMap((a) => a.events.map((e) => e.id))))}::jsonb)))`
      : 'NULL::text[]';
    const results = await run(
      `BEGIN;
       SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY});
       SELECT (SELECT coalesce(jsonb_object_agg(s.stream_id, v.version), '{}'::jsonb)
                 FROM jsonb_array_elements_text(${sqlText(JSON.stringify(streamIds))}::jsonb) AS s(stream_id)
                 CROSS JOIN LATERAL (SELECT stream_version AS version FROM ${EVENTS_TABLE} WHERE stream_id = s.stream_id ORDER BY stream_version DESC LIMIT 1) v) AS versions,
              h.position, h.hash, h.occurred_at,
              ${existing} AS existing
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT position, hash, occurred_at FROM ${EVENTS_TABLE} ORDER BY position DESC LIMIT 1) h ON true`,
    );
    // Per-stream LATERAL lookups above keep every read on an index (a grouped IN-list makes the planner scan the table).
    const rows = results[2] as { versions: Record<string, number>; position: string | number | null; hash: string | null; occurred_at: Date | null; existing: string[] | null }[];
    const state = rows[0]!;
    const versions = new Map(Object.entries(state.versions).map(([k, v]) => [k, Number(v)]));
    const stored = new Set(state.existing ?? []);
    let head = { position: state.position === null ? 0 : Number(state.position), hash: state.hash ?? GENESIS_HASH };
    const now = this.clock();
    // occurredAt never goes backwards along the chain, so "as of T" reads are a prefix of $all.
    const occurredAt = state.occurred_at && state.occurred_at > now ? new Date(state.occurred_at) : now;

    const outcomes: AppendOutcome[] = [];
    const inserts: StoredEvent[] = [];
    const textsOf = new Map<string, InsertTexts>();
    for (const a of group) a.events.forEach((e, i) => textsOf.set(e.id, a.texts[i]!));
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
    if (inserts.length === 0) return { outcomes, insert: null };
    return {
      outcomes,
      insert: `INSERT INTO ${EVENTS_TABLE} (${INSERT_COLUMNS}) SELECT * FROM unnest(${insertArrays(inserts, textsOf)});
         SELECT pg_notify('${EVENTS_CHANNEL}', '${head.position}')`,
    };
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

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = Math.min(options.limit ?? 1000, MAX_READ);
    const q = this.knex(EVENTS_TABLE).select(this.knex.raw(COLUMNS));
    if (options.after !== undefined) q.where('position', backwards ? '<' : '>', options.after);
    if (options.to !== undefined) q.where('position', '<=', options.to);
    const f = options.filter;
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
    const rows: EventRow[] = await q.orderBy('position', backwards ? 'desc' : 'asc').limit(limit);
    return rows.map(toEvent);
  }

  async head(): Promise<LedgerHead> {
    const row = await this.knex(EVENTS_TABLE).select('position', 'hash', 'occurred_at').orderBy('position', 'desc').first();
    if (!row) return { position: 0, hash: GENESIS_HASH, occurredAt: null };
    return { position: Number(row.position), hash: row.hash, occurredAt: new Date(row.occurred_at) };
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    this.listenAcrossProcesses();
    return pollAll(
      (after, limit) => this.readAll({ after, limit }),
      (signal, timeoutMs) =>
        new Promise<void>((resolve) => {
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
    this.unlisten = this.db.listen(EVENTS_CHANNEL, (payload) => this.appended.emit('appended', Number(payload)));
    this.unlisten.catch(() => {
      this.unlisten = null;
    });
  }

  verify(options: { from?: number; to?: number } = {}): Promise<VerificationResult> {
    return verifyLedger(this, { ...options, trustedKeyIds: this.options.trustedKeyIds });
  }

  async close(): Promise<void> {
    this.appended.emit('appended', -1);
    if (this.unlisten) await (await this.unlisten.catch(() => async () => undefined))();
    this.unlisten = null;
  }
}


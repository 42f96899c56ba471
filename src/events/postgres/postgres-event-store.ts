import { EventEmitter } from 'node:events';
import type { Database, Knex } from '../../platform/database.js';
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
import { GENESIS_HASH, canonicalParts, chainEvents } from '../hash-chain.js';
import { verifyLedger } from '../ledger-verification.js';
import { EVENTS_CHANNEL, EVENTS_TABLE } from './ledger-schema.js';
import { validateNewEvents, validateStreamId } from '../new-event-validation.js';

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

export type PostgresEventStoreOptions = {
  clock?: () => Date;
  /** Seal signers whose keys `verify` accepts; absent: any key whose signature checks out. */
  trustedKeyIds?: Set<string>;
  pollIntervalMs?: number;
};

/**
 * The ledger on PostgreSQL or PGlite. Appends are serialised by a transaction-scoped advisory lock,
 * so positions are assigned densely (head + 1, no sequence gaps) and commit in position order;
 * the hash chain is extended in the same transaction.
 */
export class PostgresEventStore implements EventStore {
  readonly name: string;
  private readonly knex: Knex;
  private readonly clock: () => Date;
  private readonly appended = new EventEmitter();
  private unlisten: Promise<() => Promise<void>> | null = null;

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
    // Canonicalise outside the critical section: only position-dependent hashing happens under the lock.
    const prepared = validateNewEvents(events).map((e) => ({ ...e, canonical: canonicalParts({ actor: e.actor, data: e.data, metadata: e.metadata ?? {} }) }));
    const expected = options.expectedVersion ?? 'any';
    const result = await this.knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [APPEND_LOCK_KEY]);
      const ids = JSON.stringify(prepared.map((e) => e.id));
      const { rows } = await trx.raw<{ rows: { current: number | null; position: string | number | null; hash: string | null; occurred_at: Date | null; existing: string[] | null }[] }>(
        `SELECT (SELECT max(stream_version) FROM ${EVENTS_TABLE} WHERE stream_id = ?) AS current,
                h.position, h.hash, h.occurred_at,
                (SELECT array_agg(e.id::text) FROM ${EVENTS_TABLE} e WHERE e.id IN (SELECT value::uuid FROM jsonb_array_elements_text(?::jsonb))) AS existing
           FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT position, hash, occurred_at FROM ${EVENTS_TABLE} ORDER BY position DESC LIMIT 1) h ON true`,
        [streamId, ids],
      );
      const state = rows[0]!;
      if (state.existing && state.existing.length > 0) return this.idempotentResult(trx, streamId, prepared, state.existing);

      const current = state.current === null ? null : Number(state.current);
      checkExpectedVersion(streamId, expected, current);

      const now = this.clock();
      // occurredAt never goes backwards along the chain, so "as of T" reads are a prefix of $all.
      const occurredAt = state.occurred_at && state.occurred_at > now ? new Date(state.occurred_at) : now;
      const head = { position: state.position === null ? 0 : Number(state.position), hash: state.hash ?? GENESIS_HASH };
      const stored = chainEvents(streamId, prepared, current, head, occurredAt);
      const last = stored[stored.length - 1]!;
      const category = streamCategory(streamId);
      const records = stored.map((e) => ({
        position: e.position,
        id: e.id,
        stream_id: e.streamId,
        stream_category: category,
        stream_version: e.streamVersion,
        type: e.type,
        schema_version: e.schemaVersion,
        occurred_at: e.occurredAt.toISOString(),
        actor: e.actor,
        actor_id: e.actor.id,
        correlation_id: e.correlationId,
        causation_id: e.causationId,
        data: e.data,
        metadata: e.metadata,
        prev_hash: e.prevHash,
        hash: e.hash,
      }));
      await trx.raw(
        `WITH inserted AS (
           INSERT INTO ${EVENTS_TABLE} (position, id, stream_id, stream_category, stream_version, type, schema_version, occurred_at, actor, actor_id, correlation_id, causation_id, data, metadata, prev_hash, hash)
           SELECT position, id, stream_id, stream_category, stream_version, type, schema_version, occurred_at, actor, actor_id, correlation_id, causation_id, data, metadata, prev_hash, hash
             FROM jsonb_to_recordset(?::jsonb) AS x(position bigint, id uuid, stream_id text, stream_category text, stream_version integer, type text, schema_version integer, occurred_at timestamptz, actor jsonb, actor_id text, correlation_id text, causation_id text, data jsonb, metadata jsonb, prev_hash text, hash text)
           RETURNING 1)
         SELECT pg_notify(?, ?) FROM (SELECT count(*) FROM inserted) c`,
        [JSON.stringify(records), EVENTS_CHANNEL, String(last.position)],
      );
      return { streamId, nextExpectedVersion: last.streamVersion, position: last.position, events: stored, duplicate: false } satisfies AppendResult;
    });
    if (!result.duplicate) this.appended.emit('appended', result.position);
    return result;
  }

  /** Re-appending stored ids answers with what was stored, if and only if it is the very same append. */
  private async idempotentResult(trx: Knex.Transaction, streamId: string, prepared: NewEvent[], existing: string[]): Promise<AppendResult> {
    const rows: EventRow[] = await trx(EVENTS_TABLE)
      .select(trx.raw(COLUMNS))
      .whereIn('id', prepared.map((e) => e.id))
      .orderBy('position');
    const events = rows.map(toEvent);
    const sameAppend =
      existing.length === prepared.length &&
      events.every((e, i) => e.streamId === streamId && e.id === prepared[i]!.id && e.type === prepared[i]!.type) &&
      events.every((e, i) => i === 0 || e.position === events[i - 1]!.position + 1);
    if (!sameAppend) throw new DuplicateEventConflict(existing);
    const last = events[events.length - 1]!;
    return { streamId, nextExpectedVersion: last.streamVersion, position: last.position, events, duplicate: true };
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


import { EventEmitter } from 'node:events';
import { CoalescedLookup } from '../platform/coalesced-lookup.js';
import type { Knex } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { inEventBatchSpan } from '../platform/event-tracing.js';
import type { StoredEvent } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import type { EventStore, Subscription } from '../events/event-store.js';
import type { PersonalDataVault } from '../events/personal-data.js';
import { checkpointMoves, type CheckpointMove, type CheckpointMoveOutcome } from './checkpoint-moves.js';
import { pageTransactions, quietStart, type PageApply, type PageApplyOutcome, type QuietRange } from './page-transactions.js';
import { handlesEvent, type Projection, type TableNames } from './projection.js';
import { PositionWatch } from './position-watch.js';
import { PROJECTIONS_TABLE, type ProjectionStatus } from './projection-state.js';

export type ProjectionRunnerDeps = {
  knex: Knex;
  store: EventStore;
  catalogue: EventCatalogue;
  vault?: PersonalDataVault;
  logger?: Logger;
  batchSize?: number;
  /**
   * How long the checkpoint of a projection that handles none of the events it read may stay
   * behind them before it is moved (with every other such projection's, in one statement). 0 (the
   * default): moved at once. A longer delay spares the database a statement per append; the read
   * model is just as current (`waitFor` and `status` know of the events it passed), and a restart
   * re-reads at most that long's events, to find nothing to apply in them again.
   */
  idleMoveDelayMs?: number;
};

/** Where a projection's tables stand (`ProjectionRunner.positionOf`). */
export type ReadModelPosition = { version: number; checkpoint: number; position: number; current: boolean };

export type ProjectionInfo = { name: string; version: number; position: number; lag: number; status: ProjectionStatus; lastError: string | null };

/** The live loop must re-read its checkpoint: it was paused for a rebuild or missed events. */
class Resync extends Error {}

type Running = { subscription: Subscription | null; rebuilding: Promise<void> | null };

/**
 * Runs projections: catches each up from its checkpoint, then follows `$all` live, applying
 * every batch and the checkpoint in one transaction. Safe with runners in several processes:
 * the checkpoint row is locked per batch and events at or below it are skipped.
 */
export class ProjectionRunner {
  private readonly running = new Map<string, Running>();
  private readonly advanced = new EventEmitter();
  private readonly batchSize: number;
  private stopped = false;
  private readonly moveCheckpoint: (move: CheckpointMove) => Promise<CheckpointMoveOutcome>;
  private readonly applyInPage: (request: PageApply) => Promise<PageApplyOutcome>;
  private readonly idleMoveDelayMs: number;
  /** Per projection: events it read and handles none of, its checkpoint move put off (idleMoveDelayMs). */
  private readonly quiet = new Map<string, QuietRange>();
  private quietMoves: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: ProjectionRunnerDeps,
    readonly projections: Projection[],
  ) {
    this.batchSize = deps.batchSize ?? 1000;
    this.idleMoveDelayMs = deps.idleMoveDelayMs ?? 0;
    this.moveCheckpoint = checkpointMoves(deps.knex);
    this.applyInPage = pageTransactions({
      knex: deps.knex,
      reveal: async (events) => (deps.vault ? deps.vault.reveal(events) : events),
      applyAlone: (request, prepared) => this.applyAlone(request, prepared),
    });
    this.advanced.setMaxListeners(0);
    const names = new Set<string>();
    for (const p of projections) {
      if (names.has(p.name)) throw new Error(`projection ${p.name} is defined twice`);
      names.add(p.name);
    }
  }

  private get knex() {
    return this.deps.knex;
  }

  private projection(name: string): Projection {
    const p = this.projections.find((x) => x.name === name);
    if (!p) throw new Error(`unknown projection ${name}`);
    return p;
  }

  /** Starts every projection; those new, of a new version or with missing tables are rebuilt first (in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    for (const p of this.projections) {
      await this.knex(PROJECTIONS_TABLE).insert({ name: p.name, version: -1, position: 0 }).onConflict('name').ignore();
      const row = await this.knex(PROJECTIONS_TABLE).where('name', p.name).first();
      const tablesPresent = await Promise.all(Object.keys(p.tables).map((t) => this.knex.schema.hasTable(t)));
      const state: Running = { subscription: null, rebuilding: null };
      this.running.set(p.name, state);
      if (row.version !== p.version || tablesPresent.includes(false)) void this.rebuild(p.name).catch(() => undefined);
      else this.follow(p);
    }
  }

  /** Resolves when no rebuild started by `start` or `rebuild` is still running. */
  async ready(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.rebuilding?.catch(() => undefined)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      [...this.running.values()].map(async (r) => {
        await r.subscription?.stop();
        await r.rebuilding?.catch(() => undefined);
      }),
    );
    this.running.clear();
    // The moves still put off are made now, so that a restart does not read those events again.
    if (this.quietMoves) clearTimeout(this.quietMoves);
    await this.moveQuiet().catch(() => undefined);
  }

  /**
   * The version of the projection's tables, their checkpoint (what cached answers are keyed by: the
   * tables change only when it moves) and the ledger position they reflect now: the checkpoint, or
   * past the events after it this runner has read and the projection handles none of (their move
   * is put off). `current`: the tables are of this code's version (else a rebuild is due and they
   * may reflect nothing yet).
   */
  async positionOf(name: string): Promise<ReadModelPosition> {
    const p = this.projection(name);
    const row = await this.checkpointOf(p.name);
    return { version: row.version, checkpoint: row.position, position: this.effectivePosition(p.name, row.position), current: row.version === p.version };
  }

  private async checkpointOf(name: string): Promise<{ version: number; position: number }> {
    const row = await this.checkpoints.get(name);
    if (!row) throw new Error(`projection ${name} has no checkpoint row`);
    return { ...row };
  }

  /** Checkpoints asked for at the same time, in one query (coalesced-lookup.ts): every read of a read model asks. */
  private readonly checkpoints = new CoalescedLookup<string, { version: number; position: number }>(async (names) => {
    const rows: { name: string; version: number; position: number | string }[] = await this.knex(PROJECTIONS_TABLE).select('name', 'version', 'position').whereIn('name', names);
    return new Map(rows.map((r) => [r.name, { version: r.version, position: Number(r.position) }]));
  });

  private follow(p: Projection, retryMs = 500): void {
    const state = this.running.get(p.name);
    if (!state || this.stopped || state.rebuilding) return;
    void this.checkpointOf(p.name).then((cp) => {
      if (this.stopped || state.rebuilding) return;
      // Read again from the row: what the last subscription found quiet it will find again.
      this.quiet.delete(p.name);
      const canonical = Object.fromEntries(Object.keys(p.tables).map((t) => [t, t])) as TableNames<string>;
      const subscription = this.deps.store.subscribeToAll({
        after: cp.position,
        batchSize: this.batchSize,
        onEvents: (events) => this.applyLive(p, events, canonical),
        onError: (error) => {
          // A subscription already replaced (see `resubscribe`) leaves the following to its successor.
          if (state.subscription !== subscription) return;
          state.subscription = null;
          if (this.stopped) return;
          if (error instanceof Resync) return this.follow(p);
          const message = error instanceof Error ? error.message : String(error);
          this.deps.logger?.error({ projection: p.name, err: error }, 'projection failed; retrying');
          void this.knex(PROJECTIONS_TABLE)
            .where('name', p.name)
            .update({ status: 'failed', last_error: message.slice(0, 2000), updated_at: this.knex.fn.now() })
            .catch(() => undefined)
            .then(() => setTimeout(() => this.follow(p, Math.min(retryMs * 2, 30_000)), retryMs).unref());
        },
      });
      state.subscription = subscription;
    }, () => setTimeout(() => this.follow(p, retryMs), retryMs).unref());
  }

  private async applyLive(p: Projection, events: StoredEvent[], tables: TableNames<string>): Promise<void> {
    const handled = events.filter((e) => handlesEvent(p, e.type)).map((e) => this.deps.catalogue.upcast(e));
    if (handled.length === 0) return this.skipPast(p, events);
    // With the other projections handling this page, in one transaction (page-transactions.ts).
    const quiet = this.quiet.get(p.name);
    const outcome = await this.applyInPage({ projection: p, events, handled, tables, ...(quiet ? { quiet: { ...quiet } } : {}) });
    if (outcome.resync !== null) throw new Resync(outcome.resync);
    // The row is past every quiet event now (or another runner's is).
    this.quiet.delete(p.name);
    this.advanced.emit('advanced', p.name, outcome.position);
  }

  /** A batch the projection handles none of: its checkpoint moves with the other such projections' (checkpoint-moves.ts). */
  private async skipPast(p: Projection, events: StoredEvent[]): Promise<void> {
    const first = events[0]!.position;
    const last = events[events.length - 1]!.position;
    if (this.idleMoveDelayMs > 0) {
      // Put off: moved with the next page it handles, or with the other quiet ones after the delay.
      const quiet = this.quiet.get(p.name);
      if (quiet && quiet.last + 1 === first) quiet.last = last;
      else this.quiet.set(p.name, { first, last });
      this.quietMoves ??= setTimeout(() => void this.moveQuiet(), this.idleMoveDelayMs).unref();
      this.advanced.emit('advanced', p.name, last);
      return;
    }
    const outcome = await this.moveCheckpoint({ name: p.name, version: p.version, first, last });
    if (outcome.resync) throw new Resync('events were missed or the projection version changed; re-reading from the checkpoint');
    this.advanced.emit('advanced', p.name, outcome.position);
  }

  /**
   * Moves the put-off checkpoints (one statement for all, checkpoint-moves.ts, guarded as always).
   * A row found behind its quiet events, or of another version, has its projection read again
   * from it; a failed statement is tried again after the delay.
   */
  private async moveQuiet(): Promise<void> {
    this.quietMoves = null;
    const taken = [...this.quiet].map(([name, quiet]) => ({ name, quiet: { ...quiet } }));
    const again = () => {
      if (!this.stopped) this.quietMoves ??= setTimeout(() => void this.moveQuiet(), this.idleMoveDelayMs).unref();
    };
    await Promise.all(
      taken.map(async ({ name, quiet }) => {
        const p = this.projection(name);
        let outcome: CheckpointMoveOutcome;
        try {
          outcome = await this.moveCheckpoint({ name, version: p.version, first: quiet.first, last: quiet.last });
        } catch {
          return again();
        }
        const now = this.quiet.get(name);
        // Applied or read again in the meantime: that entry is no longer the one moved.
        if (!now || now.first !== quiet.first) return;
        if (outcome.resync) {
          this.quiet.delete(name);
          return this.resubscribe(p);
        }
        if (now.last === quiet.last) this.quiet.delete(name);
        else now.first = quiet.last + 1;
      }),
    );
  }

  /** Stops the projection's subscription and follows again from its row. */
  private resubscribe(p: Projection): void {
    const state = this.running.get(p.name);
    if (!state || this.stopped || state.rebuilding) return;
    const old = state.subscription;
    state.subscription = null;
    void (old?.stop() ?? Promise.resolve()).then(() => {
      if (state.subscription === null) this.follow(p);
    });
  }

  /** One projection's page in a transaction of its own (traced as the projection's). */
  private applyAlone({ projection: p, events, tables, quiet }: PageApply, prepared: StoredEvent[]): Promise<PageApplyOutcome> {
    return inEventBatchSpan(`projection ${p.name}`, prepared, async () => {
      try {
        return { position: await this.applyPrepared(p, events, prepared, tables, quiet), resync: null };
      } catch (error) {
        if (error instanceof Resync) return { position: null, resync: error.message };
        throw error;
      }
    });
  }

  private async applyPrepared(p: Projection, events: StoredEvent[], prepared: StoredEvent[], tables: TableNames<string>, quiet?: QuietRange): Promise<number> {
    return this.knex.transaction(async (trx) => {
      const row = await trx(PROJECTIONS_TABLE).select('version', 'position').where('name', p.name).forUpdate().first();
      if (row.version !== p.version) throw new Resync('projection version changed; a rebuild owns it');
      const checkpoint = quietStart(Number(row.position), quiet);
      const fresh = events.filter((e) => e.position > checkpoint);
      if (fresh.length === 0) return checkpoint;
      if (fresh[0]!.position !== checkpoint + 1) throw new Resync('events were missed; re-reading from the checkpoint');
      const handled = prepared.filter((e) => e.position > checkpoint);
      if (handled.length > 0) await p.apply(trx, handled, tables);
      const last = fresh[fresh.length - 1]!.position;
      await trx(PROJECTIONS_TABLE).where('name', p.name).update({ position: last, status: 'running', last_error: null, updated_at: trx.fn.now() });
      return last;
    });
  }

  private prepare(p: Projection, events: StoredEvent[]): Promise<StoredEvent[]> {
    return eventsForProjection(this.deps, p, events);
  }

  /**
   * Online rebuild: replays the ledger into fresh shadow tables while the current ones keep
   * serving, then swaps them in together with the checkpoint.
   */
  rebuild(name: string): Promise<void> {
    const p = this.projection(name);
    const state = this.running.get(name) ?? { subscription: null, rebuilding: null };
    this.running.set(name, state);
    if (state.rebuilding) return state.rebuilding;
    const run = this.rebuildInto(p).finally(() => {
      state.rebuilding = null;
      this.quiet.delete(name);
      if (!this.stopped) {
        void state.subscription?.stop();
        state.subscription = null;
        this.follow(p);
      }
    });
    state.rebuilding = run;
    run.catch((error: unknown) => this.deps.logger?.error({ projection: name, err: error }, 'projection rebuild failed'));
    return run;
  }

  private async rebuildInto(p: Projection): Promise<void> {
    const suffix = `__r${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    const logical = Object.keys(p.tables) as string[];
    const shadow = Object.fromEntries(logical.map((t) => [t, `${t}${suffix}`])) as TableNames<string>;
    await this.knex(PROJECTIONS_TABLE).where('name', p.name).update({ status: 'rebuilding', updated_at: this.knex.fn.now() });
    try {
      for (const t of logical) await this.knex.schema.createTable(shadow[t]!, p.tables[t]!);
      let position = 0;
      for (;;) {
        const events = await this.deps.store.readAll({ after: position, limit: this.batchSize });
        if (events.length === 0) break;
        const prepared = await this.prepare(p, events);
        if (prepared.length > 0) await this.knex.transaction((trx) => p.apply(trx, prepared, shadow));
        position = events[events.length - 1]!.position;
        if (this.stopped) throw new Error('runner stopped during rebuild');
      }
      // The swap takes the checkpoint lock; events after `position` are left to the live loop,
      // which re-reads its checkpoint if it had already moved past this one on the old tables.
      await this.knex.transaction(async (trx) => {
        await trx(PROJECTIONS_TABLE).where('name', p.name).forUpdate().first();
        for (const t of logical) {
          await trx.schema.dropTableIfExists(t);
          await trx.schema.renameTable(shadow[t]!, t);
        }
        await trx(PROJECTIONS_TABLE).where('name', p.name).update({ version: p.version, position, status: 'running', last_error: null, updated_at: trx.fn.now() });
      });
      this.advanced.emit('advanced', p.name, position);
      this.deps.logger?.info({ projection: p.name, version: p.version, position }, 'projection rebuilt');
    } catch (error) {
      for (const t of logical) await this.knex.schema.dropTableIfExists(shadow[t]!).catch(() => undefined);
      await this.knex(PROJECTIONS_TABLE)
        .where('name', p.name)
        .update({ status: 'failed', last_error: error instanceof Error ? error.message.slice(0, 2000) : String(error), updated_at: this.knex.fn.now() })
        .catch(() => undefined);
      throw error;
    }
  }

  async status(): Promise<ProjectionInfo[]> {
    const head = await this.deps.store.head();
    const rows = await this.knex(PROJECTIONS_TABLE).whereIn('name', this.projections.map((p) => p.name)).orderBy('name');
    return rows.map((r) => {
      const position = this.effectivePosition(r.name, Number(r.position));
      return {
        name: r.name,
        version: r.version,
        position,
        lag: Math.max(0, head.position - position),
        status: r.status,
        lastError: r.last_error,
      };
    });
  }

  /** The position a projection's tables reflect: its row's, or past the quiet events after it this runner has read. */
  private effectivePosition(name: string, row: number): number {
    return quietStart(row, this.quiet.get(name));
  }

  /** Read-your-writes: resolves true once every named projection has applied `minPosition`, false on timeout. */
  async waitFor(minPosition: number, timeoutMs: number, names: string[] = this.projections.map((p) => p.name)): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const watch = new PositionWatch(names);
    let wake: (() => void) | null = null;
    // A move this runner made is the row as it committed (of this code's version: a runner only
    // applies, moves or swaps in its own), so it answers without a query: under load, waiters
    // re-reading the rows on every move of every projection were a fifth of the database's statements.
    const onAdvanced = (name: string, position: number) => {
      if (watch.moved(name, position)) wake?.();
    };
    this.advanced.on('advanced', onAdvanced);
    try {
      for (;;) {
        // Another process may be the one applying: the rows are read first and then every 50 ms.
        const reading = watch.reading();
        const rows: { name: string; position: number | string; version: number }[] = await this.knex(PROJECTIONS_TABLE).select('name', 'position', 'version').whereIn('name', names);
        for (const r of rows) reading.read(r.name, this.effectivePosition(r.name, Number(r.position)), r.version === this.projection(r.name).version);
        for (;;) {
          if (watch.reached(minPosition)) return true;
          const left = deadline - Date.now();
          if (left <= 0) return false;
          const polled = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), Math.min(left, 50));
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          });
          wake = null;
          if (polled) break;
        }
      }
    } finally {
      this.advanced.off('advanced', onAdvanced);
    }
  }
}

/**
 * The events a projection handles, upcast and with personal fields revealed (redacted once their
 * subject is erased). Done before a transaction opens: PGlite has a single connection, so no other
 * query may run inside one.
 */
export async function eventsForProjection(deps: { catalogue: EventCatalogue; vault?: PersonalDataVault }, p: Projection, events: StoredEvent[]): Promise<StoredEvent[]> {
  const handled = events.filter((e) => handlesEvent(p, e.type)).map((e) => deps.catalogue.upcast(e));
  return handled.length > 0 && deps.vault && p.readsPersonalData !== false ? deps.vault.reveal(handled) : handled;
}

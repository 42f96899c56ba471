import type { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { defineProjection, type Projection } from '../../src/projections/projection.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent, sleep } from '../support/events.js';

/** A read model of `test.waited` events: one row per event. */
const waited = (name: string) =>
  defineProjection({
    name,
    version: 1,
    handles: ['test.waited'],
    tables: { [name]: (t: { text(c: string): { primary(): unknown } }) => void t.text('event_id').primary() },
    async apply(trx, events, tables) {
      for (const e of events) await trx(tables[name]!).insert({ event_id: e.id });
    },
  }) as Projection;

const A = 'test_wait_a';
const B = 'test_wait_b';
const LIVE = 'test_wait_live';

/** The statement waitFor reads the checkpoint rows with (one projection named). */
const CHECKPOINT_READ = 'select "name", "position", "version" from "raia_projections" where "name" in ($1)';

/**
 * The runner's moves reach its waiters as 'advanced' events of a private EventEmitter. Tests reach
 * it through a cast: to count the listeners a waiter leaves behind, and to signal a move at an
 * exact point of a waiter's read-then-wait cycle, which the runner's own applies cannot be timed to.
 */
const advancedOf = (runner: ProjectionRunner) => (runner as unknown as { advanced: EventEmitter }).advanced;

describe.each(dialects)('ProjectionRunner.waitFor on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  const catalogue = raiaEventCatalogue();
  /** Every statement reading raia_projections, with when it was sent (performance.now). */
  let reads: { sql: string; at: number }[];
  /** When the last of those reads answered. */
  let answeredAt: number[];
  const onQuery = (q: { sql: string }) => {
    if (/^select .*from "raia_projections"/i.test(q.sql)) reads.push({ sql: q.sql, at: performance.now() });
  };
  const onResponse = (_response: unknown, q: { sql: string }) => {
    if (/^select .*from "raia_projections"/i.test(q.sql)) answeredAt.push(performance.now());
  };

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  beforeEach(async () => {
    // Not started: the rows stand where each test puts them, as if another process ran the projections.
    runner = new ProjectionRunner({ knex: db.knex, store, catalogue }, [waited(A), waited(B)]);
    await db.knex('raia_projections').whereIn('name', [A, B]).del();
    await db.knex('raia_projections').insert([
      { name: A, version: 1, position: 0 },
      { name: B, version: 1, position: 0 },
    ]);
    reads = [];
    answeredAt = [];
    db.knex.on('query', onQuery);
    db.knex.on('query-response', onResponse);
  });
  afterEach(() => {
    db.knex.off('query', onQuery);
    db.knex.off('query-response', onResponse);
    vi.restoreAllMocks();
  });

  it('sees a checkpoint another process moved at its next 50 ms poll, long before the timeout', async () => {
    const started = performance.now();
    const waiting = runner.waitFor(5, 5_000, [A]);
    await sleep(100);
    await db.knex('raia_projections').where('name', A).update({ position: 5 });
    expect(await waiting).toBe(true);
    // Polled every 50 ms: about 150 ms here; a poll that never fires or re-reads would take the 5 s.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(reads.length).toBeGreaterThanOrEqual(2);
    // Only the three columns it needs.
    for (const r of reads) expect(r.sql).toBe(CHECKPOINT_READ);
  });

  it('a row of another version does not count, however far it stands', async () => {
    await db.knex('raia_projections').where('name', A).update({ version: 2, position: 50 });
    expect(await runner.waitFor(5, 120, [A])).toBe(false);
    expect(await runner.waitFor(5, 120, [B])).toBe(false);
    await db.knex('raia_projections').where('name', B).update({ position: 5 });
    expect(await runner.waitFor(5, 120, [B])).toBe(true);
  });

  it('with a timeout shorter than the poll, waits out what is left of the timeout, not 50 ms', async () => {
    // The clock stands still, so the first read leaves exactly 5 ms; the wait is asked of setTimeout
    // (its delay argument, not a measured gap: a loaded machine fires timers late).
    const base = 1_800_000_000_000;
    const clock = vi.spyOn(Date, 'now').mockReturnValue(base);
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      // Past the first wait the clock moves on, so that the waiter ends whatever it asked for.
      return realSetTimeout(() => {
        clock.mockReturnValue(base + 60_000);
        callback();
      }, ms);
    }) as typeof setTimeout);
    expect(await runner.waitFor(5, 5, [A])).toBe(false);
    vi.mocked(globalThis.setTimeout).mockRestore();
    expect(delays).toContain(5);
    expect(delays).not.toContain(50);
  });

  it('with its time spent exactly when the first read answers, returns false without waiting or reading again', async () => {
    const base = 1_800_000_000_000;
    const clock = vi.spyOn(Date, 'now').mockReturnValue(base);
    // Were it to wait and read again, the clock moves on there so that the deadline is past.
    const onSecond = (q: { sql: string }) => {
      if (/"raia_projections"/.test(q.sql) && reads.length >= 2) clock.mockReturnValue(base + 60_000);
    };
    db.knex.on('query', onSecond);
    try {
      expect(await runner.waitFor(5, 0, [A])).toBe(false);
    } finally {
      db.knex.off('query', onSecond);
    }
    expect(reads).toHaveLength(1);
  });

  it('is woken by a move of this runner and answers from it, without reading the rows again', async () => {
    const moveErrors: unknown[] = [];
    let readsAtMove = -1;
    // 20 ms after the first read answers: the waiter is then in its 50 ms wait, whose timer was set
    // after this one and so fires after it.
    const onFirstAnswer = () => {
      db.knex.off('query-response', onFirstAnswer);
      setTimeout(() => {
        readsAtMove = reads.length;
        try {
          advancedOf(runner).emit('advanced', A, 5);
        } catch (error) {
          moveErrors.push(error);
        }
      }, 20);
    };
    db.knex.on('query-response', onFirstAnswer);
    const started = performance.now();
    // The rows stay at 0: only the move can satisfy the waiter.
    expect(await runner.waitFor(5, 2_000, [A])).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(moveErrors).toEqual([]);
    expect(readsAtMove).toBe(1);
    expect(reads).toHaveLength(1);
  });

  it('a move told while its read is still out wins over the older row that read returns', async () => {
    const moveErrors: unknown[] = [];
    const onFirstRead = (q: { sql: string }) => {
      if (!/"raia_projections"/.test(q.sql)) return;
      db.knex.off('query', onFirstRead);
      // Not waiting yet: there is nothing to wake, and telling the move must not fail.
      try {
        advancedOf(runner).emit('advanced', A, 5);
      } catch (error) {
        moveErrors.push(error);
      }
    };
    db.knex.on('query', onFirstRead);
    expect(await runner.waitFor(5, 2_000, [A])).toBe(true);
    expect(moveErrors).toEqual([]);
    expect(reads).toHaveLength(1);
  });

  it('moves of projections it does not wait for neither satisfy it nor hold off its poll', async () => {
    // B moves every 10 ms for 8 s; A's row is moved by "another process" after 100 ms.
    const beat = setInterval(() => advancedOf(runner).emit('advanced', B, 99), 10);
    const stopBeat = setTimeout(() => clearInterval(beat), 8_000);
    try {
      const started = performance.now();
      const waiting = runner.waitFor(5, 10_000, [A]);
      await sleep(100);
      await db.knex('raia_projections').where('name', A).update({ position: 5 });
      expect(await waiting).toBe(true);
      // The 50 ms poll found A's row while B was still moving (had B's moves woken the waiter,
      // each would have put the poll off, until B stopped after 8 s).
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      clearInterval(beat);
      clearTimeout(stopBeat);
    }
    // B at 99 never stood for A.
    await db.knex('raia_projections').where('name', A).update({ position: 0 });
    const beatAgain = setInterval(() => advancedOf(runner).emit('advanced', B, 99), 10);
    try {
      expect(await runner.waitFor(5, 150, [A])).toBe(false);
    } finally {
      clearInterval(beatAgain);
    }
  });

  it('leaves no listener behind, whether it answers true or false', async () => {
    const advanced = advancedOf(runner);
    expect(advanced.listenerCount('advanced')).toBe(0);
    const waiting = runner.waitFor(5, 2_000, [A]);
    // Listening while it waits (so that the count below is of the listener it adds).
    expect(advanced.listenerCount('advanced')).toBe(1);
    advanced.emit('advanced', A, 5);
    expect(await waiting).toBe(true);
    expect(advanced.listenerCount('advanced')).toBe(0);
    expect(await runner.waitFor(5, 60, [A])).toBe(false);
    expect(advanced.listenerCount('advanced')).toBe(0);
    await db.knex('raia_projections').where('name', A).update({ position: 5 });
    expect(await runner.waitFor(5, 60, [A])).toBe(true);
    expect(advanced.listenerCount('advanced')).toBe(0);
  });

  it("is woken by the runner's own apply and answers without another read", async () => {
    const live = new ProjectionRunner({ knex: db.knex, store, catalogue }, [waited(LIVE)]);
    await live.start();
    await live.ready();
    const head = (await store.head()).position;
    expect(await live.waitFor(head, 5_000)).toBe(true);
    let readsAtMove = -1;
    let moved: unknown[] = [];
    const waiterReads = () => reads.filter((r) => r.sql === CHECKPOINT_READ).length;
    // Registered before the waiter's listener, so called before it.
    advancedOf(live).on('advanced', (...args: unknown[]) => {
      if (readsAtMove === -1) {
        readsAtMove = waiterReads();
        moved = args;
      }
    });
    reads = [];
    const waiting = live.waitFor(head + 1, 5_000);
    const { position } = await store.append('waited-1', [newEvent({}, { type: 'test.waited' })]);
    expect(position).toBe(head + 1);
    expect(await waiting).toBe(true);
    expect(moved).toEqual([LIVE, head + 1]);
    expect(readsAtMove).toBeGreaterThanOrEqual(1);
    expect(waiterReads()).toBe(readsAtMove);
    expect(Number((await db.knex(LIVE).count({ n: '*' }).first())?.n)).toBe(1);
    await live.stop();
  });
});

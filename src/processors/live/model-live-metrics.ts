import { DEFAULT_SCORE_BINS, MISSING_SCORE_CLASS, OUT_OF_RANGE_CLASS, PredictionWindow, type PredictionWindowStats } from '../../analytics/live/prediction-window.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';

export type ModelLiveMetricsOptions = {
  knex: Knex;
  logger?: Logger;
  /** Slot width and count of the sliding window (default 5 s × 60: five minutes, and the five before for drift). */
  slotMs?: number;
  slots?: number;
  /** How often the prediction log is read for new rows. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * Rows carry the time the prediction was made, which can precede its commit: each read looks back
   * this far and skips the ids already counted. Default 10 s.
   */
  overlapMs?: number;
  clock?: () => number;
  /** Groups of rows read per query (default 20,000). */
  pageSize?: number;
};

export type ModelLiveMetrics = {
  /** The window of a model version (empty statistics when it has had no predictions lately). */
  stats(modelId: string, version: number): PredictionWindowStats;
  /** Reads what the prediction log gained since the last read (the timer does this too). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
};


type Cursor = { at: number; seen: Map<string, number> };

/**
 * Per model version, sliding-window statistics of the prediction log (rate, latency percentiles,
 * error rate from recorded outcomes, score distribution, drift of the scores), kept up to date by
 * reading only the rows added since the last read, so every API node shows the predictions of
 * every node without rescanning the window.
 */
export function startModelLiveMetrics(options: ModelLiveMetricsOptions): ModelLiveMetrics {
  const { knex, logger } = options;
  const slotMs = options.slotMs ?? 5000;
  const slots = options.slots ?? 60;
  const overlapMs = options.overlapMs ?? 10_000;
  const clock = options.clock ?? Date.now;
  const pageSize = options.pageSize ?? 20_000;
  const windows = new Map<string, PredictionWindow>();
  const start = clock() - 2 * slots * slotMs;
  const outcomes: Cursor = { at: start, seen: new Map() };
  let running: Promise<void> | null = null;

  const windowOf = (modelId: string, version: number) => {
    const key = `${modelId}:${version}`;
    let w = windows.get(key);
    if (!w) windows.set(key, (w = new PredictionWindow({ slotMs, slots })));
    return w;
  };

  /** Rows after the cursor (less the overlap) not counted yet; moves the cursor and forgets ids older than the overlap. */
  const fresh = <R extends { id: string; at: number }>(cursor: Cursor, rows: R[]): R[] => {
    const out = rows.filter((r) => !cursor.seen.has(r.id));
    for (const r of out) {
      cursor.seen.set(r.id, r.at);
      if (r.at > cursor.at) cursor.at = r.at;
    }
    for (const [id, at] of cursor.seen) if (at < cursor.at - 2 * overlapMs) cursor.seen.delete(id);
    return out;
  };

  // The prediction log is followed by writing transaction (logged_xid): each read takes the rows of
  // transactions older than every one still running, which can gain no more rows, so each row is
  // read once. (Following created_at instead meant re-reading an overlap of 10 s on every poll, all
  // of it at 100,000 predictions a second, and a scan of the table without an index on it.)
  let fromXid = 0n;
  const addRows = (rows: Record<string, unknown>[]) => {
    for (const r of rows) windowOf(r.model_id as string, Number(r.version)).addPredictions(Number(r.created_ms), Number(r.latency_ms), Number(r.score_class), Number(r.n));
  };
  // Rows of one transaction sharing model, version, time, latency and score class come as one group
  // with its count: a request's 10,000 rows are a dozen. The class is `scoreClassOf` (NaN first:
  // PostgreSQL orders NaN above every number).
  const scoreClass = knex.raw(
    `CASE WHEN score IS NULL OR score = 'NaN'::float8 THEN ${MISSING_SCORE_CLASS} WHEN score < 0 OR score > 1 THEN ${OUT_OF_RANGE_CLASS} ELSE least(?::int - 1, floor(score * ?::int)::int) END`,
    [DEFAULT_SCORE_BINS, DEFAULT_SCORE_BINS],
  );
  const predictionRows = (where: (q: Knex.QueryBuilder) => void, limit?: number) => {
    const q = knex('model_predictions')
      .where('created_at', '>', new Date(start).toISOString())
      .modify(where)
      // The time as epoch milliseconds: parsing timestamp texts into Dates cost more than the query.
      .select('model_id', 'version', 'latency_ms', knex.raw('(extract(epoch from created_at) * 1000)::float8 AS created_ms'), knex.raw('logged_xid::text AS xid'), knex.raw('? AS score_class', [scoreClass]), knex.raw('count(*)::int AS n'))
      .groupBy('logged_xid', 'model_id', 'version', 'created_at', 'latency_ms', 'score_class');
    return (limit === undefined ? q : q.orderBy('logged_xid').limit(limit)) as Promise<Record<string, unknown>[]>;
  };
  const readPredictions = async () => {
    const [{ upto }] = (await knex.select(knex.raw('pg_snapshot_xmin(pg_current_snapshot())::text AS upto'))) as [{ upto: string }];
    const before = BigInt(upto);
    while (fromXid < before) {
      const rows = await predictionRows((q) => q.where('logged_xid', '>=', String(fromXid)).where('logged_xid', '<', upto), pageSize);
      if (rows.length < pageSize) {
        addRows(rows);
        fromXid = before;
        return;
      }
      // A full page (of groups): its last transaction's may go on past it, so they are left for the next read.
      const last = rows[rows.length - 1]!.xid as string;
      const whole = rows.filter((r) => r.xid !== last);
      if (whole.length > 0) {
        addRows(whole);
        fromXid = BigInt(last);
      } else {
        // One transaction of more groups than a page: read it whole.
        addRows(await predictionRows((q) => q.where('logged_xid', '=', last)));
        fromXid = BigInt(last) + 1n;
      }
    }
  };

  const readOutcomes = async () => {
    for (;;) {
      const rows = (await knex('model_outcomes as o')
        .join('model_predictions as p', 'p.prediction_id', 'o.prediction_id')
        .where('o.recorded_at', '>', new Date(outcomes.at - overlapMs).toISOString())
        .orderBy('o.recorded_at')
        .limit(pageSize)
        .select('o.prediction_id', 'o.recorded_at', 'o.actual', 'p.model_id', 'p.version', 'p.prediction')) as Record<string, unknown>[];
      // A corrected outcome is a new row time: counted again, as a new outcome recorded then.
      const added = fresh(outcomes, rows.map((r) => ({ id: `${r.prediction_id as string}@${new Date(r.recorded_at as string).getTime()}`, at: new Date(r.recorded_at as string).getTime(), r })));
      for (const { at, r } of added) {
        const predicted = (r.prediction as { prediction?: unknown; probabilities?: unknown }) ?? {};
        // Error rate is a classification figure: a regression prediction is never exactly "right".
        if (predicted.probabilities === undefined) continue;
        windowOf(r.model_id as string, Number(r.version)).addOutcome(at, String(predicted.prediction) !== String(r.actual));
      }
      if (rows.length < pageSize || added.length === 0) return;
    }
  };

  const refresh = () => {
    running ??= (async () => {
      try {
        await readPredictions();
        await readOutcomes();
      } catch (error) {
        logger?.warn({ err: error }, 'live model metrics could not read the prediction log');
      } finally {
        running = null;
      }
    })();
    return running;
  };

  const timer = setInterval(() => void refresh(), options.pollIntervalMs ?? 1000);
  timer.unref();
  void refresh();

  return {
    stats(modelId, version) {
      const w = windowOf(modelId, version);
      w.advance(clock());
      return w.stats();
    },
    refresh,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PredictionWindow } from '../../../src/analytics/live/prediction-window.js';
import { PredictionLog, type LoggedPredictionBatch } from '../../../src/platform/prediction-log.js';
import { startModelLiveMetrics, type ModelLiveMetrics } from '../../../src/processors/live/model-live-metrics.js';
import { dialects, openTestDatabase, type TestDatabase } from '../../support/test-database.js';

// Scores over every class: bins of [0, 1] (edges included), out of range, missing.
const SCORES = [0, 0.05, 0.1, 0.35, 0.5, 0.99, 1, -0.25, 1.5, Infinity, NaN, null];

/** A batch of `n` predictions of one model version, scores cycling through SCORES, latency `latencyMs`, made `at`. */
const batch = (modelId: string, version: number, n: number, at: Date, latencyMs: number): LoggedPredictionBatch => ({
  modelId,
  version,
  subjectId: null,
  createdAt: at,
  latencyMs,
  inputs: { values: new Float64Array(n * 2), width: 2 },
  predictionIds: Buffer.from(Array.from({ length: n }, () => randomUUID().replace(/-/g, '')).join(''), 'hex'),
  predictionJsons: Array.from({ length: n }, () => '{"prediction":0.5}'),
  scores: Array.from({ length: n }, (_, i) => SCORES[i % SCORES.length]!),
});

/** The window those batches make when every prediction is added one by one (PredictionWindow's own per-row path). */
function windowOf(batches: LoggedPredictionBatch[], now: number) {
  const window = new PredictionWindow({ slotMs: 5000, slots: 60 });
  for (const b of batches) for (const score of b.scores) window.addPrediction(b.createdAt.getTime(), b.latencyMs, score);
  window.advance(now);
  return window.stats();
}

/** Reads the log until the version's window holds `expected` predictions, then once more: still `expected`. */
async function countedOnceRead(live: ModelLiveMetrics, modelId: string, version: number, expected: number): Promise<void> {
  await vi.waitFor(async () => {
    await live.refresh();
    expect(live.stats(modelId, version).predictions).toBe(expected);
  }, { timeout: 20_000, interval: 50 });
  await live.refresh();
  expect(live.stats(modelId, version).predictions).toBe(expected);
}

/**
 * The live window of each model version follows the prediction log: every logged prediction is
 * counted once, however often the log is read and however its rows fall into pages, and a
 * prediction is counted only once its transaction has committed. Rows become readable once every
 * transaction older than theirs has ended, anywhere on the server (other test files' included):
 * where a test expects rows to be counted, it reads until they are, then checks they stay counted once.
 */
describe.each(dialects)('live model metrics from the prediction log on %s', (dialect) => {
  let db: TestDatabase;
  let log: PredictionLog;
  const started: ModelLiveMetrics[] = [];
  const now = Date.now();
  const metrics = () => {
    // Pages of 7 groups: a transaction of these batches is 12 groups (one per score class), so pages split transactions.
    const m = startModelLiveMetrics({ knex: db.knex, pollIntervalMs: 3_600_000, clock: () => now, pageSize: 7 });
    started.push(m);
    return m;
  };

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    log = new PredictionLog(db);
  });
  afterAll(async () => {
    for (const m of started) await m.stop();
    await db.drop();
  });

  it('counts each prediction once across reads, pages and versions', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const at = new Date(now - 1000);
    // Three transactions of 12 score groups each: pages of 7 groups end inside them, and a
    // transaction must be taken whole by a later page, not split or counted twice.
    const a1 = [0, 1, 2].map((i) => batch(a, 1, 800 + i, at, 4 + i));
    for (const x of a1) await log.record(x);
    const a2 = batch(a, 2, 7, at, 10);
    await log.record(a2);
    const b1 = [batch(b, 1, 3, at, 2)];
    await log.record(b1[0]!);
    const live = metrics();
    await countedOnceRead(live, a, 1, 2403);
    // The same window as adding each prediction alone: counts, latency histogram, score classes, drift.
    expect(live.stats(a, 1)).toEqual(windowOf(a1, now));
    expect(live.stats(a, 2)).toEqual(windowOf([a2], now));
    expect(live.stats(b, 1)).toEqual(windowOf(b1, now));
    // By hand: 800, 801 and 802 rows cycling through 12 scores, 3 of them out of range, 2 missing.
    expect(live.stats(a, 1)).toMatchObject({ predictions: 2403, scores: { outOfRange: 600, missing: 396 } });

    // Written after the first reads: counted by the next one, once.
    b1.push(batch(b, 1, 5, new Date(now - 500), 2));
    await log.record(b1[1]!);
    await countedOnceRead(live, b, 1, 8);
    expect(live.stats(b, 1)).toEqual(windowOf(b1, now));
    expect(live.stats(a, 1)).toEqual(windowOf(a1, now));
  });

  it('one transaction of more groups than a page is read whole', async () => {
    const model = randomUUID();
    const one = batch(model, 1, 20_500, new Date(now - 1000), 1);
    await log.record(one);
    const live = metrics();
    await countedOnceRead(live, model, 1, 20_500);
    expect(live.stats(model, 1)).toEqual(windowOf([one], now));
  });

  it.runIf(dialect === 'postgres')('a transaction still open is not read, nor are the rows committed after it began, until it ends', async () => {
    const model = randomUUID();
    const live = metrics();
    await live.refresh();
    const connection = await db.knex.client.acquireConnection();
    try {
      // An open transaction holding an id (as a COPY of the log does while it runs).
      await db.knex.raw('BEGIN').connection(connection);
      await db.knex.raw(`INSERT INTO model_predictions (prediction_id, model_id, version, input_values, prediction, score, latency_ms, created_at) VALUES (?, ?, 1, '\\x00', '{"prediction": 0.5}', 0.5, 3, ?)`, [randomUUID(), model, new Date(now - 100).toISOString()]).connection(connection);
      // A later transaction commits meanwhile: its rows wait until the older one ends, so that
      // reading past them cannot skip the older one's rows.
      await log.record(batch(model, 1, 4, new Date(now - 100), 3));
      await live.refresh();
      expect(live.stats(model, 1).predictions).toBe(0);
      await db.knex.raw('COMMIT').connection(connection);
    } finally {
      await db.knex.client.releaseConnection(connection);
    }
    await countedOnceRead(live, model, 1, 5);
  });
});

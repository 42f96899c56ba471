import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PredictionLog, type LoggedPredictionBatch } from '../../../src/platform/prediction-log.js';
import { startModelLiveMetrics, type ModelLiveMetrics } from '../../../src/processors/live/model-live-metrics.js';
import { dialects, openTestDatabase, type TestDatabase } from '../../support/test-database.js';

/** A batch of `n` predictions of one model version, scores 0.5 and latency `latencyMs`, made `at`. */
const batch = (modelId: string, version: number, n: number, at: Date, latencyMs: number): LoggedPredictionBatch => ({
  modelId,
  version,
  subjectId: null,
  createdAt: at,
  latencyMs,
  inputs: { values: new Float64Array(n * 2), width: 2 },
  predictions: Array.from({ length: n }, () => ({ predictionId: randomUUID(), prediction: { prediction: 0.5 }, score: 0.5 })),
});

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
    const m = startModelLiveMetrics({ knex: db.knex, pollIntervalMs: 3_600_000, clock: () => now });
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
    // Three transactions of 8,000 rows: the first page (20,000 rows) ends inside the third,
    // which must be read whole by the next page, not split or counted twice.
    for (let i = 0; i < 3; i++) await log.record(batch(a, 1, 8000, at, 4));
    await log.record(batch(a, 2, 7, at, 10));
    await log.record(batch(b, 1, 3, at, 2));
    const live = metrics();
    await countedOnceRead(live, a, 1, 24_000);
    expect(live.stats(a, 1)).toMatchObject({ predictions: 24_000, latencyMs: { mean: 4 } });
    expect(live.stats(a, 2)).toMatchObject({ predictions: 7, latencyMs: { mean: 10 } });
    expect(live.stats(b, 1)).toMatchObject({ predictions: 3, latencyMs: { mean: 2 } });

    // Written after the first reads: counted by the next one, once.
    await log.record(batch(b, 1, 5, new Date(now - 500), 2));
    await countedOnceRead(live, b, 1, 8);
    expect(live.stats(a, 1).predictions).toBe(24_000);
  });

  it('one transaction larger than a page is read whole', async () => {
    const model = randomUUID();
    await log.record(batch(model, 1, 20_500, new Date(now - 1000), 1));
    await countedOnceRead(metrics(), model, 1, 20_500);
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

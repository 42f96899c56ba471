import { cpus, totalmem } from 'node:os';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { v7 } from 'uuid';
import { openDatabase, type Database } from '../src/platform/database.js';
import { runMigrations } from '../src/platform/migrations.js';
import { allMigrations } from '../src/migrations.js';
import { PostgresEventStore } from '../src/events/postgres/postgres-event-store.js';
import type { NewEvent } from '../src/events/envelope.js';
import { raiaEventCatalogue } from '../src/events/catalogue/raia-event-catalogue.js';
import { ProjectionRunner } from '../src/projections/projection-runner.js';
import { streamCatalog } from '../src/projections/stream-catalog.projection.js';
import type { Projection } from '../src/projections/projection.js';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STREAMS = 1000;

/** A realistic governance event: a model version with its lineage and metrics (~450 bytes of JSON). */
function governanceEvent(i: number): NewEvent {
  return {
    id: v7(),
    type: 'model.version-added',
    schemaVersion: 1,
    actor: { kind: 'user', id: `user-${i % 50}`, role: 'data_scientist' },
    correlationId: v7(),
    data: {
      modelId: `m-${i % STREAMS}`,
      version: i,
      artifact: { sha256: randomBytes(32).toString('hex'), format: 'onnx', bytes: 1_048_576 + i },
      trainingData: { datasetId: `d-${i % 97}`, contentHash: randomBytes(16).toString('hex') },
      metrics: { accuracy: 0.91, precision: 0.88, recall: 0.86, f1: 0.87, rocAuc: 0.94 },
      inputSchema: ['age', 'income', 'tenure', 'region'],
    },
  };
}

const stream = (i: number) => `model-${i % STREAMS}`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** Runs `writers` loops concurrently, each doing `perWriter` calls of `step(globalIndex)`. */
async function concurrently(writers: number, perWriter: number, step: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  return timed(async () => {
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let k = 0; k < perWriter; k++) await step(next++);
      }),
    );
  });
}

type Sizes = { singleEvents: number; batches1: number; batches8: number; batchSize: number };

async function measure(db: Database, label: string, sizes: Sizes) {
  await runMigrations(db.knex, allMigrations);
  const store = new PostgresEventStore(db);
  const log = (line: string) => console.log(`  [${label}] ${line}`);

  // Payloads are made before the clock starts: the figures measure the ledger, not the generator.
  const singles = Array.from({ length: sizes.singleEvents }, (_, i) => governanceEvent(i));
  const singles8 = Array.from({ length: sizes.singleEvents }, (_, i) => governanceEvent(i));
  const makeBatches = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: sizes.batchSize }, (_, k) => governanceEvent(i * sizes.batchSize + k)));
  const batches1 = makeBatches(sizes.batches1);
  const batches8 = makeBatches(sizes.batches8);

  // Warm up connections, JIT and caches.
  for (let i = 0; i < 200; i++) await store.append(stream(i), [governanceEvent(i)]);

  const latencies: number[] = [];
  const single1 = await timed(async () => {
    for (let i = 0; i < sizes.singleEvents; i++) {
      const t = performance.now();
      await store.append(stream(i), [singles[i]!]);
      latencies.push(performance.now() - t);
    }
  });
  latencies.sort((a, b) => a - b);
  const appendSinglePerSec = sizes.singleEvents / single1;
  log(`single appends, 1 writer: ${round(appendSinglePerSec)} events/s, p50 ${round(percentile(latencies, 0.5), 3)} ms, p99 ${round(percentile(latencies, 0.99), 3)} ms`);

  const single8 = await concurrently(8, sizes.singleEvents / 8, (i) => store.append(stream(i), [singles8[i]!]).then(() => undefined));
  const appendSingle8PerSec = sizes.singleEvents / single8;
  log(`single appends, 8 writers: ${round(appendSingle8PerSec)} events/s`);

  const batched1 = await concurrently(1, sizes.batches1, (i) => store.append(stream(i), batches1[i]!).then(() => undefined));
  const appendBatched1PerSec = (sizes.batches1 * sizes.batchSize) / batched1;
  log(`batches of ${sizes.batchSize}, 1 writer: ${round(appendBatched1PerSec)} events/s`);
  const batched8 = await concurrently(8, sizes.batches8 / 8, (i) => store.append(stream(i), batches8[i]!).then(() => undefined));
  const appendBatchedPerSec = (sizes.batches8 * sizes.batchSize) / batched8;
  log(`batches of ${sizes.batchSize}, 8 writers: ${round(appendBatchedPerSec)} events/s`);

  // The floor: the same rows as a plain multi-row INSERT into an unindexed table (no lock, no hash, no checks).
  await db.knex.raw(`CREATE TABLE bench_floor (position bigint, id uuid, stream_id text, stream_category text, stream_version integer, type text, schema_version integer,
    occurred_at timestamptz, actor jsonb, actor_id text, correlation_id text, causation_id text, data jsonb, metadata jsonb, prev_hash text, hash text)`);
  const floorRows = (batch: NewEvent[], i: number) =>
    batch.map((e, k) => ({
      position: i * sizes.batchSize + k,
      id: e.id,
      stream_id: stream(i),
      stream_category: 'model',
      stream_version: k,
      type: e.type,
      schema_version: 1,
      occurred_at: new Date(),
      actor: JSON.stringify(e.actor),
      actor_id: e.actor.id,
      correlation_id: e.correlationId,
      causation_id: null,
      data: JSON.stringify(e.data),
      metadata: '{}',
      prev_hash: 'a'.repeat(64),
      hash: 'b'.repeat(64),
    }));
  const floor1Rows = batches1.map(floorRows);
  const floor8Rows = batches8.map(floorRows);
  const floor1 = await concurrently(1, sizes.batches1, (i) => db.knex('bench_floor').insert(floor1Rows[i]!).then(() => undefined));
  const floorBatched1PerSec = (sizes.batches1 * sizes.batchSize) / floor1;
  const floor8 = await concurrently(8, sizes.batches8 / 8, (i) => db.knex('bench_floor').insert(floor8Rows[i]!).then(() => undefined));
  const floorBatchedPerSec = (sizes.batches8 * sizes.batchSize) / floor8;
  log(`floor (plain INSERT, unindexed): 1 writer ${round(floorBatched1PerSec)} events/s, 8 writers ${round(floorBatchedPerSec)} events/s`);

  const head = await store.head();
  let read = 0;
  const readSeconds = await timed(async () => {
    for (let after = 0; after < head.position; ) {
      const page = await store.readAll({ after, limit: 1000 });
      read += page.length;
      after = page[page.length - 1]!.position;
    }
  });
  const readAllPerSec = read / readSeconds;
  log(`$all read: ${round(readAllPerSec)} events/s over ${read} events`);

  const runner = new ProjectionRunner({ knex: db.knex, store, catalogue: raiaEventCatalogue(), batchSize: 1000 }, [streamCatalog] as Projection[]);
  const catchupSeconds = await timed(async () => {
    await runner.start();
    await runner.ready();
    if (!(await runner.waitFor(head.position, 600_000))) throw new Error('projection did not catch up');
  });
  await runner.stop();
  const projectionCatchupPerSec = head.position / catchupSeconds;
  log(`projection catch-up (stream_catalog): ${round(projectionCatchupPerSec)} events/s over ${head.position} events`);

  const verifySeconds = await timed(async () => {
    const v = await store.verify();
    if (!v.ok) throw new Error(`ledger does not verify: ${v.reason}`);
  });
  log(`verify: ${round(head.position / verifySeconds)} events/s`);
  await store.close();

  return {
    events: head.position,
    appendSinglePerSec: round(appendSinglePerSec),
    appendSingle8WritersPerSec: round(appendSingle8PerSec),
    appendSingleP50Ms: round(percentile(latencies, 0.5), 3),
    appendSingleP99Ms: round(percentile(latencies, 0.99), 3),
    appendBatched1WriterPerSec: round(appendBatched1PerSec),
    appendBatchedPerSec: round(appendBatchedPerSec),
    floorBatched1WriterPerSec: round(floorBatched1PerSec),
    floorBatchedPerSec: round(floorBatchedPerSec),
    floorRatio: round(appendBatchedPerSec / floorBatchedPerSec, 3),
    floorRatio1Writer: round(appendBatched1PerSec / floorBatched1PerSec, 3),
    readAllPerSec: round(readAllPerSec),
    projectionCatchupPerSec: round(projectionCatchupPerSec),
    verifyPerSec: round(head.position / verifySeconds),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = await openDatabase({ url: DATABASE_URL, schema, poolSize: 10 });
  let postgres: Awaited<ReturnType<typeof measure>>;
  let serverVersion: string;
  try {
    serverVersion = (await pg.knex.raw<{ rows: { v: string }[] }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    postgres = await measure(pg, 'postgres', { singleEvents: 4000, batches1: 300, batches8: 800, batchSize: 100 });
  } finally {
    await pg.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pg.close();
  }
  const lite = await openDatabase({ pglite: new PGlite() });
  let pglite: Awaited<ReturnType<typeof measure>>;
  try {
    pglite = await measure(lite, 'pglite', { singleEvents: 2000, batches1: 200, batches8: 400, batchSize: 100 });
  } finally {
    await lite.close();
  }
  const targets = { appendBatchedPerSec: 20_000, projectionCatchupPerSec: 30_000, floorRatio: 0.5 };
  return {
    ...postgres,
    targets,
    targetsMet: postgres.appendBatchedPerSec >= targets.appendBatchedPerSec && postgres.projectionCatchupPerSec >= targets.projectionCatchupPerSec && postgres.floorRatio >= targets.floorRatio,
    pglite,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      postgres: serverVersion,
    },
  };
}

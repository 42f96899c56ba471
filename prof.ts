import { v7 } from 'uuid';
import { randomBytes } from 'node:crypto';
import { openTestDatabase } from './tests/support/test-database.js';
import { PostgresEventStore } from './src/events/postgres/postgres-event-store.js';
const db = await openTestDatabase('postgres');
const store = new PostgresEventStore(db);
const ev = (i: number) => ({ id: v7(), type: 'model.version-added', schemaVersion: 1, actor: { kind: 'user' as const, id: `user-${i % 50}`, role: 'data_scientist' }, correlationId: v7(),
  data: { modelId: `m-${i}`, version: i, artifact: { sha256: randomBytes(32).toString('hex'), format: 'onnx', bytes: 1_048_576 + i }, trainingData: { datasetId: `d-${i % 97}`, contentHash: randomBytes(16).toString('hex') }, metrics: { accuracy: 0.91, precision: 0.88, recall: 0.86, f1: 0.87, rocAuc: 0.94 }, inputSchema: ['age', 'income', 'tenure', 'region'] } });
const batches = Array.from({ length: 400 }, (_, b) => Array.from({ length: 100 }, (_, k) => ev(b * 100 + k)));
for (let b = 0; b < 50; b++) await store.append(`model-${b}`, batches[b]!);
const t = performance.now();
for (let b = 50; b < 400; b++) await store.append(`model-${b % 1000}`, batches[b]!);
console.log('events/s 1 writer (pregenerated)', (350 * 100 / ((performance.now() - t) / 1000)).toFixed(0));
const t2 = performance.now();
const more = Array.from({ length: 400 }, (_, b) => Array.from({ length: 100 }, (_, k) => ev(b * 100 + k)));
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => { while (next < 400) { const b = next++; await store.append(`model-${b % 1000}`, more[b]!); } }));
console.log('events/s 8 writers (pregenerated, incl. generation)', (400 * 100 / ((performance.now() - t2) / 1000)).toFixed(0));
await store.close(); await db.drop();

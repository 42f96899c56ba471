import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { startTestServer } from '../tests/support/test-runtime.js';
import { run as measureWebhookDelivery } from './webhooks.bench.js';

/**
 * Live channels under load (issue 21): 1,000 WebSocket clients on loopback (in a worker thread),
 * 500 events/s committed to the ledger (PostgreSQL on loopback, in-process bus) over 100 model
 * streams, each client following one stream (so each event reaches 10 clients). Commit-to-client
 * latency is from the append's acknowledgement to the frame's arrival. Then one client that stops
 * reading subscribes to everything while 8 MB of events are committed: it must be disconnected and
 * the server's RSS must not grow with what it did not read. Last, the other real-time path:
 * webhook delivery throughput (webhooks.bench.ts, on its own runtime once the clients are gone).
 */
const CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 1000);
const STREAMS = 100;
const EVENTS_PER_SECOND = 500;
const SECONDS = Number(process.env.BENCH_WS_SECONDS ?? 10);

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

export async function run(): Promise<Record<string, unknown>> {
  let live: Record<string, unknown>;
  const server = await startTestServer('postgres', { RAIA_LIVE_MAX_BUFFERED_BYTES: String(1024 * 1024), RAIA_LIVE_HEARTBEAT_MS: '30000' });
  const base = await server.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${base.replace('http:', 'ws:')}/ws/model-updates`;
  const token = await server.tokenFor('data_scientist');
  const streamIds = Array.from({ length: STREAMS }, () => `model-${randomUUID()}`);
  const worker = new Worker(new URL('./support/realtime-clients.mjs', import.meta.url), { workerData: { url, token, clients: CLIENTS, streamIds } });
  const receipts: number[] = [];
  let ready!: () => void;
  const allReady = new Promise<void>((r) => (ready = r));
  let flushed: () => void = () => undefined;
  worker.on('message', (m: { type: string; pairs?: number[]; message?: string }) => {
    if (m.type === 'ready') ready();
    if (m.type === 'received') receipts.push(...m.pairs!);
    if (m.type === 'flushed') flushed();
    if (m.type === 'error') console.error('client error', m.message);
  });
  try {
    const connectStarted = Date.now();
    await allReady;
    const connectMs = Date.now() - connectStarted;
    const committedAt = new Map<number, number>();
    let seq = 0;
    const started = Date.now();
    const total = EVENTS_PER_SECOND * SECONDS;
    const appends: Promise<unknown>[] = [];
    // Every 20 ms, the events due by then: one append per event, as independent writers would.
    while (seq < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * EVENTS_PER_SECOND));
      for (; seq < due; seq++) {
        const n = seq;
        const streamId = streamIds[n % STREAMS]!;
        appends.push(
          server.runtime.store
            .append(streamId, [{ id: randomUUID(), type: 'model.bench-tick', schemaVersion: 1, data: { modelId: streamId.slice(6), seq: n }, actor: { kind: 'system', id: 'bench' } }])
            .then(() => committedAt.set(n, Date.now())),
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(appends);
    const achievedRate = total / ((Date.now() - started) / 1000);
    // Let the last frames arrive, then collect them.
    await new Promise((r) => setTimeout(r, 2000));
    await new Promise<void>((r) => {
      flushed = r;
      worker.postMessage({ type: 'flush' });
    });
    const latencies: number[] = [];
    for (let i = 0; i < receipts.length; i += 2) latencies.push(receipts[i + 1]! - committedAt.get(receipts[i]!)!);
    latencies.sort((a, b) => a - b);
    const expectedFrames = total * (CLIENTS / STREAMS);

    // The slow client: subscribes to every model event, then stops reading.
    const slow = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((r) => slow.once('open', r));
    slow.send(JSON.stringify({ type: 'subscribe' }));
    await new Promise((r) => slow.once('message', r));
    await new Promise((r) => setTimeout(r, 200));
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const filler = 'x'.repeat(4096);
    const slowStream = `model-${randomUUID()}`;
    for (let i = 0; i < 40; i++) {
      await server.runtime.store.append(slowStream, Array.from({ length: 50 }, (_, k) => ({ id: randomUUID(), type: 'model.bench-filler', schemaVersion: 1, data: { modelId: slowStream.slice(6), k, filler }, actor: { kind: 'system' as const, id: 'bench' } })));
    }
    await new Promise((r) => setTimeout(r, 1500));
    global.gc?.();
    const rssAfter = process.memoryUsage().rss;
    // The paused client cannot read the server's close: ask the server how many model-updates clients it still holds.
    const auditor = await server.tokenFor('admin');
    const system = (await (await fetch(`${base}/api/v1/analytics/real-time/system`, { headers: { authorization: `Bearer ${auditor}` } })).json()) as { live: { clients: Record<string, number> } };
    const slowDisconnectedByServer = slowClosed || system.live.clients['model-updates'] === CLIENTS;
    slow.terminate();
    live = {
      wsClients: CLIENTS,
      eventsPerSecondTarget: EVENTS_PER_SECOND,
      eventsPerSecondCommitted: Math.round(achievedRate),
      framesExpected: expectedFrames,
      framesReceived: latencies.length,
      commitToClientP50Ms: percentile(latencies, 0.5),
      commitToClientP99Ms: percentile(latencies, 0.99),
      commitToClientMaxMs: latencies[latencies.length - 1],
      connect1000Ms: connectMs,
      slowClientDisconnected: slowDisconnectedByServer,
      slowClientBytesCommitted: 2000 * 4096,
      slowClientRssGrowthMb: Math.round(((rssAfter - rssBefore) / 1024 / 1024) * 10) / 10,
      loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    };
  } finally {
    await worker.terminate();
    server.app.server.closeAllConnections();
    await server.close();
  }
  const webhooks = await measureWebhookDelivery();
  return { ...live, webhookDeliveriesPerSec: webhooks.webhookDeliveriesPerSec, webhooks };
}

import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
import { systemActor } from '../src/events/envelope.js';
import { loadConfig } from '../src/platform/config.js';
import { subscribeWebhook } from '../src/processors/webhooks/webhook-subscriptions.js';
import { startRuntime } from '../src/runtime.js';

/**
 * Webhook delivery throughput: one subscription to a loopback receiver (answers 204 at once,
 * checks every signature as the Standard Webhooks definition says), EVENTS external events
 * appended in batches of 100 through the ledger; the clock runs from the first append to the
 * receiver holding every delivery. The whole path is measured: fan-out (checkpointed queueing),
 * dispatcher (claim, read events, disclose, sign, POST, log the attempt). PostgreSQL on loopback.
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 5000);
const BATCH = 100;

export async function run(): Promise<Record<string, unknown>> {
  const loadAtStart = loadavg()[0]!;
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-bench-webhooks-'));
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const runtime = await startRuntime(
    loadConfig({ RAIA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL, DATABASE_SCHEMA: schema, RAIA_SEAL_EVERY: '1000000', RAIA_SEAL_CRON: 'off', RAIA_COMPLIANCE_PACKS: 'on-demand', RAIA_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }),
  );
  let secretKey = Buffer.alloc(0);
  let received = 0;
  let badSignatures = 0;
  let done: () => void = () => undefined;
  const allReceived = new Promise<void>((resolve) => (done = resolve));
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const expected = `v1,${createHmac('sha256', secretKey).update(`${String(req.headers['webhook-id'])}.${String(req.headers['webhook-timestamp'])}.${Buffer.concat(chunks).toString('utf8')}`).digest('base64')}`;
      if (req.headers['webhook-signature'] !== expected) badSignatures++;
      res.writeHead(204).end();
      if (++received === EVENTS) done();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const sub = await subscribeWebhook(
      { store: runtime.store, catalogue: runtime.catalogue, secrets: runtime.webhooks.secrets, policy: runtime.webhooks.policy },
      { topic: 'external.event-published', url, filter: {}, ownerId: 'bench', personalData: 'pseudonymised' },
      { actor: systemActor('bench') },
    );
    secretKey = Buffer.from(sub.secret.slice('whsec_'.length), 'base64');
    const started = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => {
        const { schemaVersion, data } = runtime.catalogue.validate('external.event-published', { namespace: 'bench', type: 'tick', schemaSha256: '0'.repeat(64), externalId: null, payload: { n: i + k, note: 'x'.repeat(200) } });
        return { id: v7(), type: 'external.event-published', schemaVersion, data, actor: systemActor('bench') };
      });
      await runtime.store.append('external-bench', events, { expectedVersion: 'any' });
    }
    const appendedMs = performance.now() - started;
    await allReceived;
    const elapsedMs = performance.now() - started;
    return {
      events: EVENTS,
      webhookDeliveriesPerSec: Math.round((EVENTS * 1000) / elapsedMs),
      elapsedMs: Math.round(elapsedMs),
      appendMs: Math.round(appendedMs),
      badSignatures,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadAvg1mAtStart: Number(loadAtStart.toFixed(2)), loadAvg1mAtEnd: Number(loadavg()[0]!.toFixed(2)) },
    };
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

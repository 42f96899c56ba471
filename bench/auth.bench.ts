import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/platform/config.js';
import { startRuntime } from '../src/runtime.js';
import { buildApp } from '../src/api/app.js';
import { registerAccount } from '../src/commands/user/registration.js';
import { systemActor } from '../src/events/envelope.js';
import { ARGON2_PARAMETERS } from '../src/platform/password-hasher.js';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Runs `concurrency` loops of `request` for `seconds`; returns per-request latencies in ms. */
async function load(concurrency: number, seconds: number, request: () => Promise<Response>): Promise<{ latencies: number[]; elapsed: number }> {
  const latencies: number[] = [];
  const start = performance.now();
  const until = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const res = await request();
        if (res.status !== 200) throw new Error(`unexpected status ${res.status}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), elapsed: (performance.now() - start) / 1000 };
}

/** Sign-in and authenticated reads over real HTTP on loopback, PostgreSQL behind. */
export async function run(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-bench-auth-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ RAIA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL, DATABASE_SCHEMA: schema, RAIA_AUTH_RATE_LIMIT_PER_MINUTE: '1000000' });
  const runtime = await startRuntime(config);
  const app = await buildApp(runtime, { logger: false });
  try {
    // One account per client: concurrent sign-ins of different people, as in production.
    const accounts = Array.from({ length: 8 }, (_, i) => ({ email: `loadtest${i}@raia.test`, password: 'correct horse battery staple 2026' }));
    for (const [i, a] of accounts.entries()) {
      await registerAccount(runtime.identity, { ...a, name: `Load Tester ${i}`, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('bench'));
    }
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    let next = 0;
    const login = () => fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(accounts[next++ % accounts.length]) });
    const { accessToken } = (await (await login()).json()) as { accessToken: string };
    const me = () => fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    await load(4, 1, me); // warm-up

    const logins = await load(8, 10, login);
    const loginPerSec = logins.latencies.length / logins.elapsed;
    console.log(`  login: ${round(loginPerSec, 1)}/s, p50 ${round(percentile(logins.latencies, 0.5), 1)} ms, p99 ${round(percentile(logins.latencies, 0.99), 1)} ms (8 concurrent clients)`);
    const reads = await load(16, 10, me);
    const mePerSec = reads.latencies.length / reads.elapsed;
    console.log(`  GET /auth/me: ${round(mePerSec)}/s, p50 ${round(percentile(reads.latencies, 0.5), 2)} ms, p99 ${round(percentile(reads.latencies, 0.99), 2)} ms (16 concurrent clients)`);
    return {
      loginPerSec: round(loginPerSec, 1),
      loginP50Ms: round(percentile(logins.latencies, 0.5), 1),
      loginP99Ms: round(percentile(logins.latencies, 0.99), 1),
      mePerSec: round(mePerSec),
      meP99Ms: round(percentile(reads.latencies, 0.99), 2),
      argon2id: { memoryKiB: ARGON2_PARAMETERS.memoryCost, iterations: ARGON2_PARAMETERS.timeCost, parallelism: ARGON2_PARAMETERS.parallelism },
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
    };
  } finally {
    await app.close();
    await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

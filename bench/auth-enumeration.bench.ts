import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/platform/config.js';
import { startRuntime } from '../src/runtime.js';
import { buildApp } from '../src/api/app.js';
import { registerAccount } from '../src/commands/user/registration.js';
import { eraseSubject } from '../src/commands/privacy/erase-subject.js';
import { systemActor } from '../src/events/envelope.js';

/**
 * Account enumeration by timing: the median answer time of the public identity routes for an
 * address that has an account against one that has none (and, for sign-in, one whose account was
 * erased). A ratio near 1 means the time tells nothing; the target is within 20 %.
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CALLS = 30;
const TARGET_RATIO = 1.2;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Slower median over faster: 1 when the two paths cannot be told apart. */
const ratio = (a: number, b: number) => round(Math.max(a, b) / Math.min(a, b), 3);

export async function run(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-bench-enum-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ RAIA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL, DATABASE_SCHEMA: schema, RAIA_AUTH_RATE_LIMIT_PER_MINUTE: '1000000' });
  const runtime = await startRuntime(config);
  const app = await buildApp(runtime, { logger: false });
  try {
    const password = 'correct horse battery staple 2026';
    const known = Array.from({ length: 5 }, (_, i) => `known${i}@raia.test`);
    for (const email of known) await registerAccount(runtime.identity, { email, password, name: 'Known', role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('bench'));
    const erasedEmail = 'erased@raia.test';
    const erased = await registerAccount(runtime.identity, { email: erasedEmail, password, name: 'Erased', role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('bench'));
    await eraseSubject(runtime.identity, erased.userId, 'bench', { actor: systemActor('bench') });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });

    const timed = async (path: string, body: object, expected: number): Promise<number> => {
      const t = performance.now();
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      const ms = performance.now() - t;
      if (res.status !== expected) throw new Error(`${path} answered ${res.status}, expected ${expected}`);
      return ms;
    };
    let fresh = 0;
    const newAddress = () => `new${fresh++}-${randomBytes(3).toString('hex')}@raia.test`;
    // Each call starts with no earlier call's work still running (background steps, mail), so a
    // figure is the request's own time; the order alternates (ABBA) so drift hits both alike.
    const settle = async () => {
      await runtime.backgroundTasks.drain();
      await runtime.mailSender.flush();
    };
    const compare = async (first: () => Promise<number>, second: () => Promise<number>) => {
      const a: number[] = [];
      const b: number[] = [];
      const call = async (f: () => Promise<number>, into: number[]) => {
        await settle();
        into.push(await f());
      };
      for (let i = 0; i < 4; i++) await call(i % 2 ? first : second, []); // warm-up
      for (let i = 0; i < CALLS; i++) {
        const pair: [() => Promise<number>, number[]][] = [[first, a], [second, b]];
        for (const [f, into] of i % 2 === 0 ? pair : pair.reverse()) await call(f, into);
      }
      return { a: median(a), b: median(b) };
    };

    const register = await compare(
      () => timed('/api/v1/auth/register', { email: known[fresh % known.length], name: 'Someone', password }, 202),
      () => timed('/api/v1/auth/register', { email: newAddress(), name: 'Someone', password }, 202),
    );
    const forgot = await compare(
      () => timed('/api/v1/auth/forgot-password', { email: known[fresh++ % known.length] }, 202),
      () => timed('/api/v1/auth/forgot-password', { email: newAddress() }, 202),
    );
    const wrongPassword = 'not the password, just as long';
    const signIn = await compare(
      () => timed('/api/v1/auth/login', { email: known[fresh++ % known.length], password: wrongPassword }, 401),
      () => timed('/api/v1/auth/login', { email: newAddress(), password: wrongPassword }, 401),
    );
    const signInErased = await compare(
      () => timed('/api/v1/auth/login', { email: erasedEmail, password }, 401),
      () => timed('/api/v1/auth/login', { email: newAddress(), password }, 401),
    );
    const figures = {
      registerKnownMs: round(register.a),
      registerUnknownMs: round(register.b),
      registerRatio: ratio(register.a, register.b),
      forgotKnownMs: round(forgot.a),
      forgotUnknownMs: round(forgot.b),
      forgotRatio: ratio(forgot.a, forgot.b),
      loginWrongPasswordMs: round(signIn.a),
      loginUnknownMs: round(signIn.b),
      loginRatio: ratio(signIn.a, signIn.b),
      loginErasedMs: round(signInErased.a),
      loginErasedUnknownMs: round(signInErased.b),
      loginErasedRatio: ratio(signInErased.a, signInErased.b),
      targetRatio: TARGET_RATIO,
      callsPerMedian: CALLS,
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    };
    for (const name of ['register', 'forgot', 'login', 'loginErased'] as const) {
      const r = figures[`${name}Ratio`];
      console.log(`  ${name}: ratio ${r} ${r <= TARGET_RATIO ? 'within' : 'OUTSIDE'} the target ${TARGET_RATIO}`);
    }
    return figures;
  } finally {
    await app.close();
    await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

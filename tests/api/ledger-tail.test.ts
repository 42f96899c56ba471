import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { LEDGER_SEALED, checkSeal, keyFingerprint, ledgerSealedSchema } from '../../src/events/ledger-seal.js';
import { loadConfig } from '../../src/platform/config.js';
import { openDatabase } from '../../src/platform/database.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { eventually } from '../platform/message-bus-contract.js';
import { newEvent } from '../support/events.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { startTestServer, testConfig, type TestServer } from '../support/test-runtime.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Appends `count` single-event appends, each acknowledged to this caller; answers the last position. */
async function appendEvents(runtime: Runtime, count: number): Promise<number> {
  let position = 0;
  for (let i = 0; i < count; i++) position = (await runtime.store.append(`model-tail-${i % 3}`, [newEvent({ i })])).position;
  return position;
}

describe.each(['postgres', 'pglite'] as const)('the ledger tail on %s', (dialect) => {
  /** A server of its own per case: once its ledger is cut, it stays broken for good. */
  async function withServer(run: (server: TestServer, verify: (query?: string) => Promise<Record<string, unknown>>) => Promise<void>) {
    const server = await startTestServer(dialect, { RAIA_SEAL_CRON: 'off' });
    try {
      const auditor = `Bearer ${await server.tokenFor('auditor')}`;
      await run(server, async (query = '') => {
        const response = await server.app.inject({ method: 'GET', url: `/api/v1/audit/verify${query}`, headers: { authorization: auditor } });
        expect(response.statusCode).toBe(200);
        return response.json();
      });
    } finally {
      await server.close();
    }
  }

  it('reports the sealed end and the unsealed events after it, and fails when sealed rows are deleted from the tail', () =>
    withServer(async (server, verify) => {
      await appendEvents(server.runtime, 6);
      expect(await server.runtime.sealer.sealNow()).toBe(7);
      expect(await appendEvents(server.runtime, 3)).toBe(10);
      expect(await verify()).toMatchObject({ ok: true, headPosition: 10, sealedThrough: 6, unsealedEvents: 4, scope: { from: 1, to: 10, whole: true } });

      // The attacker: rows deleted straight from the table, back into the sealed segment.
      await server.runtime.db.knex.raw('DELETE FROM raia_events WHERE position > 4');
      const result = await verify();
      expect(result).toMatchObject({ ok: false, headPosition: 4, firstBrokenPosition: 5, sealedThrough: 0, unsealedEvents: 4, witness: { acknowledgedPosition: 10, sealedThrough: 6 } });
      expect(result.reason).toBe('the ledger ends at position 4, but position 10 was acknowledged and positions up to 6 were sealed (ledger witness): positions 5-10 are missing');
    }));

  it('fails when acknowledged, unsealed rows are deleted, and still when the tail is re-appended with other events', () =>
    withServer(async (server, verify) => {
      expect(await appendEvents(server.runtime, 10)).toBe(10);
      expect(await verify()).toMatchObject({ ok: true, headPosition: 10, sealedThrough: 0, unsealedEvents: 10, witness: { acknowledgedPosition: 10, sealedThrough: 0 } });
      await server.runtime.db.knex.raw('DELETE FROM raia_events WHERE position > 9');
      const one = await verify();
      expect(one).toMatchObject({ ok: false, headPosition: 9, firstBrokenPosition: 10 });
      expect(one.reason).toBe('the ledger ends at position 9, but position 10 was acknowledged (ledger witness): position 10 is missing');

      await server.runtime.db.knex.raw('DELETE FROM raia_events WHERE position > 7');
      expect((await verify()).reason).toMatch(/positions 8-10 are missing$/);
      // A range says it covered only part of the ledger, and judges the tail only where it reaches.
      expect(await verify('?from=2&to=5')).toMatchObject({ ok: true, checked: 4, scope: { from: 2, to: 5, whole: false } });
      expect(await verify('?from=2&to=20')).toMatchObject({ ok: false, firstBrokenPosition: 8, scope: { from: 2, to: 7, whole: false } });

      // Appending anew relinks a chain that verifies on its own, but not the hash acknowledged at 10.
      expect(await appendEvents(server.runtime, 3)).toBe(10);
      const rewritten = await verify();
      expect(rewritten).toMatchObject({ ok: false, headPosition: 10, firstBrokenPosition: 10 });
      expect(rewritten.reason).toBe('position 10 does not hold the event acknowledged there (ledger witness): the ledger was rewritten at or before it');
      await server.runtime.db.knex.raw('DELETE FROM raia_events');
      expect(await verify()).toMatchObject({ ok: false, headPosition: 0, firstBrokenPosition: 1, reason: expect.stringMatching(/positions 1-10 are missing$/) });
    }));

  it('fails, naming the file, when the witness was edited without the signing key', () =>
    withServer(async (server, verify) => {
      await appendEvents(server.runtime, 5);
      const path = join(server.dataDir, 'keys', 'ledger-witness.json');
      await eventually(() => expect(JSON.parse(readFileSync(path, 'utf8')).acknowledged.position).toBe(5), 5_000);
      // The attacker lowers the bound before cutting the tail, but cannot re-sign it.
      const witness = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify({ ...witness, acknowledged: { position: 3, hash: witness.acknowledged.hash } }));
      const result = await verify();
      expect(result).toMatchObject({ ok: false, firstBrokenPosition: null });
      expect(result.reason).toMatch(/^the ledger witness file was rejected \(witness signature is invalid\); it was moved to .*ledger-witness\.json\.rejected-/);
    }));

  it('a range verify of an intact ledger says it covered only that range', () =>
    withServer(async (server, verify) => {
      await appendEvents(server.runtime, 5);
      expect(await verify('?from=2&to=3')).toMatchObject({ ok: true, from: 2, to: 3, checked: 2, scope: { from: 2, to: 3, whole: false } });
      expect(await verify('?to=99')).toMatchObject({ ok: true, checked: 5, scope: { from: 1, to: 5, whole: true } });
    }));
});

describe.each(['postgres', 'pglite'] as const)('the ledger witness across a restart on %s', (dialect) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-witness-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  // PGlite keeps its database in the data dir, so the second process opens the same one.
  const config = testConfig(dialect, dataDir, schema);

  afterAll(async () => {
    if (dialect === 'postgres') {
      const db = await openDatabase({ url: TEST_DATABASE_URL, schema });
      await db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a new process reading the same data dir still knows what the last one acknowledged, and says so at start', async () => {
    const first = await startRuntime(config);
    await appendEvents(first, 8);
    expect(await first.store.verify()).toMatchObject({ ok: true, headPosition: 8, witness: { acknowledgedPosition: 8 } });
    await first.close();

    // The attacker cuts the tail while no process runs.
    const db = dialect === 'postgres' ? await openDatabase({ url: TEST_DATABASE_URL, schema }) : await openDatabase({ pgliteDir: join(dataDir, 'pglite'), schema });
    await db.knex.raw('DELETE FROM raia_events WHERE position > 5');
    await db.close();

    const logged: { level: number; msg: string; reason?: string }[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const second = await startRuntime(config, { logger });
    try {
      expect(logged).toContainEqual(expect.objectContaining({ level: 50, msg: 'the ledger falls short of what was acknowledged or sealed: run GET /api/v1/audit/verify', reason: expect.stringMatching(/positions 6-8 are missing$/) }));
      const app = await buildApp(second, { logger: false });
      const { sessionId } = await second.identity.sessions.create('auditor-1', 'vitest');
      const token = await second.accessTokens.issue({ userId: 'auditor-1', role: 'auditor', sessionId });
      const result = (await app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { authorization: `Bearer ${token}` } })).json();
      await app.close();
      expect(result).toMatchObject({ ok: false, headPosition: 5, firstBrokenPosition: 6, witness: { acknowledgedPosition: 8 } });
      expect(result.reason).toMatch(/positions 6-8 are missing$/);
    } finally {
      await second.close();
    }
  });
});

describe('ledger seals over NATS', () => {
  const token = randomBytes(5).toString('hex');
  const names = { NATS_STREAM: `T_${token}`, NATS_SUBJECT_PREFIX: `t${token}.raia.events`, NATS_SEAL_STREAM: `T_${token}_SEALS`, NATS_SEAL_SUBJECT: `t${token}.raia.ledger.sealed` };
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('postgres', { NATS_URL, RAIA_SEAL_CRON: 'off', ...names });
  });
  afterAll(async () => {
    await server.close();
    const nc = await connect({ servers: NATS_URL });
    const jsm = await nc.jetstreamManager();
    for (const stream of [names.NATS_SEAL_STREAM, names.NATS_STREAM]) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('each seal lands on the seal subject, in a stream that refuses to purge or delete it, checkable without RAIA', async () => {
    const { store, sealer } = server.runtime;
    await appendEvents(server.runtime, 4);
    const first = await sealer.sealNow();
    await appendEvents(server.runtime, 2);
    const second = await sealer.sealNow();
    const events = await store.readAll({ after: 0 });

    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      const archived = await eventually(async () => {
        const { state } = await jsm.streams.info(names.NATS_SEAL_STREAM);
        expect(state.messages).toBe(2);
        return Promise.all([1, 2].map((seq) => jsm.streams.getMessage(names.NATS_SEAL_STREAM, { seq })));
      }, 10_000);
      // Under the signing key's id, so ledgers sharing the NATS server keep apart.
      const sealSubject = `${names.NATS_SEAL_SUBJECT}.${keyFingerprint(server.runtime.keys.verifyKey)}`;
      expect(archived.map((m) => m.subject)).toEqual([sealSubject, sealSubject]);
      const held = archived.map((m) => m.json<{ id: string; position: number; data: unknown }>());
      expect(held.map((h) => h.position)).toEqual([first, second]);
      // What an outside observer holds: signed seals, checked against the ledger's hashes alone.
      const hashesOf = (from: number, to: number) => events.filter((e) => e.position >= from && e.position <= to).map((e) => e.hash);
      const seals = held.map((h) => ledgerSealedSchema.parse(h.data));
      expect(seals.map((s) => [s.fromPosition, s.toPosition])).toEqual([[1, 4], [5, 7]]);
      for (const seal of seals) expect(checkSeal(seal, hashesOf(seal.fromPosition, seal.toPosition))).toBeNull();

      const info = await jsm.streams.info(names.NATS_SEAL_STREAM);
      expect(info.config).toMatchObject({ deny_delete: true, deny_purge: true, max_age: 0, max_msgs: -1, max_bytes: -1 });
      await expect(jsm.streams.purge(names.NATS_SEAL_STREAM)).rejects.toThrow();
      await expect(jsm.streams.deleteMessage(names.NATS_SEAL_STREAM, 1)).rejects.toThrow();
      expect((await jsm.streams.info(names.NATS_SEAL_STREAM)).state.messages).toBe(2);
      // The relay still publishes the seal events on the bus, as every event.
      const relayed = await eventually(() => jsm.streams.getMessage(names.NATS_STREAM, { last_by_subj: `${names.NATS_SUBJECT_PREFIX}.${LEDGER_SEALED}` }), 10_000);
      expect(relayed.json<{ position: number }>().position).toBe(second);
    } finally {
      await nc.close();
    }
  });
  it('the archive alone shows a cut tail: a process without the witness (a new data dir) still fails verify', async () => {
    // Continues the case above: seals at 5 (of 1-4) and 8 (of 5-7) are archived; the head is 8.
    await server.runtime.db.knex.raw('DELETE FROM raia_events WHERE position > 6');
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-archive-'));
    const other = await startRuntime(
      loadConfig({
        RAIA_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: server.runtime.config.DATABASE_SCHEMA,
        NATS_URL,
        RAIA_SEAL_CRON: 'off',
        RAIA_COMPLIANCE_PACKS: 'on-demand',
        // Its own key; the first server's seals verify after its key id is trusted (as after a key rotation).
        RAIA_TRUSTED_SEAL_KEY_IDS: keyFingerprint(server.runtime.keys.verifyKey),
        ...names,
      }),
    );
    try {
      const result = await other.store.verify();
      expect(result).toMatchObject({ ok: false, headPosition: 6, firstBrokenPosition: 7, witness: null, sealArchive: { acknowledgedPosition: 8, sealedThrough: 7 } });
      expect(result.reason).toBe('the ledger ends at position 6, but position 8 was archived and positions up to 7 were sealed (NATS seal archive): positions 7-8 are missing');
    } finally {
      await other.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

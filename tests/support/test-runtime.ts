import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '../../src/api/permissions.js';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/platform/config.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { buildApp } from '../../src/api/app.js';
import type { DatabaseDialect } from '../../src/platform/database.js';
import { TEST_DATABASE_URL } from './test-database.js';

export type TestServer = {
  runtime: Runtime;
  app: FastifyInstance;
  dataDir: string;
  /** A real access token and session for a caller in `role` (no account events: tests keep the ledger to themselves). */
  tokenFor(role: Role): Promise<string>;
  close(): Promise<void>;
};

/** The configuration of a test process on its own data dir and schema (PostgreSQL on loopback, or PGlite). */
export function testConfig(dialect: DatabaseDialect, dataDir: string, schema: string, env: Record<string, string> = {}) {
  return loadConfig({
    RAIA_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    DATABASE_SCHEMA: schema,
    RAIA_SEAL_EVERY: '100000',
    // No timed seals: the default cron seals every test server's ledger at each fifth minute of the
    // clock, which moves the head under any test checking that a refused request recorded nothing.
    RAIA_SEAL_CRON: 'off',
    // Shipped compliance packs at the first compliance request, not at start: tests that count
    // ledger positions from 1 keep the ledger to themselves.
    RAIA_COMPLIANCE_PACKS: 'on-demand',
    ...(dialect === 'postgres' ? { DATABASE_URL: TEST_DATABASE_URL } : {}),
    ...env,
  });
}

/** A whole RAIA process (runtime + HTTP app, driven with `inject`) on its own schema or PGlite and data dir. */
export async function startTestServer(dialect: DatabaseDialect, env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-test-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const config = testConfig(dialect, dataDir, schema, env);
  const runtime = await startRuntime(config, dialect === 'pglite' ? { pglite: new PGlite({ extensions: { vector } }) } : {});
  const app = await buildApp(runtime, { logger: false });
  await runtime.projections.ready();
  return {
    runtime,
    app,
    dataDir,
    async tokenFor(role) {
      const userId = randomUUID();
      const { sessionId } = await runtime.identity.sessions.create(userId, 'vitest');
      return runtime.accessTokens.issue({ userId, role, sessionId });
    },
    async close() {
      await app.close();
      if (dialect === 'postgres') await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

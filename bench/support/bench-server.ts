import { randomUUID } from 'node:crypto';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/platform/config.js';
import { startRuntime } from '../../src/runtime.js';

/**
 * The RAIA process of the HTTP benches (`api`, `predict`): runtime and HTTP server on loopback, on the
 * PostgreSQL schema and data directory given in the environment (DATABASE_URL, DATABASE_SCHEMA,
 * RAIA_DATA_DIR). Prints one line `READY <json>` with its base URL and access tokens of a data
 * scientist and an auditor (issued in-process: the bench measures requests, not sign-ins), then
 * serves until SIGTERM.
 */
const runtime = await startRuntime(loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }));
const app = await buildApp(runtime, { logger: false });
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const token = async (role: 'data_scientist' | 'auditor') => {
  const userId = randomUUID();
  const { sessionId } = await runtime.identity.sessions.create(userId, 'bench');
  return runtime.accessTokens.issue({ userId, role, sessionId });
};
console.log(`READY ${JSON.stringify({ base, scientist: await token('data_scientist'), auditor: await token('auditor') })}`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await runtime.close();
    process.exit(0);
  })();
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { publishShippedPacks } from '../../../src/commands/compliance/shipped-packs.js';
import { openDatabase } from '../../../src/platform/database.js';
import { startRuntime } from '../../../src/runtime.js';
import { TEST_DATABASE_URL } from '../../support/test-database.js';
import { testConfig } from '../../support/test-runtime.js';

describe('shipped compliance packs at start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-packs-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const racing = `t_${randomBytes(6).toString('hex')}`;
  const config = testConfig('postgres', dataDir, schema, { RAIA_COMPLIANCE_PACKS: 'startup' });
  afterAll(async () => {
    const db = await openDatabase({ url: TEST_DATABASE_URL, schema });
    await db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.knex.raw(`DROP SCHEMA IF EXISTS "${racing}" CASCADE`);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const packEvents = async (runtime: Awaited<ReturnType<typeof startRuntime>>) => (await runtime.store.readAll({ after: 0, filter: { types: ['compliance.pack-published'] } })).map((e) => e.id);

  it('publishes each shipped pack once: at the first start, not again at the next, nor by concurrent publishers', async () => {
    const first = await startRuntime(config);
    const published = await packEvents(first);
    expect(published).toHaveLength(3);
    await first.close();
    const second = await startRuntime(config);
    try {
      expect(await packEvents(second)).toEqual(published);
      expect(await Promise.all([publishShippedPacks(second), publishShippedPacks(second)])).toEqual([[], []]);
      expect(await packEvents(second)).toEqual(published);
    } finally {
      await second.close();
    }
  });

  it('two publishers racing on an empty ledger record each pack once', async () => {
    const runtime = await startRuntime(testConfig('postgres', mkdtempSync(join(tmpdir(), 'raia-packs-')), racing, { RAIA_COMPLIANCE_PACKS: 'on-demand' }));
    try {
      expect(await packEvents(runtime)).toEqual([]);
      const [a, b] = await Promise.all([publishShippedPacks(runtime), publishShippedPacks(runtime)]);
      // Both may say so (the loser's append of the same event id is an idempotent no-op); the ledger holds each once.
      expect(new Set([...a, ...b]).size).toBe(3);
      expect(await packEvents(runtime)).toHaveLength(3);
    } finally {
      await runtime.close();
    }
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handleCommand } from '../../../src/commands/command-handler.js';
import { exportDecider, exportStreamId } from '../../../src/commands/export/export.decider.js';
import { openDatabase } from '../../../src/platform/database.js';
import { startRuntime } from '../../../src/runtime.js';
import { TEST_DATABASE_URL } from '../../support/test-database.js';
import { testConfig } from '../../support/test-runtime.js';

describe.each(['postgres', 'pglite'] as const)('export jobs across a restart on %s', (dialect) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-exports-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const config = testConfig(dialect, dataDir, schema);

  afterAll(async () => {
    if (dialect === 'postgres') {
      const db = await openDatabase({ url: TEST_DATABASE_URL, schema });
      await db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a job requested while no exporter ran is rendered by the next process, once', async () => {
    const first = await startRuntime(config);
    // The process goes down before its exporter gets to the request.
    await first.exportJobs.stop();
    const exportId = randomUUID();
    const actor = { kind: 'user' as const, id: 'auditor-1', role: 'auditor' };
    await handleCommand(first, exportDecider, exportStreamId(exportId), { type: 'RequestExport', exportId, kind: 'audit-log', format: 'csv', params: {}, requesterId: actor.id, personalData: 'pseudonymised' }, { actor });
    await new Promise((r) => setTimeout(r, 200));
    expect((await first.store.readStream(exportStreamId(exportId))).map((e) => e.type)).toEqual(['export.requested']);
    await first.close();

    const second = await startRuntime(config);
    try {
      let types: string[] = [];
      for (let i = 0; i < 400 && types.length < 2; i++) {
        types = (await second.store.readStream(exportStreamId(exportId))).map((e) => e.type);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(types).toEqual(['export.requested', 'export.completed']);
      const [requested, completed] = await second.store.readStream(exportStreamId(exportId));
      expect(completed!.causationId).toBe(requested!.id);
      const blob = (completed!.data.blob as { sha256: string }).sha256;
      expect(await second.blobs.exists(blob)).toBe(true);
    } finally {
      await second.close();
    }
    // A third start finds nothing left to do: the job is not rendered again.
    const third = await startRuntime(config);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect((await third.store.readStream(exportStreamId(exportId))).map((e) => e.type)).toEqual(['export.requested', 'export.completed']);
    } finally {
      await third.close();
    }
  });
});

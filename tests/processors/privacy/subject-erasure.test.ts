import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../../src/commands/user/registration.js';
import { systemActor } from '../../../src/events/envelope.js';
import { eraseUser, type SubjectErasureDependencies } from '../../../src/processors/privacy/subject-erasure.js';
import type { ExportsForSubject } from '../../../src/processors/privacy/exports-for-subject.js';
import { startTestServer, type TestServer } from '../../support/test-runtime.js';

/** Export jobs held in memory: the port's contract, as the export jobs module will keep it (find by subject, purge once). */
function exportJobsInMemory(jobs: { id: string; subjects: string[] }[]) {
  const purged: { id: string; reason: string }[] = [];
  const port: ExportsForSubject = {
    find: async (subjectId) => jobs.filter((j) => j.subjects.includes(subjectId) && !purged.some((p) => p.id === j.id)).map((j) => ({ id: j.id })),
    purge: async (id, reason) => void (purged.some((p) => p.id === id) || purged.push({ id, reason })),
  };
  return { port, purged };
}

describe.each(['postgres', 'pglite'] as const)('erasing a user on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(dialect);
  });
  afterAll(async () => {
    await server.close();
  });

  const depsWith = (exports: ExportsForSubject): SubjectErasureDependencies => ({
    identity: server.runtime.identity,
    db: server.runtime.db,
    blobs: server.runtime.blobs,
    apiKeyUsage: server.runtime.apiKeyUsage,
    dataDir: server.dataDir,
    projections: server.runtime.projections,
    mailSender: server.runtime.mailSender,
    exports,
    readWaitMs: 10_000,
  });
  const register = async (email: string) =>
    (await registerAccount(server.runtime.identity, { email, name: 'Ivy', password: 'a long enough passphrase', role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'))).userId;

  it('purges the exports that name the person, with the reason, and only those', async () => {
    const userId = await register('ivy@example.org');
    const { port, purged } = exportJobsInMemory([
      { id: 'export-1', subjects: [userId, 'someone-else'] },
      { id: 'export-2', subjects: ['someone-else'] },
      { id: 'export-3', subjects: [userId] },
    ]);
    const impact = await eraseUser(depsWith(port), userId, 'art. 17', systemActor('test'));
    expect(impact!.removed.exports).toEqual([{ id: 'export-1', action: 'purged' }, { id: 'export-3', action: 'purged' }]);
    expect(purged).toEqual([{ id: 'export-1', reason: `data subject ${userId} erased: art. 17` }, { id: 'export-3', reason: `data subject ${userId} erased: art. 17` }]);
    expect((await eraseUser(depsWith(port), userId, 'again', systemActor('test')))!.removed.exports).toEqual([]);
  });

  it('answers two erasures at once with one proof and no error', async () => {
    const userId = await register('jay@example.org');
    const { port } = exportJobsInMemory([]);
    const [a, b] = await Promise.all([eraseUser(depsWith(port), userId, 'one', systemActor('test')), eraseUser(depsWith(port), userId, 'two', systemActor('test'))]);
    expect(a!.proof).toEqual(b!.proof);
    const erased = (await server.runtime.store.readStream(`privacy-${userId}`)).filter((e) => e.type === 'privacy.subject-erased');
    expect(erased).toHaveLength(1);
    expect(a!.proof.eventId).toBe(erased[0]!.id);
  });

  it('answers null for an id with no account', async () => {
    expect(await eraseUser(depsWith(exportJobsInMemory([]).port), '0193f0c2-0000-7000-8000-000000000001', 'x', systemActor('test'))).toBeNull();
  });
});

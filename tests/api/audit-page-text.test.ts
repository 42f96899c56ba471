import { randomUUID, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEventTexts, searchLedgerText } from '../../src/api/audit-page-text.js';
import { auditPageSchema, searchLedger, type AuditCriteria } from '../../src/api/audit-query.js';
import type { DatabaseDialect } from '../../src/platform/database.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// The audit page as text (audit-page-text.ts) must be the page searchLedger builds (tests/api/audit.test.ts
// checks that one against hand-written expectations), for every order and bound, while it keeps the texts
// of plain events only: an account's personal fields must follow an erasure made after a first read.

const criteria = (c: Partial<AuditCriteria>): AuditCriteria => ({ limit: 50, offset: 0, sort: 'position', order: 'asc', ...c });

describe.each(['postgres', 'pglite'] as DatabaseDialect[])('audit pages as JSON text (%s)', (dialect) => {
  let server: TestServer;
  const userId = randomUUID();

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const { runtime } = server;
    const actor = { kind: 'system' as const, id: 'test' };
    // A plain event type (model.registered) around an account whose e-mail and name are sealed (user.registered).
    const model = (n: number) => ({ id: randomUUID(), type: 'model.registered', schemaVersion: 1, actor, data: { modelId: randomUUID(), name: `model ${n}`, type: 'classification', ownerId: 'u', description: '', tags: [], riskTier: 'limited', intendedUse: '' } });
    for (let n = 0; n < 3; n++) await runtime.store.append(`model-${randomUUID()}`, [model(n)]);
    const [email, name] = await runtime.vault.sealBatch([{ subjectId: userId, value: 'ada@example.test' }, { subjectId: userId, value: 'Ada Quill' }]);
    await runtime.store.append(`user-${userId}`, [
      {
        id: randomUUID(),
        type: 'user.registered',
        schemaVersion: 1,
        actor,
        data: { userId, email: email!, name: name!, passwordHash: null, emailDigest: createHash('sha256').update('ada').digest('hex'), role: 'viewer', method: 'self-service' },
      },
    ]);
    for (let n = 3; n < 6; n++) await runtime.store.append(`model-${randomUUID()}`, [model(n)]);
  });
  afterAll(async () => server?.close());

  const pages: [string, Partial<AuditCriteria>][] = [
    ['oldest first', {}],
    ['oldest first, offset 2, limit 3', { offset: 2, limit: 3 }],
    ['newest first', { order: 'desc' }],
    ['newest first, before a position, offset 1', { order: 'desc', before: 7, offset: 1, limit: 4 }],
    ['newest first between two positions (read forwards from the far end)', { order: 'desc', after: 2, before: 9, limit: 3, offset: 1 }],
    ['by type', { types: ['user.registered'] }],
    ['offset past the end', { offset: 500 }],
    ['an empty range', { after: 5, before: 6 }],
  ];

  it.each(pages)('%s: the same page as searchLedger, in both views, read twice (texts kept the second time)', async (_label, c) => {
    const texts = new AuditEventTexts();
    for (const view of ['clear', 'pseudonymised'] as const) {
      const expected = auditPageSchema.encode(await searchLedger(server.runtime, criteria(c), view));
      expect(JSON.parse(await searchLedgerText(server.runtime, criteria(c), view, texts))).toEqual(expected);
      expect(JSON.parse(await searchLedgerText(server.runtime, criteria(c), view, texts))).toEqual(expected);
    }
  });

  it('keeps plain events only: personal fields read in clear, then pseudonymised, then redacted after an erasure made after the first reads', async () => {
    const texts = new AuditEventTexts();
    const account = async (view: 'clear' | 'pseudonymised') => {
      const page = JSON.parse(await searchLedgerText(server.runtime, criteria({ types: ['user.registered'] }), view, texts)) as { events: { data: Record<string, unknown> }[] };
      return page.events[0]!.data;
    };
    expect(await account('clear')).toMatchObject({ email: 'ada@example.test', name: 'Ada Quill' });
    const pseudonymised = await account('pseudonymised');
    expect(pseudonymised.email).toMatch(/^\[personal:[0-9a-f]{16}\]$/);
    expect(JSON.stringify(pseudonymised)).not.toContain('Ada');
    await server.runtime.vault.erase(userId);
    expect(await account('clear')).toMatchObject({ email: '[redacted]', name: '[redacted]' });
    expect(await account('pseudonymised')).toMatchObject({ email: '[redacted]', name: '[redacted]' });
  });

  it('answers a page of kept texts from positions and hashes alone, reading no event', async () => {
    const texts = new AuditEventTexts();
    const store = server.runtime.store;
    const readEventsAt = store.readEventsAt!.bind(store);
    const asked: number[][] = [];
    const counting = { ...store, readEventsAt: async (positions: readonly number[]) => (asked.push([...positions]), readEventsAt(positions)) };
    const runtime = { ...server.runtime, store: counting } as typeof server.runtime;
    const first = await searchLedgerText(runtime, criteria({ limit: 3 }), 'clear', texts);
    expect(asked).toEqual([[1, 2, 3]]);
    // The same page again: every event of it is plain and kept.
    expect(await searchLedgerText(runtime, criteria({ limit: 3 }), 'clear', texts)).toBe(first);
    expect(asked).toHaveLength(1);
    // Positions 3, 4, 5: 3 is kept, 4 is the account (three models were registered before it), 5 not read yet.
    expect((await server.runtime.store.readAll({ filter: { types: ['user.registered'] } }))[0]!.position).toBe(4);
    await searchLedgerText(runtime, criteria({ after: 2, limit: 3 }), 'clear', texts);
    // Again: the account's event is read every time (it holds personal data), the plain ones no more.
    await searchLedgerText(runtime, criteria({ after: 2, limit: 3 }), 'clear', texts);
    expect(asked.slice(1)).toEqual([[4, 5], [4]]);
  });
});

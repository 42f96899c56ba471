import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 } from 'uuid';
import { handleCommand } from '../../src/commands/command-handler.js';
import { explanationJobDecider } from '../../src/commands/explanation/explanation-job.decider.js';
import { privacySubjectDecider } from '../../src/commands/privacy/privacy-subject.decider.js';
import { PreconditionFailed } from '../../src/commands/stream-precondition.js';
import { userDecider } from '../../src/commands/user/user.decider.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { systemActor } from '../../src/events/envelope.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let store: PostgresEventStore;
const catalogue = raiaEventCatalogue();
const exportOf = (subjectId: string) => ({ type: 'RecordDataExport' as const, subjectId, format: 'json' as const, counts: { account: 1, sessions: 0, apiKeys: 0, events: 1, datasetRows: 0, mails: 0 }, ledgerPosition: 1 });

beforeAll(async () => {
  db = await openTestDatabase('postgres');
  store = new PostgresEventStore(db);
}, 60_000);
afterAll(async () => {
  await store.close();
  await db.drop();
});

describe('command handler details', () => {
  it('records the actor, correlation and causation ids, and answers the stream\'s new version and state', async () => {
    const streamId = `privacy-${v7()}`;
    const correlationId = v7();
    const causationId = v7();
    const first = await handleCommand({ store, catalogue }, privacySubjectDecider, streamId, exportOf('s'), { actor: systemActor('exporter'), correlationId, causationId });
    expect(first).toMatchObject({ streamId, streamVersion: 0, state: { status: 'active' } });
    const second = await handleCommand({ store, catalogue }, privacySubjectDecider, streamId, exportOf('s'), { actor: systemActor('exporter') });
    expect(second.streamVersion).toBe(1);
    expect(second.position).toBeGreaterThan(first.position);
    const [stored] = await store.readStream(streamId);
    expect(stored).toMatchObject({ actor: { kind: 'system', id: 'exporter' }, correlationId, causationId, schemaVersion: 1, type: 'privacy.data-exported' });
    expect(stored!.metadata ?? {}).not.toHaveProperty('traceparent');
  });

  it('a decision of no events appends nothing and answers the version read (-1 for no stream) and the state', async () => {
    const userId = v7();
    const sealed = { $pii: 'v1' as const, subject: userId, iv: 'aaaaaaaaaaaaaaaa', ct: 'bbbb', tag: 'cccccccccccccccccccccc==' };
    const register = { type: 'Register' as const, userId, email: sealed, name: sealed, passwordHash: null, emailDigest: 'a'.repeat(64), role: 'viewer' as const, method: 'sso' as const, emailVerified: true };
    const registered = await handleCommand({ store, catalogue }, userDecider, `user-${userId}`, register, { actor: systemActor() });
    expect(registered.streamVersion).toBe(1);
    const nothing = await handleCommand({ store, catalogue }, userDecider, `user-${userId}`, { type: 'VerifyEmail' }, { actor: systemActor() });
    expect(nothing).toEqual({ streamId: `user-${userId}`, position: 0, streamVersion: 1, events: [], state: registered.state });
    expect(await store.readStream(`user-${userId}`)).toHaveLength(2);
    const jobId = v7();
    expect(await handleCommand({ store, catalogue }, explanationJobDecider, `explanationjob-${jobId}`, { type: 'FailExplanation', jobId, requestKey: 'k', reason: 'r' }, { actor: systemActor() })).toEqual({
      streamId: `explanationjob-${jobId}`,
      position: 0,
      streamVersion: -1,
      events: [],
      state: { status: 'none' },
    });
  });

  it('checks the caller\'s precondition against the version it reads', async () => {
    const streamId = `privacy-${v7()}`;
    const missing = await handleCommand({ store, catalogue }, privacySubjectDecider, streamId, exportOf('q'), { actor: systemActor(), precondition: { kind: 'exists' } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PreconditionFailed);
    expect(missing).toMatchObject({ streamId, current: null });
    expect(await store.readStream(streamId)).toEqual([]);
    await handleCommand({ store, catalogue }, privacySubjectDecider, streamId, exportOf('q'), { actor: systemActor() });
    expect((await handleCommand({ store, catalogue }, privacySubjectDecider, streamId, exportOf('q'), { actor: systemActor(), precondition: { kind: 'exists' } })).streamVersion).toBe(1);
    const stale = await handleCommand({ store, catalogue }, privacySubjectDecider, streamId, exportOf('q'), { actor: systemActor(), precondition: { kind: 'at', versions: [0] } }).catch((e: unknown) => e);
    expect(stale).toMatchObject({ name: 'PreconditionFailed', current: 1 });
    expect((await handleCommand({ store, catalogue }, privacySubjectDecider, streamId, exportOf('q'), { actor: systemActor(), precondition: { kind: 'at', versions: [0, 1] } })).streamVersion).toBe(2);
  });

  it('uses the ids given for the events, in order', async () => {
    const userId = v7();
    const sealed = { $pii: 'v1' as const, subject: userId, iv: 'aaaaaaaaaaaaaaaa', ct: 'bbbb', tag: 'cccccccccccccccccccccc==' };
    const ids = [v7(), v7()];
    const register = { type: 'Register' as const, userId, email: sealed, name: sealed, passwordHash: null, emailDigest: 'a'.repeat(64), role: 'viewer' as const, method: 'sso' as const, emailVerified: true };
    const result = await handleCommand({ store, catalogue }, userDecider, `user-${userId}`, register, { actor: systemActor(), eventIds: ids });
    expect(result.events.map((e) => [e.id, e.type])).toEqual([
      [ids[0], 'user.registered'],
      [ids[1], 'user.email-verified'],
    ]);
    expect(result.position).toBe(result.events[1]!.position);
  });
});

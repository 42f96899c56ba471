import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJobs, exportsShowingSubject, findExportJob, listExportJobs } from '../../src/projections/export-jobs.projection.js';
import { findNotification, listNotifications, notificationPreferences, notifications } from '../../src/projections/notifications.projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { applyAll, project, secondIso, sequence } from './read-model-harness.js';

const X1 = '00000000-0000-4000-8000-0000000000e1';
const X2 = '00000000-0000-4000-8000-0000000000e2';
const X3 = '00000000-0000-4000-8000-0000000000e3';
const X4 = '00000000-0000-4000-8000-0000000000e4';

const requested = (exportId: string, over: Record<string, unknown> = {}) => ['export.requested', { exportId, kind: 'audit-trail', format: 'ndjson', params: { from: 1 }, requesterId: 'officer-1', ...over }] as [string, Record<string, unknown>];

describe('export jobs read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  // By hand: X1 requested at 1, completed at 5 showing subjects u-1 and u-2; X2 (another
  // requester, kind) requested at 2, failed at 6; X3 requested at 3 (again at 4: ignored), deleted
  // at 7; X4 requested at 8, completed at 9 showing nobody.
  const life = () =>
    sequence([
      requested(X1),
      requested(X2, { kind: 'model-card', format: 'pdf', requesterId: 'officer-2', params: {} }),
      requested(X3),
      requested(X3, { kind: 'changed' }),
      ['export.completed', { exportId: X1, sha256: 'f'.repeat(64), size: 4096, contentType: 'application/x-ndjson', filename: 'audit.ndjson', ledgerHead: { position: 4, hash: 'h4' }, subjects: ['u-1', 'u-2'] }],
      ['export.failed', { exportId: X2, reason: 'renderer crashed' }],
      ['export.deleted', { exportId: X3, deletedBy: 'admin-1', reason: 'retention' }],
      requested(X4),
      ['export.completed', { exportId: X4, sha256: 'e'.repeat(64), size: 1, contentType: 'text/csv', filename: 'x.csv', ledgerHead: { position: 8, hash: 'h8' }, subjects: [] }],
      ['export.other', { exportId: X4 }],
    ]);
  const x1 = {
    exportId: X1,
    kind: 'audit-trail',
    format: 'ndjson',
    params: { from: 1 },
    requesterId: 'officer-1',
    status: 'completed',
    requestedPosition: 1,
    requestedAt: secondIso(0),
    finishedAt: secondIso(4),
    sha256: 'f'.repeat(64),
    size: 4096,
    contentType: 'application/x-ndjson',
    filename: 'audit.ndjson',
    ledgerHead: { position: 4, hash: 'h4' },
    subjects: ['u-1', 'u-2'],
    failure: null,
    deletedAt: null,
    deletedBy: null,
    deletionReason: null,
  };

  it('follows each job from its request to completion, failure or deletion', async () => {
    await project(db.knex, exportJobs, life());
    expect(await findExportJob(db.knex, X1)).toEqual(x1);
    expect(await findExportJob(db.knex, X2)).toEqual({
      exportId: X2, kind: 'model-card', format: 'pdf', params: {}, requesterId: 'officer-2', status: 'failed', requestedPosition: 2, requestedAt: secondIso(1), finishedAt: secondIso(5),
      sha256: null, size: null, contentType: null, filename: null, ledgerHead: null, subjects: [], failure: 'renderer crashed', deletedAt: null, deletedBy: null, deletionReason: null,
    });
    expect(await findExportJob(db.knex, X3)).toMatchObject({ kind: 'audit-trail', status: 'deleted', requestedPosition: 3, finishedAt: null, deletedAt: secondIso(6), deletedBy: 'admin-1', deletionReason: 'retention' });
    expect(await findExportJob(db.knex, '00000000-0000-4000-8000-0000000000ff')).toBeNull();
  });

  it('queues a job when it is requested', async () => {
    await project(db.knex, exportJobs, life().slice(0, 1));
    expect(await findExportJob(db.knex, X1)).toEqual({ ...x1, status: 'queued', finishedAt: null, sha256: null, size: null, contentType: null, filename: null, ledgerHead: null, subjects: [] });
  });

  it('finds the completed exports showing a subject', async () => {
    await project(db.knex, exportJobs, life());
    expect(await exportsShowingSubject(db.knex, 'u-2')).toEqual([x1]);
    expect(await exportsShowingSubject(db.knex, 'u')).toEqual([]);
    expect(await exportsShowingSubject(db.knex, 'u-3')).toEqual([]);
  });

  it('lists jobs newest request first, by requester, in the asked order, with the total', async () => {
    await project(db.knex, exportJobs, life());
    const ids = async (options: Parameters<typeof listExportJobs>[1]) => {
      const { jobs, total } = await listExportJobs(db.knex, options);
      return { ids: jobs.map((j) => j.exportId), total };
    };
    expect(await ids({ limit: 10, offset: 0 })).toEqual({ ids: [X4, X3, X2, X1], total: 4 });
    expect(await ids({ limit: 2, offset: 1 })).toEqual({ ids: [X3, X2], total: 4 });
    expect(await ids({ limit: 10, offset: 0, requesterId: 'officer-1' })).toEqual({ ids: [X4, X3, X1], total: 3 });
    expect(await ids({ limit: 10, offset: 0, sort: 'status', order: 'asc' })).toEqual({ ids: [X1, X4, X3, X2], total: 4 });
  });
});

const N1 = '00000000-0000-4000-8000-0000000000f1';
const N2 = '00000000-0000-4000-8000-0000000000f2';
const N3 = '00000000-0000-4000-8000-0000000000f3';
const N4 = '00000000-0000-4000-8000-0000000000f4';
const raised = (notificationId: string, recipientId: string, over: Record<string, unknown> = {}) =>
  ['notification.raised', { notificationId, recipientId, kind: 'model.deployed', title: 'A model was deployed', subject: { type: 'model', id: 'm-1' }, channels: ['in-app', 'email'], ...over }] as [string, Record<string, unknown>];

describe('notifications read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  // By hand: ann gets N1 (1), N2 (2, kind approval), N3 (4); bob gets N4 (3). N1 read at 5 (read
  // again at 7: the first time stays); bob cannot read ann's N2 (6); all read up to position 2 at 8
  // (N2; N3 stays unread); N3 deleted by bob (nothing) at 9, by ann at 10. N1 raised again (11): ignored.
  const life = () =>
    sequence([
      raised(N1, 'ann'),
      raised(N2, 'ann', { kind: 'approval.requested', title: 'Approve', subject: { type: 'model-version', id: 'm-1/2' }, channels: ['in-app'] }),
      raised(N4, 'bob'),
      raised(N3, 'ann'),
      ['notification.read', { notificationId: N1, recipientId: 'ann' }],
      ['notification.read', { notificationId: N2, recipientId: 'bob' }],
      ['notification.read', { notificationId: N1, recipientId: 'ann' }],
      ['notification.all-read', { recipientId: 'ann', upToPosition: 2 }],
      ['notification.deleted', { notificationId: N3, recipientId: 'bob' }],
      ['notification.deleted', { notificationId: N4, recipientId: 'bob' }],
      raised(N1, 'ann', { title: 'changed' }),
      ['notification.preferences-set', { userId: 'ann', preferences: { 'model.deployed': ['email'] } }],
      ['notification.preferences-set', { userId: 'ann', preferences: { 'model.deployed': [] } }],
      ['notification.other', { userId: 'ann' }],
    ]);

  it('records raises, reads (the first only), read-all up to a position and deletions, each only for its recipient', async () => {
    await project(db.knex, notifications, life());
    expect(await findNotification(db.knex, N1)).toEqual({ notificationId: N1, kind: 'model.deployed', title: 'A model was deployed', subject: { type: 'model', id: 'm-1' }, channels: ['in-app', 'email'], position: 1, raisedAt: secondIso(0), read: true, readAt: secondIso(4), recipientId: 'ann', deleted: false });
    expect(await findNotification(db.knex, N2)).toMatchObject({ read: true, readAt: secondIso(7), channels: ['in-app'], subject: { type: 'model-version', id: 'm-1/2' } });
    expect(await findNotification(db.knex, N3)).toMatchObject({ read: false, readAt: null, deleted: false, position: 4 });
    expect(await findNotification(db.knex, N4)).toMatchObject({ recipientId: 'bob', deleted: true, read: false });
    expect(await findNotification(db.knex, '00000000-0000-4000-8000-0000000000ff')).toBeNull();
  });

  it('lists a recipient’s notifications not deleted, unread only when asked, with the total and the unread count', async () => {
    await project(db.knex, notifications, life());
    const list = async (options: Partial<Parameters<typeof listNotifications>[2]>, who = 'ann') => {
      const r = await listNotifications(db.knex, who, { limit: 10, offset: 0, unreadOnly: false, ...options });
      return { ids: r.notifications.map((n) => n.notificationId), total: r.total, unread: r.unread };
    };
    expect(await list({})).toEqual({ ids: [N3, N2, N1], total: 3, unread: 1 });
    expect(await list({ unreadOnly: true })).toEqual({ ids: [N3], total: 1, unread: 1 });
    expect(await list({ limit: 1, offset: 1 })).toEqual({ ids: [N2], total: 3, unread: 1 });
    expect(await list({ sort: 'kind', order: 'asc' })).toEqual({ ids: [N2, N1, N3], total: 3, unread: 1 });
    expect(await list({}, 'bob')).toEqual({ ids: [], total: 0, unread: 0 });
    await applyAll(db.knex, notifications, sequence([['notification.deleted', { notificationId: N3, recipientId: 'ann' }, { position: 15 }]]));
    expect(await list({})).toEqual({ ids: [N2, N1], total: 2, unread: 0 });
  });

  it('keeps the last preferences set', async () => {
    await project(db.knex, notifications, life().slice(0, 12));
    expect(await notificationPreferences(db.knex, 'ann')).toEqual({ 'model.deployed': ['email'] });
    await project(db.knex, notifications, life());
    expect(await notificationPreferences(db.knex, 'ann')).toEqual({ 'model.deployed': [] });
    expect(await notificationPreferences(db.knex, 'bob')).toBeNull();
  });
});

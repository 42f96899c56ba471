import type { Actor } from '../../events/envelope.js';
import { CommandRefused } from '../../commands/decider.js';
import { eraseSubject } from '../../commands/privacy/erase-subject.js';
import { privacyStreamId } from '../../commands/privacy/privacy-subject.decider.js';
import { loadAccount } from '../../commands/user/account-lookup.js';
import { revokeApiKey } from '../../commands/user/api-keys.js';
import type { IdentityDependencies } from '../../commands/user/identity-dependencies.js';
import type { ApiKeyUsage } from '../../platform/api-key-usage.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import type { Database } from '../../platform/database.js';
import { compactErasedData } from '../../platform/erased-data-compaction.js';
import { scrubMailsTo, type MailSender } from '../../platform/mail-outbox.js';
import { deleteSentMailNaming } from '../../platform/sent-mail-files.js';
import { eventsAboutSubject, sealedFieldsOf } from './subject-ledger-scan.js';
import { personalDatasetFiles, subjectRowsOf } from './subject-dataset-rows.js';
import type { ExportsForSubject } from './exports-for-subject.js';
import type { DocumentsForSubject } from '../documents/documents-for-subject.js';

export type SubjectErasureDependencies = {
  identity: IdentityDependencies;
  db: Database;
  blobs: BlobStorage;
  apiKeyUsage: ApiKeyUsage;
  dataDir: string;
  projections: { waitFor(minPosition: number, timeoutMs: number, names?: string[]): Promise<boolean> };
  mailSender: Pick<MailSender, 'flush'>;
  exports: ExportsForSubject;
  /** Retrievable documents marked as holding the subject's personal data (deleted with their chunks). */
  documents?: DocumentsForSubject;
  /** How long to wait for the users read model to forget the person before its table is compacted. */
  readWaitMs: number;
};

/** Tables that held the person's data in clear (or their wrapped key) and are rewritten after erasure. */
export const ERASURE_COMPACTED_TABLES = ['users', 'api_keys', 'raia_sessions', 'raia_api_key_usage', 'raia_mail_outbox', 'raia_one_time_tokens', 'raia_subject_keys'] as const;

/** What an erasure did and where the shredded data lies, with the proof (the key destruction event). */
export type ErasureImpact = {
  subjectId: string;
  /** True when the subject had been erased before this request: nothing was left to remove. */
  alreadyErased: boolean;
  proof: { eventId: string; type: 'privacy.subject-erased'; streamId: string; position: number; hash: string; occurredAt: string; keyDestroyed: boolean };
  /** Where ciphertext under the destroyed key stays (unreadable, so the hash chain still verifies). */
  shredded: {
    streams: { streamId: string; events: number; sealedFields: number }[];
    datasetFiles: { datasetId: string; version: number; sha256: string; rows: number }[];
  };
  /** What this request removed or rewrote: read model and operational tables (rows changed), mails, exports. */
  removed: {
    readModels: { table: string; rows: number }[];
    sessionsRevoked: number;
    apiKeysRevoked: number;
    mails: { outboxRows: number; sentFiles: number };
    exports: { id: string; action: 'purged' }[];
  };
  storage: { compactedTables: string[]; walRotated: boolean };
};

async function erasureProof(identity: IdentityDependencies, subjectId: string): Promise<ErasureImpact['proof'] | null> {
  const erased = (await identity.store.readStream(privacyStreamId(subjectId))).find((e) => e.type === 'privacy.subject-erased');
  if (!erased) return null;
  return { eventId: erased.id, type: 'privacy.subject-erased', streamId: erased.streamId, position: erased.position, hash: erased.hash, occurredAt: erased.occurredAt.toISOString(), keyDestroyed: Boolean(erased.data.keyDestroyed) };
}

async function shreddedData(deps: SubjectErasureDependencies, subjectId: string, to: number): Promise<ErasureImpact['shredded']> {
  const streams = new Map<string, { streamId: string; events: number; sealedFields: number }>();
  for await (const e of eventsAboutSubject(deps.identity.store, subjectId, to)) {
    const sealed = sealedFieldsOf(e.data, subjectId);
    if (sealed === 0) continue;
    const s = streams.get(e.streamId) ?? { streamId: e.streamId, events: 0, sealedFields: 0 };
    s.events++;
    s.sealedFields += sealed;
    streams.set(e.streamId, s);
  }
  const datasetFiles: ErasureImpact['shredded']['datasetFiles'] = [];
  for (const file of await personalDatasetFiles(deps.identity.store, deps.blobs, to)) {
    const rows = (await subjectRowsOf(deps.blobs, file, subjectId)).length;
    if (rows > 0) datasetFiles.push({ datasetId: file.datasetId, version: file.version, sha256: file.sha256, rows });
  }
  return { streams: [...streams.values()], datasetFiles };
}

const nothingRemoved = (): ErasureImpact['removed'] => ({ readModels: [], sessionsRevoked: 0, apiKeysRevoked: 0, mails: { outboxRows: 0, sentFiles: 0 }, exports: [] });

/**
 * GDPR art. 17 for a user: everything the crypto-shredding of `eraseSubject` does not reach is
 * removed first (mails to their address, the sent .eml files, exports naming them, their API keys
 * and sessions, user agents and IPs in operational tables, one-time tokens), while the address
 * is still readable to find them; then the key is destroyed and recorded, the read models forget
 * the person, and the tables that held them are compacted so no old row version keeps them.
 * Idempotent: a second request answers the same proof with nothing removed. Null: no such user.
 */
export async function eraseUser(deps: SubjectErasureDependencies, userId: string, reason: string, actor: Actor): Promise<ErasureImpact | null> {
  const { identity } = deps;
  const account = await loadAccount(identity, userId);
  if (!account) return null;
  const head = (await identity.store.head()).position;
  const earlier = await erasureProof(identity, userId);
  if (earlier) {
    return { subjectId: userId, alreadyErased: true, proof: earlier, shredded: await shreddedData(deps, userId, head), removed: nothingRemoved(), storage: { compactedTables: [], walRotated: false } };
  }

  const shredded = await shreddedData(deps, userId, head);
  const removed = nothingRemoved();
  for (const found of await deps.exports.find(userId)) {
    await deps.exports.purge(found.id, `data subject ${userId} erased: ${reason}`);
    removed.exports.push({ id: found.id, action: 'purged' });
  }
  let documentChunks = 0;
  for (const found of (await deps.documents?.find(userId)) ?? []) documentChunks += (await deps.documents!.purge(found.id)).chunksRemoved;
  if (!account.erased) {
    // A batch being sent now finishes first, so the scrub below sees its rows and files.
    await deps.mailSender.flush();
    removed.mails.outboxRows = await scrubMailsTo(identity.knex, account.email);
    removed.mails.sentFiles = (await deleteSentMailNaming(deps.dataDir, account.email)).length;
  }
  const keyIds = Object.keys(account.apiKeys);
  for (const [keyId, key] of Object.entries(account.apiKeys)) {
    if (key.revoked) continue;
    await revokeApiKey(identity, userId, keyId, actor);
    removed.apiKeysRevoked++;
  }
  const sessionRows = (await identity.sessions.history(userId)).filter((x) => x.revokedAt === null || x.userAgent !== null).length;
  removed.sessionsRevoked = await identity.sessions.revokeAll(userId, 'subject-erased');
  await identity.sessions.forgetUserAgents(userId);
  const ips = await deps.apiKeyUsage.forgetIps(keyIds);
  const tokens = await identity.oneTimeTokens.discardAll(userId);

  let position: number;
  try {
    position = (await eraseSubject(identity, userId, reason, { actor })).position;
  } catch (error) {
    // Another request erased the subject meanwhile: its record is the proof.
    if (!(error instanceof CommandRefused && error.code === 'SUBJECT_ALREADY_ERASED')) throw error;
    position = (await erasureProof(identity, userId))!.position;
  }
  const proof = (await erasureProof(identity, userId))!;
  await deps.projections.waitFor(position, deps.readWaitMs, ['users', 'api_keys']);
  removed.readModels = [
    { table: 'users', rows: 1 },
    { table: 'api_keys', rows: removed.apiKeysRevoked },
    { table: 'raia_sessions', rows: sessionRows },
    { table: 'raia_api_key_usage', rows: ips },
    { table: 'raia_mail_outbox', rows: removed.mails.outboxRows },
    { table: 'raia_one_time_tokens', rows: tokens },
    { table: 'raia_subject_keys', rows: proof.keyDestroyed ? 1 : 0 },
    ...(deps.documents ? [{ table: 'document_chunks', rows: documentChunks }] : []),
  ];
  const storage = await compactErasedData(deps.db, ERASURE_COMPACTED_TABLES);
  return { subjectId: userId, alreadyErased: false, proof, shredded, removed, storage: { compactedTables: storage.tables, walRotated: storage.walRotated } };
}

import type { Actor, JsonObject, JsonValue } from '../../events/envelope.js';
import { discloseEvents, WITHHELD } from '../../events/event-disclosure.js';
import { isSealedField } from '../../events/personal-data.js';
import { handleCommand } from '../../commands/command-handler.js';
import { loadAccount } from '../../commands/user/account-lookup.js';
import type { IdentityDependencies } from '../../commands/user/identity-dependencies.js';
import { privacyStreamId, privacySubjectDecider, type ExportCounts } from '../../commands/privacy/privacy-subject.decider.js';
import { listApiKeys } from '../../projections/api-keys.projection.js';
import type { ApiKeyUsage } from '../../platform/api-key-usage.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import { mailsTo, type OutboxRecord } from '../../platform/mail-outbox.js';
import type { SessionRecord } from '../../platform/session-store.js';
import { eventsAboutSubject } from './subject-ledger-scan.js';
import { datasetRowsOfSubject, type SubjectDatasetRows } from './subject-dataset-rows.js';

export type SubjectExportDependencies = { identity: IdentityDependencies; blobs: BlobStorage; apiKeyUsage: ApiKeyUsage };

export type ExportedEvent = {
  id: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  streamVersion: number;
  position: number;
  occurredAt: string;
  actor: Actor;
  data: JsonObject;
  hash: string;
};

/** Everything RAIA holds about one person (GDPR art. 15 and 20), as one JSON document. */
export type SubjectDataExport = {
  format: 'raia.subject-export/1';
  subjectId: string;
  generatedAt: string;
  /** The ledger head the export was read at. */
  ledgerPosition: number;
  account: { userId: string; email: string; name: string; role: string; status: string; emailVerified: boolean; hasPassword: boolean; lockedUntil: string | null };
  /** Never a refresh token or its digest. */
  sessions: Omit<SessionRecord, 'userId'>[];
  /** Never a key or its digest. */
  apiKeys: { id: string; name: string; prefix: string; permissions: string[]; expiresAt: string | null; createdAt: string; revokedAt: string | null; lastUsedAt: string | null; lastUsedIp: string | null }[];
  /** Events the person authored or that name them; their own sealed fields opened, anyone else's and every credential withheld. */
  events: ExportedEvent[];
  datasetRows: SubjectDatasetRows[];
  /** Messages sent (or queued) to their address; bodies are not kept once sent. */
  mails: OutboxRecord[];
};

export type SubjectLookup = { status: 'unknown' } | { status: 'erased' } | { status: 'present'; email: string };

/** Whether a user exists, was erased, or is known with this address (read from the ledger, not a read model). */
export async function lookUpSubject(identity: IdentityDependencies, userId: string): Promise<SubjectLookup> {
  const account = await loadAccount(identity, userId);
  if (!account) return { status: 'unknown' };
  if (account.erased || (await identity.vault.isErased(userId))) return { status: 'erased' };
  return { status: 'present', email: account.email };
}

// Another person's sealed field in an event about this one stays theirs.
function withholdOthers(value: JsonValue, subjectId: string): JsonValue {
  if (isSealedField(value)) return value.subject === subjectId ? value : WITHHELD;
  if (Array.isArray(value)) return value.map((v) => withholdOthers(v, subjectId));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withholdOthers(v, subjectId)]));
  return value;
}

export const exportCounts = (e: SubjectDataExport): ExportCounts => ({
  account: 1,
  sessions: e.sessions.length,
  apiKeys: e.apiKeys.length,
  events: e.events.length,
  datasetRows: e.datasetRows.reduce((n, d) => n + d.rows.length, 0),
  mails: e.mails.length,
});

/** Gathers the export of an existing, not erased user; null when there is no such user (or no longer). */
export async function collectSubjectData(deps: SubjectExportDependencies, userId: string, now: Date): Promise<SubjectDataExport | null> {
  const { identity } = deps;
  const account = await loadAccount(identity, userId);
  if (!account || account.erased) return null;
  const { position: ledgerPosition } = await identity.store.head();

  const sessions = (await identity.sessions.history(userId)).map(({ userId: _owner, ...s }) => s);
  const keys = await listApiKeys(identity.knex, userId);
  const uses = await deps.apiKeyUsage.lastUses(keys.map((k) => k.keyId));
  const apiKeys = keys.map((k) => ({ id: k.keyId, name: k.name, prefix: k.prefix, permissions: k.permissions, expiresAt: k.expiresAt, createdAt: k.createdAt, revokedAt: k.revokedAt, lastUsedAt: uses.get(k.keyId)?.lastUsedAt ?? null, lastUsedIp: uses.get(k.keyId)?.lastUsedIp ?? null }));

  const found = [];
  for await (const e of eventsAboutSubject(identity.store, userId, ledgerPosition)) {
    const upcast = identity.catalogue.upcast(e);
    found.push({ ...upcast, data: withholdOthers(upcast.data, userId) as JsonObject });
  }
  const disclosed = await discloseEvents(found, identity, 'clear');
  const events = disclosed.map((e) => ({ id: e.id, type: e.type, schemaVersion: e.schemaVersion, streamId: e.streamId, streamVersion: e.streamVersion, position: e.position, occurredAt: e.occurredAt.toISOString(), actor: e.actor, data: e.data, hash: e.hash }));

  return {
    format: 'raia.subject-export/1',
    subjectId: userId,
    generatedAt: now.toISOString(),
    ledgerPosition,
    account: { userId, email: account.email, name: account.name, role: account.role, status: account.status, emailVerified: account.emailVerified, hasPassword: account.hasPassword, lockedUntil: account.lockedUntil },
    sessions,
    apiKeys,
    events,
    datasetRows: await datasetRowsOfSubject({ store: identity.store, blobs: deps.blobs, vault: identity.vault }, userId, ledgerPosition),
    mails: await mailsTo(identity.knex, account.email),
  };
}

/** Records that the export was handed out (who asked is the actor): counts, never the data. */
export async function recordSubjectExport(identity: IdentityDependencies, exported: SubjectDataExport, format: 'json' | 'zip', actor: Actor) {
  return handleCommand(identity, privacySubjectDecider, privacyStreamId(exported.subjectId), { type: 'RecordDataExport', subjectId: exported.subjectId, format, counts: exportCounts(exported), ledgerPosition: exported.ledgerPosition }, { actor });
}

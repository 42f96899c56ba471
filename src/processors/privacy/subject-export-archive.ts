import yazl from 'yazl';
import { canonicalJson } from '../../events/canonical-json.js';
import type { JsonValue } from '../../events/envelope.js';
import { csvTable, type CsvCell } from './csv-table.js';
import type { SubjectDataExport } from './subject-data-export.js';

const json = (value: unknown) => canonicalJson(value as JsonValue) ?? 'null';
const asCell = (value: unknown): CsvCell => (value === undefined ? null : typeof value === 'object' && value !== null ? json(value) : (value as CsvCell));

/** The CSV files of an export: one per table, nested values (event data, permissions) as JSON text. */
export function subjectExportTables(e: SubjectDataExport): Record<string, string> {
  const tables: Record<string, string> = {
    'account.csv': csvTable(Object.keys(e.account), [Object.values(e.account).map(asCell)]),
    'sessions.csv': csvTable(['sessionId', 'userAgent', 'createdAt', 'lastUsedAt', 'expiresAt', 'revokedAt', 'revokedReason'], e.sessions.map((s) => [s.sessionId, s.userAgent, s.createdAt, s.lastUsedAt, s.expiresAt, s.revokedAt, s.revokedReason])),
    'api-keys.csv': csvTable(['id', 'name', 'prefix', 'permissions', 'expiresAt', 'createdAt', 'revokedAt', 'lastUsedAt', 'lastUsedIp'], e.apiKeys.map((k) => [k.id, k.name, k.prefix, k.permissions.join(' '), k.expiresAt, k.createdAt, k.revokedAt, k.lastUsedAt, k.lastUsedIp])),
    'events.csv': csvTable(['position', 'id', 'type', 'schemaVersion', 'streamId', 'streamVersion', 'occurredAt', 'actor', 'data', 'hash'], e.events.map((v) => [v.position, v.id, v.type, v.schemaVersion, v.streamId, v.streamVersion, v.occurredAt, json(v.actor), json(v.data), v.hash])),
    'mails.csv': csvTable(['id', 'to', 'subject', 'status', 'attempts', 'createdAt', 'sentAt'], e.mails.map((m) => [m.id, m.to, m.subject, m.status, m.attempts, m.createdAt, m.sentAt])),
  };
  for (const d of e.datasetRows) tables[`dataset-${d.datasetId}-v${d.version}.csv`] = csvTable(d.columns, d.rows.map((r) => r.map(asCell)));
  return tables;
}

/** The export as a ZIP: `export.json` (the whole document) and a CSV file per table. */
export async function subjectExportZip(e: SubjectDataExport): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date(e.generatedAt);
  zip.addBuffer(Buffer.from(JSON.stringify(e, null, 2), 'utf8'), 'export.json', { mtime });
  for (const [name, text] of Object.entries(subjectExportTables(e))) zip.addBuffer(Buffer.from(text, 'utf8'), name, { mtime });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

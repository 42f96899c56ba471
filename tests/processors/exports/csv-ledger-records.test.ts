import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiaEventCatalogue } from '../../../src/events/catalogue/raia-event-catalogue.js';
import type { NewEvent } from '../../../src/events/envelope.js';
import type { EventStore } from '../../../src/events/event-store.js';
import { PersonalDataVault } from '../../../src/events/personal-data.js';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { FileBlobStorage } from '../../../src/platform/blob-storage.js';
import type { PersonalDataView } from '../../../src/events/event-disclosure.js';
import { exportRenderers } from '../../../src/processors/exports/export-renderers.js';
import { verifyExportFile } from '../../../src/processors/exports/export-verification.js';
import type { EvidenceManifest } from '../../../src/processors/exports/evidence-manifest.js';
import { renderExport, type ExportDependencies } from '../../../src/processors/exports/render-export.js';
import { eachZipEntry, readAll } from '../../../src/processors/exports/zip-entries.js';
import { startLedgerSealer } from '../../../src/processors/ledger-sealer.js';
import { dialects, openTestDatabase, type TestDatabase } from '../../support/test-database.js';

/**
 * The audit-log CSV written from records the database renders — by PostgreSQL's COPY CSV writer as
 * bytes (copyAllCsv, PostgreSQL only) or in SQL (readAllCsv) — against the one written from each
 * event's cells in JavaScript (the path of a store without either): byte for byte the same file, on
 * a ledger with what CSV and disclosure make hard.
 */
describe.each(dialects)('audit-log CSV records rendered by the database (%s)', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let deps: ExportDependencies;
  let dir: string;
  const user = (role: string, id = 'auditor-1') => ({ kind: 'user' as const, id, role });

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db);
    dir = mkdtempSync(join(tmpdir(), 'raia-csv-records-'));
    const catalogue = raiaEventCatalogue();
    const vault = new PersonalDataVault(db.knex, randomBytes(32));
    const { privateKey: signingKey, publicKey: verifyKey } = generateKeyPairSync('ed25519');
    const sealer = startLedgerSealer({ store, catalogue, signingKey, verifyKey, every: Number.MAX_SAFE_INTEGER });
    deps = { store, catalogue, vault, blobs: new FileBlobStorage(join(dir, 'blobs')), sealer, keys: { signingKey, verifyKey }, renderers: exportRenderers(), workDir: join(dir, 'work'), maxBytes: 2 ** 30 };

    const alice = await vault.seal('subject-alice', 'alice@example.org');
    const bob = await vault.seal('subject-bob', { name: 'Bob "the builder", =1+1' });
    const event = (type: string, data: NewEvent['data'], actor: NewEvent['actor'] = user('admin'), extra: Partial<NewEvent> = {}): NewEvent => ({ id: randomUUID(), type, schemaVersion: 1, data, actor, correlationId: randomUUID(), ...extra });
    const first = event('note.written', { text: '=HYPERLINK("http://evil","x")' });
    await store.append('note-1', [
      first,
      event('note.written', { text: '+1, -2, @SUM(A1)\ttab\r\nnew line', quote: 'say "hi"' }, user('=role, "quoted"')),
      event('note.written', { text: 'ünïcödé — 漢字 — 🎉 — \u2028', empty: '' }, { kind: 'service', id: '-svc' }, { causationId: first.id, metadata: { source: '@import', note: 'a,b' } }),
      event('note.written', { email: alice, nested: { owner: bob } }, user('data_steward')),
      // A catalogued type whose schema declares a classified field (a credential): shown withheld.
      event('user.password-changed', { userId: randomUUID(), passwordHash: alice, via: 'change' }, { kind: 'system', id: '+system' }),
    ]);
    await store.append('note-2', Array.from({ length: 30 }, (_, i) => event('note.written', { i, text: i % 2 ? `-${i}` : `${i},"${i}"` }, user(i % 3 ? 'viewer' : '@viewer'))));
    // Bob is erased: his sealed value reads [redacted] in either view.
    await vault.erase('subject-bob');
  });

  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The export's CSV file and manifest, rendered with `store`. */
  async function exported(withStore: EventStore, view: PersonalDataView, params: Record<string, unknown> = {}): Promise<{ csv: Buffer; manifest: EvidenceManifest; file: string }> {
    const result = await renderExport({ ...deps, store: withStore }, { exportId: randomUUID(), kind: 'audit-log', format: 'csv', params: params as never, requesterId: 'tester', personalData: view });
    const file = join(dir, `${randomUUID()}.zip`);
    await pipeline(await deps.blobs.open(result.sha256), createWriteStream(file));
    const entries = new Map<string, Buffer>();
    await eachZipEntry(file, async (name, stream) => void entries.set(name, await readAll(stream)));
    return { csv: entries.get('audit-log.csv')!, manifest: JSON.parse(entries.get('manifest.json')!.toString('utf8')) as EvidenceManifest, file };
  }

  /** The same store without some of its CSV reads: without both, the export writes every event from its cells. */
  const without = (...reads: Array<'copyAllCsv' | 'readAllCsv'>): EventStore => Object.assign(Object.create(store) as EventStore, Object.fromEntries(reads.map((r) => [r, undefined])));

  it('streams the records by COPY on PostgreSQL only', () => {
    expect(typeof store.copyAllCsv).toBe(dialect === 'postgres' ? 'function' : 'undefined');
  });

  it.each(['pseudonymised', 'clear'] as const)('gives the same bytes and the same range evidence as the cell writer (%s)', async (view) => {
    const fast = await exported(store, view);
    const sqlRecords = await exported(without('copyAllCsv'), view);
    const reference = await exported(without('copyAllCsv', 'readAllCsv'), view);
    expect(fast.csv.toString('utf8')).toBe(reference.csv.toString('utf8'));
    expect(fast.csv.equals(reference.csv)).toBe(true);
    expect(sqlRecords.csv.equals(reference.csv)).toBe(true);
    expect(fast.manifest.range).toEqual(reference.manifest.range);
    expect(sqlRecords.manifest.range).toEqual(reference.manifest.range);
    expect(fast.manifest.range?.count).toBe(35);
    expect(await verifyExportFile(fast.file, deps.renderers)).toMatchObject({ ok: true, problems: [] });

    const text = fast.csv.toString('utf8');
    const lines = text.split('\r\n');
    // Written out by hand from RFC 4180 and the formula rule (OWASP): a field holding a quote is
    // quoted with quotes doubled; text starting with = + - @ tab CR gets a leading '.
    // jsonb renders {"text": "=HYPERLINK(\"http://evil\",\"x\")"}; it starts with {, so no '.
    expect(text).toContain(',"{""text"": ""=HYPERLINK(\\""http://evil\\"",\\""x\\"")""}",');
    // The actor role `=role, "quoted"`: quoted (comma, quote) and prefixed inside the quotes.
    expect(text).toContain(',"\'=role, ""quoted""",');
    // CR, LF and tab in data reach the file as jsonb's escapes, inside the quoted JSON field.
    expect(text).toContain('@SUM(A1)\\ttab\\r\\nnew line');
    // The service actor `-svc` (no role): ',service,'-svc,,' then its correlation id.
    expect(text).toMatch(/,service,'-svc,,[0-9a-f-]{36},/);
    // The system actor `+system`.
    expect(text).toContain(",system,'+system,,");
    expect(text).toContain('ünïcödé — 漢字 — 🎉 — \u2028');
    // Roles of the 30 notes: 'viewer' twice in three, '@viewer' (prefixed) once in three (i = 0, 3, …, 27: 10 of them).
    expect(lines.filter((l) => l.includes(",'@viewer,")).length).toBe(10);
    // Sealed values went through disclosure, not through the database's records: Alice's address
    // (sealed in a type that declares no class for it, and as a credential) is withheld in either view.
    expect(text).not.toContain('Bob');
    expect(text).not.toContain('alice@example.org');
    expect(text).toContain('[withheld]');
    expect(text).not.toContain('"$pii"');
  });

  it('gives the same bytes through a filtered range (every kind of filter value written into the COPY as a literal)', async () => {
    // Types (text), an actor id with a quote and a comma, a time window (times), an upper position (a number).
    const params = { types: ['note.written', 'user.password-changed'], actorId: 'auditor-1', from: '2000-01-01T00:00:00.000Z', until: '2999-01-01T00:00:00.000Z', to: 30 };
    const fast = await exported(store, 'pseudonymised', params);
    const reference = await exported(without('copyAllCsv', 'readAllCsv'), 'pseudonymised', params);
    expect(fast.csv.equals(reference.csv)).toBe(true);
    expect(fast.manifest.range).toEqual(reference.manifest.range);
    // The notes by auditor-1 up to position 30: all but the service's and the system's events.
    expect(fast.manifest.range?.count).toBe(28);
    const odd = { ...params, actorId: `it's "odd", $q$ really` };
    const none = await exported(store, 'pseudonymised', odd);
    expect(none.csv.equals((await exported(without('copyAllCsv', 'readAllCsv'), 'pseudonymised', odd)).csv)).toBe(true);
    expect(none.manifest.range?.count).toBe(0);
  });
});

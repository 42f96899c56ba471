import { assembleModelCardWithEvidence } from '../../api/model-card.js';
import { ledgerPointAt } from '../../projections/as-of/ledger-point.js';
import { AnnexIvSubjectNotFound, buildAnnexIvReport } from '../compliance/annex-iv-report.js';
import { replayStream } from '../../commands/stream-replay.js';
import type { JsonObject, JsonValue, StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import { discloseEvents, type PersonalDataView } from '../../events/event-disclosure.js';
import type { AllFilter, EventStore } from '../../events/event-store.js';
import { SEALED_FIELD_JSON_KEY, isSealedField, type PersonalDataVault } from '../../events/personal-data.js';
import { CsvRecordBytes, type CellValue, type CsvRow, type ExportDocument, type ExportKind, type ExportSection, type TableColumn, type TableRow } from './export-document.js';
import { exportParamSchemas, type ExportParams } from './export-params.js';
import { readAllText } from '../../events/bulk-ledger-reads.js';
import type { CsvDisclosureRule, PositionHash, StoredEventText } from '../../events/event-store.js';
import { hasClassifiedFields } from '../../events/event-disclosure.js';
import type { SealRef } from './evidence-manifest.js';
import { RangeEvidence } from './range-evidence.js';
import { pagesOf } from './document-tables.js';

export type BuildContext = {
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  view: PersonalDataView;
  /** The sealed ledger head: nothing recorded after it goes into the export. */
  upTo: number;
  /** The ledger's seals, oldest first, the last closing at `upTo`. */
  seals: SealRef[];
};

export type BuiltExport = { document: ExportDocument; range: RangeEvidence<PositionHash> | null };
export type ExportBuilder = (context: BuildContext, params: JsonObject) => Promise<BuiltExport>;

/** Refused before anything is rendered: the thing to export does not exist, or the kind has no builder yet. */
export class ExportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportInputError';
  }
}

/** Data subjects with a sealed field in the events: when they are disclosed in clear, the export shows their personal data. */
function collectSubjects(value: JsonValue, into: string[], seen: Set<string>): void {
  if (isSealedField(value)) {
    if (!seen.has(value.subject)) {
      seen.add(value.subject);
      into.push(value.subject);
    }
  } else if (Array.isArray(value)) for (const v of value) collectSubjects(v, into, seen);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) collectSubjects(v, into, seen);
}

/** Discloses events for the export's view, noting whose personal data it then shows in clear. */
async function disclose(context: BuildContext, events: StoredEvent[], subjects: string[], seen: Set<string>): Promise<StoredEvent[]> {
  if (context.view === 'clear') for (const e of events) collectSubjects(e.data, subjects, seen);
  return discloseEvents(events, context, context.view);
}

const json = (value: unknown) => JSON.stringify(value);

export const EVENT_COLUMNS: TableColumn[] = [
  { key: 'position', label: 'Position', type: 'integer' },
  { key: 'occurredAt', label: 'Occurred at', type: 'date' },
  { key: 'id', label: 'Event id' },
  { key: 'type', label: 'Type' },
  { key: 'schemaVersion', label: 'Schema version', type: 'integer' },
  { key: 'streamId', label: 'Stream' },
  { key: 'streamVersion', label: 'Stream version', type: 'integer' },
  { key: 'actorKind', label: 'Actor kind' },
  { key: 'actorId', label: 'Actor id' },
  { key: 'actorRole', label: 'Actor role' },
  { key: 'correlationId', label: 'Correlation id' },
  { key: 'causationId', label: 'Causation id' },
  { key: 'data', label: 'Data (JSON)' },
  { key: 'metadata', label: 'Metadata (JSON)' },
  { key: 'prevHash', label: 'Previous hash' },
  { key: 'hash', label: 'Hash' },
];

/** An event's row in the columns above, its time and JSON given as the caller has them (typed, or text from a bulk read). */
function eventCells(e: StoredEvent | StoredEventText, occurredAt: Date | string, data: string, metadata: string): TableRow {
  return {
    position: e.position,
    occurredAt,
    id: e.id,
    type: e.type,
    schemaVersion: e.schemaVersion,
    streamId: e.streamId,
    streamVersion: e.streamVersion,
    actorKind: e.actor.kind,
    actorId: e.actor.id,
    actorRole: e.actor.kind === 'user' ? e.actor.role : null,
    correlationId: e.correlationId,
    causationId: e.causationId,
    data,
    metadata,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export const eventRow = (e: StoredEvent): TableRow => eventCells(e, e.occurredAt, json(e.data), json(e.metadata));

const disclosureNote = (view: PersonalDataView) =>
  `Personal fields are ${view === 'clear' ? 'shown in clear' : 'shown as pseudonyms'}; credentials are withheld. Hashes cover each event as stored (personal fields sealed), so they verify against the ledger and the evidence manifest, not against the disclosed data shown.`;

const PAGE = 1000;

/** How many LF-terminated lines (CSV records here: no field holds an LF) bytes [from, end) hold. */
function countLines(bytes: Buffer, from: number, end: number): number {
  let n = 0;
  for (let at = bytes.indexOf(0x0a, from); at >= 0 && at < end; at = bytes.indexOf(0x0a, at + 1)) n++;
  return n;
}

/** A text event as a typed one (its JSON parsed, its time a date). */
export const parsedEvent = (e: StoredEventText): StoredEvent => {
  const { occurredAt, dataJson, metadataJson, ...rest } = e;
  return { ...rest, occurredAt: new Date(occurredAt), data: JSON.parse(dataJson) as JsonObject, metadata: JSON.parse(metadataJson) as JsonObject };
};

/** A row straight from the text the ledger gave: for events with nothing to disclose, nothing is parsed. */
const textEventRow = (e: StoredEventText): TableRow => eventCells(e, e.occurredAt, e.dataJson, e.metadataJson);

/** The `type@version` of every catalogued event whose schema declares classified fields. */
const classifiedTypeKeys = (catalogue: EventCatalogue): string[] => catalogue.types().flatMap((d) => (hasClassifiedFields(catalogue, d) ? [`${d.type}@${d.schemaVersion}`] : []));

/** Whether an event's shown form differs from its stored form: its type declares classified fields, or it holds a sealed value. */
const mustDisclose = (catalogue: EventCatalogue, e: StoredEventText) =>
  hasClassifiedFields(catalogue, e) || e.dataJson.includes(SEALED_FIELD_JSON_KEY) || e.metadataJson.includes(SEALED_FIELD_JSON_KEY);

/** The rows of a page: events with something to disclose go through disclosure together, the others pass as text. */
async function pageRows(context: BuildContext, page: StoredEventText[], subjects: string[], seen: Set<string>): Promise<TableRow[]> {
  const rows: TableRow[] = new Array(page.length);
  const slow: number[] = [];
  for (let i = 0; i < page.length; i++) {
    if (mustDisclose(context.catalogue, page[i]!)) slow.push(i);
    else rows[i] = textEventRow(page[i]!);
  }
  if (slow.length > 0) {
    const shown = await disclose(context, slow.map((i) => parsedEvent(page[i]!)), subjects, seen);
    slow.forEach((i, k) => (rows[i] = eventRow(shown[k]!)));
  }
  return rows;
}

const auditLog: ExportBuilder = async (context, raw) => {
  const params = exportParamSchemas['audit-log'].parse(raw) as ExportParams['audit-log'];
  const filter: AllFilter = {
    ...(params.types ? { types: params.types } : {}),
    ...(params.streamId ? { streamId: params.streamId } : {}),
    ...(params.streamCategory ? { streamCategory: params.streamCategory } : {}),
    ...(params.actorId ? { actorId: params.actorId } : {}),
    ...(params.correlationId ? { correlationId: params.correlationId } : {}),
    ...(params.from ? { from: new Date(params.from) } : {}),
    ...(params.until ? { to: new Date(params.until) } : {}),
  };
  const filtered = Object.keys(filter).length > 0;
  const after = params.after ?? 0;
  const to = Math.min(params.to ?? context.upTo, context.upTo);
  // Unfiltered, the range is every position in (after, to]: its ends are known before it is read.
  const range = new RangeEvidence<PositionHash>(context.seals, filtered ? null : { from: after + 1, to });
  await range.prepare(context.store);
  const subjects: string[] = [];
  const seen = new Set<string>();
  const read = (from: number) => (from < to ? readAllText(context.store, { after: from, to, limit: PAGE, ...(filtered ? { filter } : {}) }) : Promise.resolve([]));
  async function* rows(): AsyncGenerator<TableRow[]> {
    // The next page is read while this one is rendered: the database and the renderer overlap.
    let pending = read(after);
    for (;;) {
      const page = await pending;
      if (page.length === 0) break;
      pending = read(page[page.length - 1]!.position);
      for (const e of page) range.add(e);
      yield await pageRows(context, page, subjects, seen);
    }
  }
  // The CSV writer's view of the same rows, where the store renders records itself: only the events
  // disclosure may rewrite come here whole, the others as their finished CSV records.
  const readCsv = context.store.readAllCsv?.bind(context.store);
  const rule: CsvDisclosureRule = { classifiedTypes: classifiedTypeKeys(context.catalogue), sealedMarker: SEALED_FIELD_JSON_KEY };
  async function* csvRows(read: NonNullable<EventStore['readAllCsv']>): AsyncGenerator<CsvRow[]> {
    const readPage = (from: number) => (from < to ? read({ after: from, to, limit: PAGE, ...(filtered ? { filter } : {}) }, rule) : Promise.resolve([]));
    let pending = readPage(after);
    for (;;) {
      const page = await pending;
      if (page.length === 0) break;
      pending = readPage(page[page.length - 1]!.position);
      const out: CsvRow[] = new Array(page.length);
      const whole: StoredEventText[] = [];
      const at: number[] = [];
      for (let i = 0; i < page.length; i++) {
        const e = page[i]!;
        range.add(e);
        if (e.csvRecord !== undefined) out[i] = e.csvRecord;
        else {
          whole.push(e);
          at.push(i);
        }
      }
      if (whole.length > 0) (await pageRows(context, whole, subjects, seen)).forEach((row, k) => (out[at[k]!] = row));
      yield out;
    }
  }
  // Where the store streams the records as bytes (one COPY on PostgreSQL): the same rows, no record a string.
  const copyCsv = context.store.copyAllCsv?.bind(context.store);
  async function* csvCopyRows(copy: NonNullable<EventStore['copyAllCsv']>): AsyncGenerator<CsvRow[]> {
    if (after >= to) return;
    for await (const page of copy({ after, to, ...(filtered ? { filter } : {}) }, rule)) {
      for (let i = 0; i < page.count; i++) range.addBytes(page.positions[i]!, page.hashes, 32 * i);
      if (page.whole.length === 0) {
        yield [new CsvRecordBytes(page.records, page.count)];
        continue;
      }
      const shown = await pageRows(context, page.whole.map((w) => w.event), subjects, seen);
      const out: CsvRow[] = [];
      let from = 0;
      const run = (end: number) => {
        if (end > from) out.push(new CsvRecordBytes(page.records.subarray(from, end), countLines(page.records, from, end)));
      };
      page.whole.forEach((w, k) => {
        run(w.at);
        out.push(shown[k]!);
        from = w.at;
      });
      run(page.records.length);
      yield out;
    }
  }
  const csvPages = copyCsv ? csvCopyRows(copyCsv) : readCsv ? csvRows(readCsv) : null;
  const criteria = Object.entries(params).map(([label, value]) => ({ label, value: Array.isArray(value) ? value.join(', ') : (value as CellValue) }));
  return {
    range,
    document: {
      kind: 'audit-log',
      title: 'Audit log',
      cover: [{ label: 'Ledger head (sealed)', value: context.upTo }, ...criteria],
      sections: [{ heading: 'Audit log', blocks: [{ kind: 'paragraph', text: disclosureNote(context.view) }, { kind: 'table', name: 'Audit log', columns: EVENT_COLUMNS, rows: pagesOf(rows()), ...(csvPages ? { csvRows: pagesOf(csvPages) } : {}) }] }],
      evidence: [],
      subjects,
    },
  };
};

const timeline: ExportBuilder = async (context, raw) => {
  const { streamId } = exportParamSchemas.timeline.parse(raw);
  const stored = (await context.store.readStream(streamId)).filter((e) => e.position <= context.upTo);
  if (stored.length === 0) throw new ExportInputError(`stream ${streamId} has no events`);
  const subjects: string[] = [];
  const shown = await disclose(context, stored, subjects, new Set());
  const replayed = replayStream(context.catalogue, streamId, shown);
  return {
    range: null,
    document: {
      kind: 'timeline',
      title: `Timeline of ${streamId}`,
      cover: [{ label: 'Stream', value: streamId }, { label: 'Aggregate', value: replayed.aggregate }, { label: 'Events', value: stored.length }, { label: 'Ledger head (sealed)', value: context.upTo }],
      sections: [
        { heading: 'State', blocks: [{ kind: 'facts', facts: [{ label: 'Replayed state (JSON)', value: json(replayed.state) }] }] },
        { heading: 'Events', blocks: [{ kind: 'paragraph', text: disclosureNote(context.view) }, { kind: 'table', name: 'Events', columns: EVENT_COLUMNS, rows: shown.map(eventRow) }] },
      ],
      evidence: stored,
      subjects,
    },
  };
};

const modelCard: ExportBuilder = async (context, raw) => {
  const { modelId } = exportParamSchemas['model-card'].parse(raw);
  const assembled = await assembleModelCardWithEvidence(context, modelId, await ledgerPointAt(context.store, { atPosition: context.upTo }, new Date()));
  if (!assembled) throw new ExportInputError(`model ${modelId} does not exist`);
  const { card, evidence } = assembled;
  const sections: ExportSection[] = [
    { heading: 'Intended use', blocks: [{ kind: 'paragraph', text: card.intendedUse || 'Not stated.' }] },
    { heading: 'Description', blocks: [{ kind: 'paragraph', text: card.description || 'None.' }] },
    {
      heading: 'Versions',
      blocks: [
        {
          kind: 'table',
          name: 'Versions',
          columns: [
            { key: 'version', label: 'Version', type: 'integer' },
            { key: 'status', label: 'Status' },
            { key: 'addedAt', label: 'Added at', type: 'date' },
            { key: 'task', label: 'Task' },
            { key: 'artifactSha256', label: 'Artifact SHA-256' },
            { key: 'trainingData', label: 'Training data' },
            { key: 'validation', label: 'Validation' },
            { key: 'approvals', label: 'Approvals' },
            { key: 'assessments', label: 'Assessments' },
          ],
          rows: card.versions.map((v) => ({
            version: v.version,
            status: v.status,
            addedAt: v.addedAt,
            task: v.task,
            artifactSha256: (v.artifact as { sha256?: string } | null)?.sha256 ?? null,
            trainingData: v.trainingData ? `${v.trainingData.datasetId} (${v.trainingData.contentHash})` : null,
            validation: v.validation ? v.validation.checks.map((c) => `${c.passed ? 'passed' : 'FAILED'}: ${c.name}`).join('; ') : null,
            approvals: v.approvals.map((a) => `${a.at} by ${a.approverId} (policy v${a.policyVersion})`).join('; ') || null,
            assessments: v.assessments.map((a) => `${a.kind} ${a.eventId}${a.failingChecks.length ? ` failing ${a.failingChecks.join(', ')}` : ''}`).join('; ') || null,
          })),
        },
        {
          kind: 'table',
          name: 'Metrics',
          columns: [{ key: 'version', label: 'Version', type: 'integer' }, { key: 'metric', label: 'Metric' }, { key: 'value', label: 'Value', type: 'number' }],
          rows: card.versions.flatMap((v) => Object.entries(v.metrics).map(([metric, value]) => ({ version: v.version, metric, value }))),
        },
      ],
    },
  ];
  return {
    range: null,
    document: {
      kind: 'model-card',
      title: `Model card: ${card.name}`,
      cover: [
        { label: 'Model id', value: card.modelId },
        { label: 'Type', value: card.type },
        { label: 'Risk tier (EU AI Act)', value: card.riskTier },
        { label: 'Owner', value: card.ownerId },
        { label: 'Status', value: card.status },
        { label: 'Deployed version', value: card.deployedVersion },
        { label: 'Registered', value: card.registeredAt },
        { label: 'Tags', value: card.tags.join(', ') },
        { label: 'Ledger position', value: card.ledgerPosition },
      ],
      sections,
      evidence,
      // The card is always pseudonymised (model-card.ts).
      subjects: [],
    },
  };
};

/** Every leaf of a JSON value as (path, value) rows: nested results (per-group metrics, per-column tests) kept whole and readable in a table. */
function leaves(value: JsonValue, path: string, out: TableRow[], limit: number): void {
  if (out.length >= limit) return;
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out, limit));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out, limit);
  else out.push({ field: path, value: value as CellValue });
}

const MAX_DETAIL_ROWS = 50_000;

/**
 * A report of recorded results (fairness assessments, explanations, drift reports, dataset
 * profiles): per result event a section with its scalar facts and every nested figure as a
 * field/value table, so every number in the file is one the event holds.
 */
function recordedResults(kind: ExportKind, title: string, select: (params: JsonObject) => { types: string[]; dataContains: JsonObject; describe: string }): ExportBuilder {
  return async (context, raw) => {
    const { types, dataContains, describe } = select(raw);
    const stored = await context.store.readAll({ filter: { types, dataContains }, to: context.upTo, limit: 10_000 });
    if (stored.length === 0) throw new ExportInputError(`no ${types.join(' or ')} recorded for ${describe}`);
    const subjects: string[] = [];
    const shown = await disclose(context, stored, subjects, new Set());
    const sections: ExportSection[] = shown.map((e) => {
      const scalars = Object.entries(e.data).filter(([, v]) => v === null || typeof v !== 'object');
      const nested: TableRow[] = [];
      for (const [k, v] of Object.entries(e.data)) if (v !== null && typeof v === 'object') leaves(v, k, nested, MAX_DETAIL_ROWS);
      return {
        heading: `${e.type} at position ${e.position}`,
        blocks: [
          { kind: 'facts', facts: [{ label: 'Event id', value: e.id }, { label: 'Recorded at', value: e.occurredAt }, { label: 'Recorded by', value: `${e.actor.kind} ${e.actor.id}` }, ...scalars.map(([label, value]) => ({ label, value: value as CellValue }))] },
          { kind: 'table', name: `${e.type} ${e.position} details`, columns: [{ key: 'field', label: 'Field' }, { key: 'value', label: 'Value' }], rows: nested },
        ],
      };
    });
    return {
      range: null,
      document: { kind, title, cover: [{ label: 'Subject', value: describe }, { label: 'Results', value: stored.length }, { label: 'Ledger head (sealed)', value: context.upTo }], sections, evidence: stored, subjects },
    };
  };
}

const versionFilter = (version: number | undefined): JsonObject => (version === undefined ? {} : { modelVersion: version });

/** The Annex IV technical documentation (processors/compliance) as the ledger stood at the sealed head. */
const complianceReport: ExportBuilder = async (context, raw) => {
  const { modelId, version } = exportParamSchemas['compliance-report'].parse(raw);
  try {
    return { document: await buildAnnexIvReport(context, { modelId, version, atPosition: context.upTo }), range: null };
  } catch (error) {
    if (error instanceof AnnexIvSubjectNotFound) throw new ExportInputError(`${error.message} does not exist`);
    throw error;
  }
};

/** Builders by kind. */
export const exportBuilders: Partial<Record<ExportKind, ExportBuilder>> = {
  'compliance-report': complianceReport,
  'audit-log': auditLog,
  timeline,
  'model-card': modelCard,
  'fairness-report': recordedResults('fairness-report', 'Fairness report', (raw) => {
    const p = exportParamSchemas['fairness-report'].parse(raw);
    return { types: ['fairness.assessed'], dataContains: { modelId: p.modelId, ...versionFilter(p.version) }, describe: `model ${p.modelId}${p.version ? ` version ${p.version}` : ''}` };
  }),
  'explanation-report': recordedResults('explanation-report', 'Explanation report', (raw) => {
    const p = exportParamSchemas['explanation-report'].parse(raw);
    return { types: ['explanation.computed'], dataContains: { modelId: p.modelId, ...versionFilter(p.version) }, describe: `model ${p.modelId}${p.version ? ` version ${p.version}` : ''}` };
  }),
  'drift-report': recordedResults('drift-report', 'Drift report', (raw) => {
    const p = exportParamSchemas['drift-report'].parse(raw);
    const dataContains: JsonObject = p.modelId ? { modelId: p.modelId } : { current: { datasetId: p.datasetId! } };
    return { types: ['drift.detected'], dataContains, describe: p.modelId ? `model ${p.modelId}` : `dataset ${p.datasetId}` };
  }),
  'dataset-profile': recordedResults('dataset-profile', 'Dataset profile', (raw) => {
    const p = exportParamSchemas['dataset-profile'].parse(raw);
    return { types: ['dataset.profiled', 'quality.validated'], dataContains: { datasetId: p.datasetId, ...(p.version ? { version: p.version } : {}) }, describe: `dataset ${p.datasetId}${p.version ? ` version ${p.version}` : ''}` };
  }),
};

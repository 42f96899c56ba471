import type { JsonObject, JsonValue, StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { ExportBlock, ExportDocument, ExportSection, TableRow } from '../exports/export-document.js';
import { evaluateControl, type ControlResult } from './control-evaluation.js';
import { loadLedgerFacts, packsInForce } from './compliance-status.js';
import type { LedgerFacts, ModelFacts, VersionFacts } from './ledger-facts.js';
import { resolveLedgerPoint } from './ledger-point.js';

type Deps = { store: EventStore; catalogue: EventCatalogue };

/** The model or version a report was asked for does not exist (as of the position asked for). */
export class AnnexIvSubjectNotFound extends Error {}

/** What the report reads beside models, incidents and the packs' evidence. */
const REPORT_TYPES = [
  'fairness.assessed',
  'fairness.mitigation-computed',
  'explanation.computed',
  'dataset.registered',
  'dataset.version-uploaded',
  'dataset.profiled',
  'quality.validated',
  'drift.detected',
  'drift.alert-raised',
  'drift.schedule-set',
  'drift.schedule-removed',
  'model.transition-refused',
  'policy.deployment-set',
];

const EU_AI_ACT = 'EU AI Act';

const time = (e: StoredEvent) => e.occurredAt;
const actorName = (e: StoredEvent) => (e.actor.kind === 'user' ? `${e.actor.id} (${e.actor.role})` : `${e.actor.kind}:${e.actor.id}`);
const obj = (v: JsonValue | undefined): JsonObject => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const arr = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : []);
const numOrNull = (v: JsonValue | undefined): number | null => (typeof v === 'number' ? v : null);
const text = (v: JsonValue | undefined): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

const paragraph = (t: string): ExportBlock => ({ kind: 'paragraph', text: t });
const evidenceColumns = [
  { key: 'position', label: 'Ledger position', type: 'integer' as const },
  { key: 'eventId', label: 'Event id' },
];
const ev = (e: StoredEvent): TableRow => ({ position: e.position, eventId: e.id });

/**
 * The technical documentation of a high-risk AI system per EU AI Act Art. 11 and Annex IV, for
 * one model version, as the ledger stood (now, or as of an instant): every figure comes from a
 * ledger event, and every such event is listed in `evidence` for the signed manifest.
 */
export async function buildAnnexIvReport(deps: Deps, request: { modelId: string; version: number; asOf?: Date; atPosition?: number }): Promise<ExportDocument> {
  const point = await resolveLedgerPoint(deps.store, { ...(request.asOf ? { asOf: request.asOf } : {}), ...(request.atPosition !== undefined ? { atPosition: request.atPosition } : {}) });
  const facts = await loadLedgerFacts(deps, point.position, REPORT_TYPES);
  const model = facts.models.get(request.modelId);
  if (!model) throw new AnnexIvSubjectNotFound(`model ${request.modelId}`);
  const version = model.versions.get(request.version);
  if (!version) throw new AnnexIvSubjectNotFound(`version ${request.version} of model ${request.modelId}`);
  const [headEvent] = point.position > 0 ? await deps.store.readAll({ after: point.position - 1, to: point.position, limit: 1 }) : [];
  // The seal that covers the position when one was recorded since (an export seals the ledger up to
  // the point it reports, so its seal comes right after), otherwise the newest one at or before it.
  const [next] = await deps.store.readAll({ after: point.position, limit: 1, filter: { types: ['ledger.sealed'] } });
  const covering = next && Number(next.data.fromPosition) <= point.position && point.position <= Number(next.data.toPosition) ? next : null;
  const [before = null] = covering || point.position === 0 ? [] : await deps.store.readAll({ direction: 'backwards', to: point.position, limit: 1, filter: { types: ['ledger.sealed'] } });
  const seal = covering ?? before;

  const evidence = new Map<string, StoredEvent>();
  const cite = (...events: StoredEvent[]) => {
    for (const e of events) evidence.set(e.id, e);
    return events;
  };
  const training = version.trainingDatasetId ? (facts.byDataset.get(version.trainingDatasetId) ?? []) : [];
  const pack = packsInForce(facts, EU_AI_ACT)[0] ?? null;
  if (pack) cite(...pack.events);
  // A seal recorded after the point is not part of what the report states; it proves it (in the manifest).
  if (before) cite(before);
  if (headEvent) cite(headEvent);

  const gaps: ControlResult[] = pack ? pack.controls.map((c) => evaluateControl(pack, c, facts, { model, version }, point.at)) : [];
  const byId = new Map<string, StoredEvent>();
  for (const list of facts.byType.values()) for (const e of list) byId.set(e.id, e);
  for (const g of gaps) for (const r of [...g.requirements.flatMap((q) => q.evidence), ...(g.notApplicable?.evidence ?? [])]) {
    const e = byId.get(r.eventId);
    if (e) cite(e);
  }

  const sections: ExportSection[] = [
    generalDescription(model, version, cite),
    developmentAndData(version, training, cite),
    validationAndMetrics(version, cite),
    fairness(version, cite),
    explanations(version, cite),
    riskAndOversight(model, version, facts, cite),
    lifecycle(model, version, cite),
    postMarket(model, version, facts, cite),
    incidents(model, version, facts, point.at, cite),
    gapList(gaps, pack !== null),
  ];

  return {
    kind: 'compliance-report',
    title: `Technical documentation (EU AI Act Annex IV): ${model.fields.name.value}, version ${version.version}`,
    cover: [
      { label: 'Model', value: `${model.fields.name.value} (${model.modelId})` },
      { label: 'Version', value: version.version },
      { label: 'Risk tier', value: model.riskTier },
      { label: 'Control pack', value: pack ? `${pack.framework} ${pack.version} (${pack.packId})` : 'none published' },
      { label: 'As of', value: point.at },
      { label: 'Ledger head position', value: point.position },
      { label: 'Ledger head hash', value: headEvent?.hash ?? null },
      { label: covering ? 'Sealed by' : 'Latest seal', value: seal ? `${covering ? 'the seal recorded after this point at ' : ''}position ${seal.position}, covering ${text(seal.data.fromPosition)}-${text(seal.data.toPosition)}, head ${text(seal.data.headHash)}` : 'none' },
      { label: 'Seal key id', value: seal ? text(seal.data.keyId) : null },
      { label: 'Sealed at', value: seal ? time(seal) : null },
    ],
    sections,
    evidence: [...evidence.values()].sort((a, b) => a.position - b.position),
    // Personal fields (incident descriptions, names) are left out: nothing about a data subject appears in clear.
    subjects: [],
  };
}

type Cite = (...events: StoredEvent[]) => StoredEvent[];

function generalDescription(model: ModelFacts, version: VersionFacts, cite: Cite): ExportSection {
  cite(model.registered, version.added, ...Object.values(model.fields).map((f) => f.event));
  const added = version.added.data;
  const artifact = obj(added.artifact);
  return {
    heading: '1. General description of the AI system (Annex IV(1))',
    blocks: [
      {
        kind: 'facts',
        facts: [
          { label: 'Name', value: model.fields.name.value },
          { label: 'Type', value: model.type },
          { label: 'Risk tier', value: model.riskTier },
          { label: 'Intended purpose', value: model.fields.intendedUse.value || '(not documented)' },
          { label: 'Description', value: model.fields.description.value || '(not documented)' },
          { label: 'Provider (owner)', value: model.ownerId },
          { label: 'Registered', value: time(model.registered) },
          { label: 'Version', value: version.version },
          { label: 'Version status', value: version.status },
          { label: 'Task', value: text(added.task) },
          { label: 'Artifact format', value: text(artifact.format) || 'remote endpoint' },
          { label: 'Artifact SHA-256', value: text(artifact.sha256) || null },
          { label: 'Notes', value: text(added.notes) },
        ],
      },
      {
        kind: 'table',
        name: 'Input schema',
        columns: [
          { key: 'feature', label: 'Feature' },
          { key: 'type', label: 'Type' },
        ],
        rows: arr(added.inputSchema).map((f) => ({ feature: text(obj(f).name), type: text(obj(f).type) })),
      },
    ],
  };
}

function developmentAndData(version: VersionFacts, training: StoredEvent[], cite: Cite): ExportSection {
  const trainingData = obj(version.added.data.trainingData);
  if (!version.trainingDatasetId) return { heading: '2. Development and data (Annex IV(2)(d))', blocks: [paragraph('The version names no training dataset.')] };
  const uploads = cite(...training.filter((e) => e.type === 'dataset.version-uploaded'));
  const profiles = cite(...training.filter((e) => e.type === 'dataset.profiled'));
  const quality = cite(...training.filter((e) => e.type === 'quality.validated'));
  cite(...training.filter((e) => e.type === 'dataset.registered'));
  return {
    heading: '2. Development and data (Annex IV(2)(d))',
    blocks: [
      { kind: 'facts', facts: [{ label: 'Training dataset', value: version.trainingDatasetId }, { label: 'Declared content hash', value: text(trainingData.contentHash) }] },
      {
        kind: 'table',
        name: 'Dataset versions',
        columns: [{ key: 'version', label: 'Version', type: 'integer' }, { key: 'sha256', label: 'File SHA-256' }, { key: 'format', label: 'Format' }, { key: 'rows', label: 'Rows', type: 'integer' }, { key: 'columns', label: 'Columns', type: 'integer' }, { key: 'uploaded', label: 'Uploaded', type: 'date' }, ...evidenceColumns],
        rows: uploads.map((e) => ({ version: numOrNull(e.data.version), sha256: text(obj(e.data.blob).sha256), format: text(e.data.format), rows: numOrNull(e.data.rowCount), columns: arr(e.data.columns).length, uploaded: time(e), ...ev(e) })),
      },
      {
        kind: 'table',
        name: 'Dataset profiles',
        columns: [{ key: 'version', label: 'Version', type: 'integer' }, { key: 'qualityScore', label: 'Quality score', type: 'number' }, { key: 'issues', label: 'Issues', type: 'integer' }, { key: 'profiled', label: 'Profiled', type: 'date' }, ...evidenceColumns],
        rows: profiles.map((e) => ({ version: numOrNull(e.data.version), qualityScore: numOrNull(e.data.qualityScore), issues: arr(e.data.issues).length, profiled: time(e), ...ev(e) })),
      },
      {
        kind: 'table',
        name: 'Data-quality validations',
        columns: [{ key: 'version', label: 'Version', type: 'integer' }, { key: 'passed', label: 'Passed', type: 'boolean' }, { key: 'rules', label: 'Rules checked', type: 'integer' }, { key: 'validated', label: 'Validated', type: 'date' }, ...evidenceColumns],
        rows: quality.map((e) => ({ version: numOrNull(e.data.version), passed: e.data.passed === true, rules: arr(e.data.results).length, validated: time(e), ...ev(e) })),
      },
    ],
  };
}

function validationAndMetrics(version: VersionFacts, cite: Cite): ExportSection {
  const validated = cite(...version.events.filter((e) => e.type === 'model.version-validated'));
  const checks = validated.flatMap((e) => arr(e.data.checks).map((c) => ({ check: text(obj(c).name), passed: obj(c).passed === true, detail: text(obj(c).detail), ...ev(e) })));
  const metrics = Object.entries(obj(version.added.data.metrics)).map(([metric, value]) => ({ metric, value: numOrNull(value), ...ev(version.added) }));
  return {
    heading: '3. Validation and performance metrics (Annex IV(2)(g), (3))',
    blocks: [
      validated.length === 0 ? paragraph('The version has not been validated.') : paragraph(`Validated on ${time(validated.at(-1)!).toISOString()}.`),
      { kind: 'table', name: 'Validation checks', columns: [{ key: 'check', label: 'Check' }, { key: 'passed', label: 'Passed', type: 'boolean' }, { key: 'detail', label: 'Detail' }, ...evidenceColumns], rows: checks },
      { kind: 'table', name: 'Declared metrics', columns: [{ key: 'metric', label: 'Metric' }, { key: 'value', label: 'Value', type: 'number' }, ...evidenceColumns], rows: metrics },
    ],
  };
}

function fairness(version: VersionFacts, cite: Cite): ExportSection {
  const assessments = cite(...version.events.filter((e) => e.type === 'fairness.assessed'));
  if (assessments.length === 0) return { heading: '4. Fairness (Annex IV(2)(g), Art. 10(2)(f))', blocks: [paragraph('No fairness assessment of this version is recorded.')] };
  const summary = assessments.map((e) => ({ assessed: time(e), source: text(e.data.source), dataset: text(e.data.datasetId) || null, failedChecks: arr(e.data.failedChecks).map(text).join(', '), ...ev(e) }));
  // Disparities with their bootstrap intervals, every grouping of every assessment.
  const disparities: TableRow[] = [];
  for (const e of assessments) {
    const report = obj(e.data.report);
    for (const g of arr(report.groupings)) {
      const grouping = obj(g);
      const measures = obj(grouping.disparities ?? grouping.differences);
      for (const [metric, m] of Object.entries(measures)) {
        const ci = obj(obj(m).ci);
        disparities.push({ grouping: text(grouping.name), metric, value: numOrNull(obj(m).value), lower: numOrNull(ci.lower), upper: numOrNull(ci.upper), level: numOrNull(ci.level), ...ev(e) });
      }
    }
  }
  const latest = assessments.at(-1)!;
  const grouping = obj(arr(obj(latest.data.report).groupings)[0]);
  const metricName = obj(latest.data.report).task === 'regression' ? 'meanPrediction' : 'selectionRate';
  const values = arr(grouping.groups).map((g) => {
    const m = obj(obj(obj(g).metrics)[metricName]);
    const ci = obj(m.ci);
    return { group: text(obj(g).group), value: numOrNull(m.value), lower: numOrNull(ci.lower), upper: numOrNull(ci.upper) };
  });
  const blocks: ExportBlock[] = [
    { kind: 'table', name: 'Fairness assessments', columns: [{ key: 'assessed', label: 'Assessed', type: 'date' }, { key: 'source', label: 'Source' }, { key: 'dataset', label: 'Dataset' }, { key: 'failedChecks', label: 'Failed checks' }, ...evidenceColumns], rows: summary },
    {
      kind: 'table',
      name: 'Disparities with bootstrap intervals',
      columns: [{ key: 'grouping', label: 'Grouping' }, { key: 'metric', label: 'Metric' }, { key: 'value', label: 'Value', type: 'number' }, { key: 'lower', label: 'CI lower', type: 'number' }, { key: 'upper', label: 'CI upper', type: 'number' }, { key: 'level', label: 'CI level', type: 'percent' }, ...evidenceColumns],
      rows: disparities,
    },
  ];
  if (values.length > 0) {
    blocks.push({
      kind: 'chart',
      title: `${metricName} by group (${text(grouping.name)}), latest assessment`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        description: `${metricName} per group with its bootstrap interval; fairness.assessed event ${latest.id}`,
        data: { values },
        layer: [
          { mark: 'bar', encoding: { x: { field: 'group', type: 'nominal', title: text(grouping.name) }, y: { field: 'value', type: 'quantitative', title: metricName } } },
          { mark: { type: 'rule' }, encoding: { x: { field: 'group', type: 'nominal' }, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' } } },
        ],
      },
    });
  }
  return { heading: '4. Fairness (Annex IV(2)(g), Art. 10(2)(f))', blocks };
}

/** Mean |value| per feature when the result holds per-row attributions (Shapley values). */
function meanAbsolute(result: JsonObject, features: string[]): { feature: string; meanAbs: number }[] {
  const rows = arr(result.values);
  if (rows.length === 0 || !rows.every((r) => Array.isArray(r) && r.length === features.length)) return [];
  const sums = features.map(() => 0);
  for (const r of rows) (r as JsonValue[]).forEach((v, i) => (sums[i]! += typeof v === 'number' ? Math.abs(v) : 0));
  return features.map((feature, i) => ({ feature, meanAbs: sums[i]! / rows.length })).sort((a, b) => b.meanAbs - a.meanAbs);
}

function explanations(version: VersionFacts, cite: Cite): ExportSection {
  const computed = cite(...version.events.filter((e) => e.type === 'explanation.computed'));
  if (computed.length === 0) return { heading: '5. Explanations (Annex IV(2)(b), Art. 13)', blocks: [paragraph('No explanation of this version is recorded.')] };
  const importance = computed.flatMap((e) => meanAbsolute(obj(e.data.result), arr(e.data.featureNames).map(text)).map((f) => ({ method: text(e.data.method), ...f, ...ev(e) })));
  return {
    heading: '5. Explanations (Annex IV(2)(b), Art. 13)',
    blocks: [
      {
        kind: 'table',
        name: 'Explanations',
        columns: [{ key: 'computed', label: 'Computed', type: 'date' }, { key: 'method', label: 'Method' }, { key: 'outputSpace', label: 'Output space' }, { key: 'features', label: 'Features', type: 'integer' }, { key: 'rowsHash', label: 'Rows SHA-256' }, { key: 'failedChecks', label: 'Failed checks' }, ...evidenceColumns],
        rows: computed.map((e) => ({ computed: time(e), method: text(e.data.method), outputSpace: text(e.data.outputSpace), features: arr(e.data.featureNames).length, rowsHash: text(e.data.rowsHash), failedChecks: arr(e.data.failedChecks).map(text).join(', '), ...ev(e) })),
      },
      { kind: 'table', name: 'Mean absolute attribution per feature', columns: [{ key: 'method', label: 'Method' }, { key: 'feature', label: 'Feature' }, { key: 'meanAbs', label: 'Mean |attribution|', type: 'number' }, ...evidenceColumns], rows: importance },
    ],
  };
}

function riskAndOversight(model: ModelFacts, version: VersionFacts, facts: LedgerFacts, cite: Cite): ExportSection {
  const approvals = cite(...version.events.filter((e) => e.type === 'model.version-approved'));
  const refusals = cite(...version.events.filter((e) => e.type === 'model.transition-refused'));
  const policy = facts.byType.get('policy.deployment-set')?.at(-1);
  if (policy) cite(policy);
  return {
    heading: '6. Risk management and human oversight (Annex IV(2)(e), (5); Art. 9, 14)',
    blocks: [
      paragraph(policy ? `Deployment policy v${text(policy.data.policyVersion)} in force since ${time(policy).toISOString()}: ${text(policy.data.policy)}` : 'The default deployment policy applies (no policy was set).'),
      {
        kind: 'table',
        name: 'Approvals',
        columns: [{ key: 'approved', label: 'Approved', type: 'date' }, { key: 'approver', label: 'Approver' }, { key: 'comment', label: 'Comment' }, { key: 'policyVersion', label: 'Policy version', type: 'integer' }, ...evidenceColumns],
        rows: approvals.map((e) => ({ approved: time(e), approver: actorName(e), comment: text(e.data.comment), policyVersion: numOrNull(e.data.policyVersion), ...ev(e) })),
      },
      {
        kind: 'table',
        name: 'Refused transitions',
        columns: [{ key: 'refused', label: 'Refused', type: 'date' }, { key: 'transition', label: 'Transition' }, { key: 'by', label: 'Asked by' }, { key: 'reasons', label: 'Reasons' }, ...evidenceColumns],
        rows: refusals.map((e) => ({ refused: time(e), transition: text(e.data.transition), by: actorName(e), reasons: arr(e.data.reasons).map(text).join('; '), ...ev(e) })),
      },
    ],
  };
}

function lifecycle(model: ModelFacts, version: VersionFacts, cite: Cite): ExportSection {
  const ofVersion = new Set(version.events);
  const modelWide = new Set(['model.registered', 'model.updated', 'model.deleted']);
  const changes = cite(...model.events.filter((e) => modelWide.has(e.type) || (e.type.startsWith('model.') && ofVersion.has(e))));
  return {
    heading: '7. Lifecycle changes (Annex IV(6))',
    blocks: [
      {
        kind: 'table',
        name: 'Lifecycle',
        columns: [{ key: 'at', label: 'When', type: 'date' }, { key: 'type', label: 'Event' }, { key: 'by', label: 'By' }, { key: 'detail', label: 'Detail' }, ...evidenceColumns],
        rows: changes.map((e) => ({ at: time(e), type: e.type, by: actorName(e), detail: text(e.data.changes ?? e.data.reason ?? e.data.comment ?? null), ...ev(e) })),
      },
    ],
  };
}

function postMarket(model: ModelFacts, version: VersionFacts, facts: LedgerFacts, cite: Cite): ExportSection {
  // A removal names only the schedule, not the model.
  const removed = new Set((facts.byType.get('drift.schedule-removed') ?? []).map((e) => text(e.data.scheduleId)));
  const schedules = cite(...model.events.filter((e) => e.type === 'drift.schedule-set'));
  const ids = new Set(schedules.map((e) => text(e.data.scheduleId)));
  cite(...(facts.byType.get('drift.schedule-removed') ?? []).filter((e) => ids.has(text(e.data.scheduleId))));
  const reports = cite(...model.events.filter((e) => e.type === 'drift.detected' && (e.data.modelVersion === null || e.data.modelVersion === version.version)));
  const alerts = cite(...model.events.filter((e) => e.type === 'drift.alert-raised'));
  return {
    heading: '8. Post-market monitoring (Annex IV(9), Art. 72)',
    blocks: [
      {
        kind: 'table',
        name: 'Drift schedules',
        columns: [{ key: 'scheduleId', label: 'Schedule' }, { key: 'cron', label: 'Cron' }, { key: 'active', label: 'Active', type: 'boolean' }, { key: 'set', label: 'Set', type: 'date' }, ...evidenceColumns],
        rows: schedules.map((e) => ({ scheduleId: text(e.data.scheduleId), cron: text(e.data.cron), active: !removed.has(text(e.data.scheduleId)), set: time(e), ...ev(e) })),
      },
      {
        kind: 'table',
        name: 'Drift reports',
        columns: [{ key: 'detected', label: 'Checked', type: 'date' }, { key: 'datasetDrift', label: 'Dataset drift', type: 'boolean' }, { key: 'driftShare', label: 'Share of drifted columns', type: 'percent' }, ...evidenceColumns],
        rows: reports.map((e) => ({ detected: time(e), datasetDrift: e.data.datasetDrift === true, driftShare: numOrNull(e.data.driftShare), ...ev(e) })),
      },
      {
        kind: 'table',
        name: 'Drift alerts',
        columns: [{ key: 'raised', label: 'Raised', type: 'date' }, { key: 'severity', label: 'Severity' }, { key: 'columns', label: 'Drifted columns' }, ...evidenceColumns],
        rows: alerts.map((e) => ({ raised: time(e), severity: text(e.data.severity), columns: arr(e.data.driftedColumns).map(text).join(', '), ...ev(e) })),
      },
    ],
  };
}

function incidents(model: ModelFacts, version: VersionFacts, facts: LedgerFacts, now: Date, cite: Cite): ExportSection {
  const list = [...facts.incidents.values()].filter((i) => i.modelId === model.modelId && (i.modelVersion === null || i.modelVersion === version.version));
  for (const i of list) cite(...i.events);
  return {
    heading: '9. Serious incidents (Art. 73)',
    blocks: [
      paragraph('Descriptions are personal data sealed in the ledger and are not reproduced here.'),
      {
        kind: 'table',
        name: 'Incidents',
        columns: [
          { key: 'incidentId', label: 'Incident' },
          { key: 'category', label: 'Category' },
          { key: 'severity', label: 'Severity' },
          { key: 'awareAt', label: 'Aware', type: 'date' },
          { key: 'deadline', label: 'Reporting deadline', type: 'date' },
          { key: 'notified', label: 'Authority notified', type: 'date' },
          { key: 'overdue', label: 'Overdue', type: 'boolean' },
          { key: 'closed', label: 'Closed', type: 'boolean' },
          ...evidenceColumns,
        ],
        rows: list.map((i) => ({
          incidentId: i.incidentId,
          category: i.category,
          severity: i.severity,
          awareAt: i.awareAt,
          deadline: i.deadline,
          notified: i.authorityNotifiedAt,
          overdue: i.authorityNotifiedAt ? i.authorityNotifiedAt > i.deadline : now > i.deadline,
          closed: i.closed,
          ...ev(i.events.at(-1)!),
        })),
      },
    ],
  };
}

function gapList(results: ControlResult[], packPublished: boolean): ExportSection {
  if (!packPublished) return { heading: '10. Gap list', blocks: [paragraph('No EU AI Act control pack is published in the ledger at this position.')] };
  return {
    heading: '10. Gap list (EU AI Act controls)',
    blocks: [
      {
        kind: 'table',
        name: 'Controls',
        columns: [{ key: 'control', label: 'Control' }, { key: 'title', label: 'Title' }, { key: 'status', label: 'Status' }, { key: 'gaps', label: 'Gaps' }, { key: 'evidence', label: 'Evidence positions' }],
        rows: results.map((r) => ({
          control: r.controlId,
          title: r.title,
          status: r.status,
          gaps: r.status === 'not_applicable' ? (r.notApplicable?.reason ?? '') : r.gaps.join('; '),
          evidence: [...new Set(r.requirements.flatMap((q) => q.evidence.map((e) => e.position)))].sort((a, b) => a - b).join(', '),
        })),
      },
    ],
  };
}

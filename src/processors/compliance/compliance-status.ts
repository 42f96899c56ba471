import type { StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import { CONTROL_STATUSES, EVIDENCE_LISTED, evaluateControl, type ControlResult, type ControlStatus } from './control-evaluation.js';
import { currentVersion, indexLedger, type LedgerFacts, type ModelFacts, type PackFacts } from './ledger-facts.js';
import type { LedgerPoint } from './ledger-point.js';
import { cachedEvidence, keysRead } from './evidence-cache.js';

type Deps = { store: EventStore; catalogue: EventCatalogue };

const COMPLIANCE_TYPES = ['compliance.pack-published', 'compliance.control-defined', 'compliance.applicability-set'];
/** What the index needs beside the packs' own evidence types: models, versions, incidents. */
const BASE_TYPES = [
  'model.registered',
  'model.updated',
  'model.deleted',
  'model.version-added',
  'model.version-validated',
  'model.version-approved',
  'model.version-deployed',
  'model.version-retired',
  'incident.reported',
  'incident.updated',
  'incident.closed',
];

const PAGE = 10_000;

async function readTypes(deps: Deps, types: string[], to: number): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  if (to === 0 || types.length === 0) return out;
  for (let after = 0; ; ) {
    const page = await deps.store.readAll({ after, to, limit: PAGE, filter: { types } });
    for (const e of page) out.push(deps.catalogue.upcast(e));
    if (page.length < PAGE) return out;
    after = page[page.length - 1]!.position;
  }
}

/** The packs and statements of applicability up to `position` (no evidence). */
export async function loadPackFacts(deps: Deps, position: number): Promise<LedgerFacts> {
  return indexLedger(await readTypes(deps, COMPLIANCE_TYPES, position), position);
}

/** Event types a pack's controls read, and those read only ledger-wide (scope `ledger`). */
export function evidenceTypes(packs: Iterable<Pick<PackFacts, 'controls'>>): { all: string[]; ledgerOnly: string[] } {
  const scoped = new Set<string>();
  const ledgerWide = new Set<string>();
  for (const p of packs)
    for (const c of p.controls)
      for (const r of c.evidence) {
        if (r.kind === 'events') r.eventTypes.forEach((t) => (r.scope === 'ledger' ? ledgerWide : scoped).add(t));
        if (r.kind === 'active') [r.setType, r.clearType].forEach((t) => scoped.add(t));
      }
  return { all: [...new Set([...scoped, ...ledgerWide])], ledgerOnly: [...ledgerWide].filter((t) => !scoped.has(t)) };
}

/**
 * Ledger-wide evidence (seals, every five minutes by default) only ever needs the newest events:
 * freshness looks at the newest, answers list at most EVIDENCE_LISTED. So those types are read
 * backwards, that many, instead of a year of seals on every status request.
 */
async function readNewest(deps: Deps, types: string[], to: number): Promise<StoredEvent[]> {
  if (to === 0 || types.length === 0) return [];
  const newest = await Promise.all(types.map((t) => deps.store.readAll({ direction: 'backwards', to, limit: EVIDENCE_LISTED, filter: { types: [t] } })));
  return newest.flat().map((e) => deps.catalogue.upcast(e));
}

/**
 * The ledger up to `position`, indexed for evaluation. Two reads: the packs first (they are
 * events too, and say which evidence types to read), then models, incidents and that evidence.
 */
export async function loadLedgerFacts(deps: Deps, position: number, extraTypes: string[] = []): Promise<LedgerFacts> {
  const compliance = await readTypes(deps, COMPLIANCE_TYPES, position);
  const wanted = evidenceTypes(indexLedger(compliance, position).packs.values());
  const needAll = new Set([...BASE_TYPES, ...extraTypes]);
  const ledgerOnly = wanted.ledgerOnly.filter((t) => !needAll.has(t) && !COMPLIANCE_TYPES.includes(t));
  const types = [...new Set([...needAll, ...wanted.all])].filter((t) => !COMPLIANCE_TYPES.includes(t) && !ledgerOnly.includes(t));
  const [rest, newest] = await Promise.all([readTypes(deps, types, position), readNewest(deps, ledgerOnly, position)]);
  const merged = [...compliance, ...rest, ...newest].sort((a, b) => a.position - b.position);
  return indexLedger(merged, position);
}

/**
 * As loadLedgerFacts, for status: evidence comes trimmed from the in-memory cache (evidence-cache.ts).
 * The types and kept keys follow the packs as of the head, so as-of requests share the cache.
 */
export async function loadStatusFacts(deps: Deps, position: number): Promise<LedgerFacts> {
  const head = (await deps.store.head()).position;
  const allCompliance = await readTypes(deps, COMPLIANCE_TYPES, head);
  const packsNow = [...indexLedger(allCompliance, head).packs.values()];
  const wanted = evidenceTypes(packsNow);
  const ledgerOnly = wanted.ledgerOnly.filter((t) => !BASE_TYPES.includes(t) && !COMPLIANCE_TYPES.includes(t));
  const types = [...new Set([...BASE_TYPES, ...wanted.all])].filter((t) => !COMPLIANCE_TYPES.includes(t) && !ledgerOnly.includes(t));
  const keys = keysRead(packsNow.flatMap((p) => p.controls));
  const [rest, newest] = await Promise.all([cachedEvidence(deps, types, keys, position), readNewest(deps, ledgerOnly, position)]);
  const compliance = allCompliance.filter((e) => e.position <= position);
  return indexLedger([...compliance, ...rest, ...newest].sort((a, b) => a.position - b.position), position);
}

export type StatusCounts = Record<ControlStatus, number>;
const zeroCounts = (): StatusCounts => ({ met: 0, partial: 0, missing: 0, stale: 0, not_applicable: 0 });
const countOf = (controls: ControlResult[]) => {
  const counts = zeroCounts();
  for (const c of controls) counts[c.status]++;
  return counts;
};

export type PackHeaderView = { packId: string; framework: string; version: string; title: string; origin: 'shipped' | 'custom' };
export type FrameworkStatus = PackHeaderView & { counts: StatusCounts; controls: ControlResult[] };
export type ModelStatus = { modelId: string; name: string; riskTier: string; type: string; version: number | null; versionStatus: string | null; counts: StatusCounts; frameworks: FrameworkStatus[] };
export type ComplianceStatus = {
  /** The ledger position the answer reflects, and the instant freshness was measured to. */
  position: number;
  asOf: string;
  frameworks: PackHeaderView[];
  summary: { models: number; modelsFullyCompliant: number; counts: StatusCounts; byFramework: (PackHeaderView & { counts: StatusCounts })[] };
  models: ModelStatus[];
};

/** `detail: 'summary'` leaves out the controls (counts only), for portfolio dashboards. */
export type StatusQuery = { modelId?: string; version?: number; framework?: string; status?: ControlStatus; detail?: 'full' | 'summary' };

/** The newest pack of each framework (by publication position), optionally one framework (by name or pack id). */
export function packsInForce(facts: LedgerFacts, framework?: string): PackFacts[] {
  const newest = new Map<string, PackFacts>();
  for (const p of facts.packs.values()) newest.set(p.framework, p); // insertion order is position order
  const wanted = framework?.toLowerCase();
  if (!wanted) return [...newest.values()];
  const byId = facts.packs.get(framework!);
  return byId ? [byId] : [...newest.values()].filter((p) => p.framework.toLowerCase() === wanted);
}

const header = (p: PackFacts): PackHeaderView => ({ packId: p.packId, framework: p.framework, version: p.version, title: p.title, origin: p.origin });

/** Every control of `packs` for one model version (its current one when none is named). */
export function evaluateModel(facts: LedgerFacts, model: ModelFacts, packs: PackFacts[], now: Date, versionNumber?: number): ModelStatus {
  const version = versionNumber !== undefined ? (model.versions.get(versionNumber) ?? null) : currentVersion(model);
  const frameworks = packs.map((pack) => {
    const controls = pack.controls.map((control) => evaluateControl(pack, control, facts, { model, version }, now));
    return { ...header(pack), counts: countOf(controls), controls };
  });
  return {
    modelId: model.modelId,
    name: model.fields.name.value,
    riskTier: model.riskTier,
    type: model.type,
    version: version?.version ?? null,
    versionStatus: version?.status ?? null,
    counts: countOf(frameworks.flatMap((f) => f.controls)),
    frameworks,
  };
}

/** Unknown model or version (as of the position): the route answers 404. */
export class StatusTargetNotFound extends Error {}

/** Compliance of the portfolio (or one model) with the packs in force, as the ledger stood at `point`. */
export async function complianceStatus(deps: Deps, point: LedgerPoint, query: StatusQuery): Promise<ComplianceStatus> {
  const facts = await loadStatusFacts(deps, point.position);
  const packs = packsInForce(facts, query.framework);
  if (query.framework && packs.length === 0) throw new StatusTargetNotFound(`framework ${query.framework}`);
  let models = [...facts.models.values()].filter((m) => !m.deleted);
  if (query.modelId) {
    models = models.filter((m) => m.modelId === query.modelId);
    if (models.length === 0) throw new StatusTargetNotFound(`model ${query.modelId}`);
    if (query.version !== undefined && !models[0]!.versions.has(query.version)) throw new StatusTargetNotFound(`version ${query.version} of model ${query.modelId}`);
  }
  const evaluated = models.map((m) => evaluateModel(facts, m, packs, point.at, query.version));
  const counts = zeroCounts();
  for (const m of evaluated) for (const s of CONTROL_STATUSES) counts[s] += m.counts[s];
  const byFramework = packs.map((p) => {
    const c = zeroCounts();
    for (const m of evaluated) for (const f of m.frameworks) if (f.packId === p.packId) for (const s of CONTROL_STATUSES) c[s] += f.counts[s];
    return { ...header(p), counts: c };
  });
  const summary = {
    models: evaluated.length,
    modelsFullyCompliant: evaluated.filter((m) => m.counts.partial + m.counts.missing + m.counts.stale === 0).length,
    counts,
    byFramework,
  };
  const shown = query.status
    ? evaluated
        .map((m) => ({ ...m, frameworks: m.frameworks.map((f) => ({ ...f, controls: f.controls.filter((c) => c.status === query.status) })).filter((f) => f.controls.length > 0) }))
        .filter((m) => m.frameworks.length > 0)
    : evaluated;
  const answered = query.detail === 'summary' ? shown.map((m) => ({ ...m, frameworks: m.frameworks.map((f) => ({ ...f, controls: [] })) })) : shown;
  return { position: point.position, asOf: point.at.toISOString(), frameworks: packs.map(header), summary, models: answered };
}

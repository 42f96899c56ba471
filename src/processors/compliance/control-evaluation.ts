import type { Control, EvidenceRequirement } from '../../events/catalogue/compliance.events.js';
import type { JsonValue, StoredEvent } from '../../events/envelope.js';
import { canonicalJson } from '../../events/canonical-json.js';
import { addDuration, ageInWords, durationInWords, parseDuration } from './iso-duration.js';
import { applicabilityKey, type IncidentFacts, type LedgerFacts, type ModelFacts, type PackFacts, type VersionFacts } from './ledger-facts.js';

export type RequirementStatus = 'met' | 'stale' | 'missing';
export const CONTROL_STATUSES = ['met', 'partial', 'missing', 'stale', 'not_applicable'] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];

export type EvidenceRef = { eventId: string; position: number; type: string; occurredAt: string };
/** `evidence` lists the newest proving events (at most EVIDENCE_LISTED); `evidenceTotal` counts them all. */
export type RequirementResult = { id: string; label: string; status: RequirementStatus; gap: string | null; detail: string | null; evidence: EvidenceRef[]; evidenceTotal: number };

/** Enough to prove and to find the rest (they are the same kind of event, older), small enough for a portfolio answer. */
export const EVIDENCE_LISTED = 20;
const refs = (events: StoredEvent[]) => events.slice(0, EVIDENCE_LISTED).map(evidenceRef);
export type ControlResult = {
  controlId: string;
  title: string;
  status: ControlStatus;
  /** Why a control does not apply (risk tier, statement of applicability), null when it does. */
  notApplicable: { reason: string; evidence: EvidenceRef[] } | null;
  gaps: string[];
  requirements: RequirementResult[];
};

export type Target = { model: ModelFacts; version: VersionFacts | null };

// One reference per event, shared by every requirement citing it (a portfolio cites the same events thousands of times).
const refOf = new WeakMap<StoredEvent, EvidenceRef>();
export const evidenceRef = (e: StoredEvent): EvidenceRef => {
  let ref = refOf.get(e);
  if (!ref) refOf.set(e, (ref = { eventId: e.id, position: e.position, type: e.type, occurredAt: e.occurredAt.toISOString() }));
  return ref;
};

function valueAt(data: JsonValue, path: string): JsonValue | undefined {
  let here: JsonValue | undefined = data;
  for (const key of path.split('.')) {
    if (here === null || typeof here !== 'object') return undefined;
    here = Array.isArray(here) ? here[Number(key)] : here[key];
  }
  return here;
}

const isEmpty = (v: JsonValue | undefined) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
const same = (a: JsonValue | undefined, b: JsonValue | undefined) => a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);

type Condition = Extract<EvidenceRequirement, { kind: 'events' }>['where'][number];

/** Whether an event's data satisfies one declared condition. */
export function conditionHolds(data: JsonValue, c: Condition): boolean {
  const v = valueAt(data, c.path);
  switch (c.op) {
    case 'eq':
      return same(v, c.value);
    case 'neq':
      return !same(v, c.value);
    case 'in':
      return Array.isArray(c.value) && c.value.some((x) => same(v, x));
    case 'gte':
      return typeof v === 'number' && typeof c.value === 'number' && v >= c.value;
    case 'lte':
      return typeof v === 'number' && typeof c.value === 'number' && v <= c.value;
    case 'exists':
      return v !== undefined && v !== null;
    case 'empty':
      return isEmpty(v);
    case 'nonEmpty':
      return !isEmpty(v);
  }
}

type Scoped = { events: StoredEvent[] } | { unavailable: string };

/** The events a scope looks at for a target, or why there are none to look at. */
function scopedEvents(scope: 'version' | 'model' | 'training-dataset' | 'ledger' | 'control', types: readonly string[], facts: LedgerFacts, target: Target, pack: PackFacts, control: Control): Scoped {
  switch (scope) {
    case 'version':
      return target.version ? { events: target.version.events } : { unavailable: 'the model has no version' };
    case 'model':
      return { events: target.model.events };
    case 'training-dataset': {
      if (!target.version) return { unavailable: 'the model has no version' };
      const id = target.version.trainingDatasetId;
      return id ? { events: facts.byDataset.get(id) ?? [] } : { unavailable: `version ${target.version.version} names no training dataset` };
    }
    case 'ledger':
      return { events: types.flatMap((t) => facts.byType.get(t) ?? []) };
    case 'control':
      return { events: facts.applicability.get(applicabilityKey(pack.packId, control.id)) ?? [] };
  }
}

const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

function incidentsOf(facts: LedgerFacts, target: Target): IncidentFacts[] {
  return [...facts.incidents.values()].filter((i) => i.modelId === target.model.modelId && (i.modelVersion === null || i.modelVersion === target.version?.version));
}

function evaluateRequirement(r: EvidenceRequirement, facts: LedgerFacts, target: Target, pack: PackFacts, control: Control, now: Date): RequirementResult {
  const base = { id: r.id, label: r.label };
  // Newest first, as listed.
  const byRecency = (events: StoredEvent[]) => [...events].sort((a, b) => b.position - a.position);
  const missing = (gap: string, evidence: StoredEvent[] = [], detail: string | null = null): RequirementResult => ({ ...base, status: 'missing', gap, detail, evidence: refs(byRecency(evidence)), evidenceTotal: evidence.length });
  const met = (evidence: StoredEvent[], detail: string | null = null): RequirementResult => ({ ...base, status: 'met', gap: null, detail, evidence: refs(byRecency(evidence)), evidenceTotal: evidence.length });
  switch (r.kind) {
    case 'events': {
      const scoped = scopedEvents(r.scope, r.eventTypes, facts, target, pack, control);
      if ('unavailable' in scoped) return missing(`${r.missing} (${scoped.unavailable})`);
      const proving = scoped.events.filter((e) => r.eventTypes.includes(e.type) && r.where.every((c) => conditionHolds(e.data, c))).sort((a, b) => b.position - a.position);
      if (proving.length === 0) return missing(r.missing);
      if (r.freshness) {
        const window = parseDuration(r.freshness);
        const latest = proving[0]!;
        if (addDuration(latest.occurredAt, window).getTime() < now.getTime()) {
          const words = { label: r.label, age: ageInWords(now.getTime() - latest.occurredAt.getTime()), window: durationInWords(window) };
          return { ...base, status: 'stale', gap: fill(r.stale ?? '{label} older than {window} (latest {age} old)', words), detail: null, evidence: refs(proving), evidenceTotal: proving.length };
        }
      }
      return met(proving);
    }
    case 'active': {
      const scoped = scopedEvents(r.scope, [r.setType], facts, target, pack, control);
      if ('unavailable' in scoped) return missing(`${r.missing} (${scoped.unavailable})`);
      const cleared = new Set((facts.byType.get(r.clearType) ?? []).map((e) => canonicalJson(valueAt(e.data, r.key) ?? null)));
      const set = scoped.events.filter((e) => e.type === r.setType);
      const active = set.filter((e) => !cleared.has(canonicalJson(valueAt(e.data, r.key) ?? null)));
      if (active.length > 0) return met(active);
      return missing(r.missing, set, set.length > 0 ? `${set.length} set, all removed since` : null);
    }
    case 'model-field': {
      const field = target.model.fields[r.field];
      return field.value.trim() === '' ? missing(r.missing, [field.event]) : met([field.event]);
    }
    case 'incident-deadlines': {
      const incidents = incidentsOf(facts, target);
      const overdue = incidents.filter((i) => (i.authorityNotifiedAt ? i.authorityNotifiedAt > i.deadline : now > i.deadline));
      const events = incidents.flatMap((i) => i.events);
      if (overdue.length === 0) return met(events, incidents.length === 0 ? 'no serious incident recorded' : `${incidents.length} incident(s), none past its deadline`);
      const gaps = overdue.map((i) =>
        i.authorityNotifiedAt
          ? `incident ${i.incidentId} (${i.category}) was notified to the authority ${ageInWords(i.authorityNotifiedAt.getTime() - i.deadline.getTime())} after its deadline ${i.deadline.toISOString()}`
          : `incident ${i.incidentId} (${i.category}): the authority is not notified and the deadline ${i.deadline.toISOString()} has passed`,
      );
      return missing(`${r.missing}: ${gaps.join('; ')}`, overdue.flatMap((i) => i.events));
    }
    case 'retention': {
      // The ledger is append-only and RAIA deletes no event, so the history is kept as long as the
      // ledger itself: the check is that the model's history is complete from its registration.
      const since = target.model.registered;
      return met([since], `the ledger holds the model's history since ${since.occurredAt.toISOString()} (position ${since.position}); events are never deleted, so it is kept at least ${durationInWords(parseDuration(r.minimum))}`);
    }
  }
}

function applicability(pack: PackFacts, control: Control, facts: LedgerFacts, target: Target): ControlResult['notApplicable'] {
  if (!(control.appliesTo.riskTiers as string[]).includes(target.model.riskTier)) {
    return { reason: `applies to risk tier ${control.appliesTo.riskTiers.join(', ')}; the model is ${target.model.riskTier}`, evidence: [evidenceRef(target.model.fields.riskTier.event)] };
  }
  const statement = facts.applicability.get(applicabilityKey(pack.packId, control.id))?.at(-1);
  if (statement && statement.data.applicable === false) return { reason: `not applicable per the statement of applicability: ${String(statement.data.justification)}`, evidence: [evidenceRef(statement)] };
  return null;
}

/** met: every requirement met; missing: none met or stale; stale: none missing, one or more stale; partial: the rest. */
export function controlStatus(requirements: RequirementResult[]): Exclude<ControlStatus, 'not_applicable'> {
  const count = (s: RequirementStatus) => requirements.filter((r) => r.status === s).length;
  if (count('met') === requirements.length) return 'met';
  if (count('missing') === requirements.length) return 'missing';
  if (count('missing') === 0) return 'stale';
  return 'partial';
}

// Requirements on ledger-wide or the control's own evidence answer alike for every model: a
// portfolio evaluates each once per ledger index and instant.
const modelIndependent = new WeakMap<LedgerFacts, Map<string, RequirementResult>>();

function evaluateOnce(r: EvidenceRequirement, facts: LedgerFacts, target: Target, pack: PackFacts, control: Control, now: Date): RequirementResult {
  if (r.kind !== 'events' || (r.scope !== 'ledger' && r.scope !== 'control')) return evaluateRequirement(r, facts, target, pack, control, now);
  let memo = modelIndependent.get(facts);
  if (!memo) modelIndependent.set(facts, (memo = new Map()));
  const key = `${now.getTime()}\u0000${pack.packId}\u0000${control.id}\u0000${r.id}`;
  let result = memo.get(key);
  if (!result) memo.set(key, (result = evaluateRequirement(r, facts, target, pack, control, now)));
  return result;
}

/** One control of a pack for one model version, at `now` (the instant the ledger position stands for). */
export function evaluateControl(pack: PackFacts, control: Control, facts: LedgerFacts, target: Target, now: Date): ControlResult {
  const notApplicable = applicability(pack, control, facts, target);
  if (notApplicable) return { controlId: control.id, title: control.title, status: 'not_applicable', notApplicable, gaps: [], requirements: [] };
  const requirements = control.evidence.map((r) => evaluateOnce(r, facts, target, pack, control, now));
  return { controlId: control.id, title: control.title, status: controlStatus(requirements), notApplicable: null, gaps: requirements.flatMap((r) => (r.gap ? [r.gap] : [])), requirements };
}

import { describe, expect, it } from 'vitest';
import type { Control } from '../../../src/events/catalogue/compliance.events.js';
import type { JsonObject, StoredEvent } from '../../../src/events/envelope.js';
import { shippedPacks } from '../../../src/commands/compliance/shipped-packs.js';
import { conditionHolds, controlStatus, evaluateControl } from '../../../src/processors/compliance/control-evaluation.js';
import { indexLedger } from '../../../src/processors/compliance/ledger-facts.js';

const MODEL = '11111111-1111-4111-8111-111111111111';
const DATASET = '22222222-2222-4222-8222-222222222222';
const PACK = '33333333-3333-4333-8333-333333333333';

// Given events: a ledger built by hand, one event a day from 2025-01-01.
function ledger(...specs: [type: string, data: JsonObject, day?: string][]): StoredEvent[] {
  return specs.map(([type, data, day], i) => ({
    id: `e${i + 1}`,
    type,
    schemaVersion: 1,
    streamId: 'x',
    streamVersion: i,
    position: i + 1,
    occurredAt: new Date(day ?? `2025-01-${String(i + 1).padStart(2, '0')}T00:00:00Z`),
    actor: { kind: 'user', id: 'u', role: 'admin' },
    correlationId: null,
    causationId: null,
    data,
    metadata: {},
    prevHash: '',
    hash: '',
  }));
}
const registered = (riskTier = 'high', intendedUse = ''): [string, JsonObject] => ['model.registered', { modelId: MODEL, type: 'classification', ownerId: 'u', name: 'm', description: '', tags: [], riskTier, intendedUse }];
const versionAdded = (trainingData: JsonObject | null = { datasetId: DATASET, contentHash: 'h' }): [string, JsonObject] => ['model.version-added', { modelId: MODEL, version: 1, authorId: 'u', task: 'binary', trainingData, metrics: {} }];

const control = (evidence: Control['evidence'], riskTiers: Control['appliesTo']['riskTiers'] = ['high']): Control => ({ id: 'C', title: 'c', description: '', appliesTo: { riskTiers }, evidence });
const approvalWithin = (freshness: string | null): Control['evidence'][number] => ({ kind: 'events', id: 'approval', label: 'approval', eventTypes: ['model.version-approved'], scope: 'version', where: [], freshness, missing: 'no approval of the version', stale: 'approval older than {window}' });
const fairnessOnTraining: Control['evidence'][number] = { kind: 'events', id: 'fair', label: 'fairness', eventTypes: ['fairness.assessed'], scope: 'training-dataset', where: [], freshness: null, missing: 'no fairness assessment on the training dataset' };
const pack = { packId: PACK, framework: 'F', version: '1', title: 't', origin: 'custom' as const, controls: [], events: [] };

function evaluate(events: StoredEvent[], c: Control, now: string) {
  const facts = indexLedger(events, events.length);
  const model = facts.models.get(MODEL)!;
  return evaluateControl({ ...pack, controls: [c] }, c, facts, { model, version: model.versions.get(1) ?? null }, new Date(now));
}

describe('control evaluation (given events, when evaluated, then status and gaps)', () => {
  it('missing, then met by the event that proves it, then stale after its calendar window', () => {
    const c = control([approvalWithin('P12M')]);
    const given = ledger(registered(), versionAdded());
    expect(evaluate(given, c, '2025-02-01T00:00:00Z')).toMatchObject({ status: 'missing', gaps: ['no approval of the version'] });
    const approved = ledger(registered(), versionAdded(), ['model.version-approved', { modelId: MODEL, version: 1, approverId: 'r', comment: '', policyVersion: 0 }, '2025-01-31T00:00:00Z']);
    expect(evaluate(approved, c, '2026-01-31T00:00:00Z')).toMatchObject({ status: 'met', requirements: [{ evidence: [{ eventId: 'e3', position: 3 }] }] });
    expect(evaluate(approved, c, '2026-01-31T00:00:01Z')).toMatchObject({ status: 'stale', gaps: ['approval older than 12 months'] });
  });

  it('an approval of another version proves nothing for this one', () => {
    const other = ledger(registered(), versionAdded(), ['model.version-approved', { modelId: MODEL, version: 2, approverId: 'r', comment: '', policyVersion: 0 }]);
    expect(evaluate(other, control([approvalWithin(null)]), '2025-02-01T00:00:00Z').status).toBe('missing');
  });

  it('training-dataset scope: the assessment must be on the dataset the version names', () => {
    const c = control([approvalWithin(null), fairnessOnTraining]);
    const onOther = ledger(registered(), versionAdded(), ['model.version-approved', { modelId: MODEL, version: 1, approverId: 'r', comment: '', policyVersion: 0 }], ['fairness.assessed', { modelId: MODEL, modelVersion: 1, datasetId: 'elsewhere', failedChecks: [] }]);
    expect(evaluate(onOther, c, '2025-02-01T00:00:00Z')).toMatchObject({ status: 'partial', gaps: ['no fairness assessment on the training dataset'] });
    const onTraining = ledger(registered(), versionAdded(), ['model.version-approved', { modelId: MODEL, version: 1, approverId: 'r', comment: '', policyVersion: 0 }], ['fairness.assessed', { modelId: null, modelVersion: null, datasetId: DATASET, failedChecks: [] }]);
    expect(evaluate(onTraining, c, '2025-02-01T00:00:00Z').status).toBe('met');
    const noTraining = ledger(registered(), versionAdded(null));
    expect(evaluate(noTraining, control([fairnessOnTraining]), '2025-02-01T00:00:00Z').gaps).toEqual(['no fairness assessment on the training dataset (version 1 names no training dataset)']);
  });

  it('active: a drift schedule set and later removed is inactive', () => {
    const c = control([{ kind: 'active', id: 'drift', label: 'drift schedule', setType: 'drift.schedule-set', clearType: 'drift.schedule-removed', key: 'scheduleId', scope: 'model', missing: 'drift schedule inactive' }]);
    const set = ledger(registered(), versionAdded(), ['drift.schedule-set', { scheduleId: 's1', modelId: MODEL }]);
    expect(evaluate(set, c, '2025-02-01T00:00:00Z').status).toBe('met');
    const removed = ledger(registered(), versionAdded(), ['drift.schedule-set', { scheduleId: 's1', modelId: MODEL }], ['drift.schedule-removed', { scheduleId: 's1' }]);
    expect(evaluate(removed, c, '2025-02-01T00:00:00Z')).toMatchObject({ status: 'missing', gaps: ['drift schedule inactive'], requirements: [{ detail: '1 set, all removed since' }] });
  });

  it('model fields follow updates; risk tier decides applicability', () => {
    const c = control([{ kind: 'model-field', id: 'use', label: 'intended use', field: 'intendedUse', missing: 'no intended use documented for the model' }], ['high']);
    expect(evaluate(ledger(registered('high', '')), c, '2025-02-01T00:00:00Z').status).toBe('missing');
    const updated = ledger(registered('high', ''), ['model.updated', { modelId: MODEL, changes: { intendedUse: 'triage' } }]);
    expect(evaluate(updated, c, '2025-02-01T00:00:00Z')).toMatchObject({ status: 'met', requirements: [{ evidence: [{ eventId: 'e2' }] }] });
    const downgraded = ledger(registered('high', 'x'), ['model.updated', { modelId: MODEL, changes: { riskTier: 'limited' } }]);
    expect(evaluate(downgraded, c, '2025-02-01T00:00:00Z')).toMatchObject({ status: 'not_applicable', notApplicable: { reason: 'applies to risk tier high; the model is limited', evidence: [{ eventId: 'e2' }] } });
  });

  it('a statement of applicability saying no makes the control not applicable, with its justification', () => {
    const c = control([approvalWithin(null)]);
    const given = ledger(registered(), versionAdded(), ['compliance.applicability-set', { packId: PACK, controlId: 'C', applicable: false, justification: 'out of scope' }]);
    expect(evaluate(given, c, '2025-02-01T00:00:00Z')).toMatchObject({ status: 'not_applicable', notApplicable: { reason: 'not applicable per the statement of applicability: out of scope' } });
  });

  it('incident deadlines: overdue when not notified after the deadline, or notified late', () => {
    const c = control([{ kind: 'incident-deadlines', id: 'inc', label: 'incidents', missing: 'serious incident report overdue' }]);
    const reported = ledger(registered(), versionAdded(), ['incident.reported', { incidentId: 'i1', modelId: MODEL, modelVersion: 1, severity: 'high', category: 'serious-incident', awareAt: '2025-01-10T00:00:00Z', deadline: '2025-01-25T00:00:00Z' }]);
    expect(evaluate(reported, c, '2025-01-25T00:00:00Z').status).toBe('met');
    expect(evaluate(reported, c, '2025-01-25T00:00:01Z').gaps).toEqual(['serious incident report overdue: incident i1 (serious-incident): the authority is not notified and the deadline 2025-01-25T00:00:00.000Z has passed']);
    const notified = ledger(...reported.map((e) => [e.type, e.data] as [string, JsonObject]), ['incident.updated', { incidentId: 'i1', deadline: '2025-01-25T00:00:00Z', authorityNotifiedAt: '2025-01-20T00:00:00Z' }]);
    expect(evaluate(notified, c, '2025-06-01T00:00:00Z').status).toBe('met');
  });

  it('the shipped EU AI Act Art. 12: latest seal N days old, history retained since registration', () => {
    const art12 = shippedPacks().find((p) => p.framework === 'EU AI Act')!.controls.find((c) => c.id === 'Art. 12')!;
    const given = ledger(registered(), versionAdded(), ['ledger.sealed', { fromPosition: 1, toPosition: 2 }, '2025-01-03T00:00:00Z']);
    expect(evaluate(given, art12, '2025-01-03T23:59:59Z')).toMatchObject({ status: 'met', requirements: [{ evidence: [{ eventId: 'e3' }] }, { evidence: [{ eventId: 'e1' }] }] });
    expect(evaluate(given, art12, '2025-01-06T01:00:00Z')).toMatchObject({ status: 'stale', gaps: ['latest seal 3 days old'] });
    expect(evaluate(ledger(registered(), versionAdded()), art12, '2025-01-06T01:00:00Z')).toMatchObject({ status: 'partial', gaps: ['the ledger has never been sealed'] });
  });

  it('the shipped EU AI Act Art. 5: a model in the unacceptable tier is a prohibited practice until withdrawn; other tiers are outside it', () => {
    const art5 = shippedPacks().find((p) => p.framework === 'EU AI Act')!.controls.find((c) => c.id === 'Art. 5')!;
    expect(evaluate(ledger(registered('unacceptable'), versionAdded()), art5, '2025-01-02T00:00:00Z')).toMatchObject({
      status: 'missing',
      gaps: ['a prohibited practice (Art. 5, unacceptable risk tier) is registered and not withdrawn'],
    });
    expect(evaluate(ledger(registered('unacceptable'), versionAdded(), ['model.deleted', { modelId: MODEL }]), art5, '2025-01-02T00:00:00Z')).toMatchObject({ status: 'met', requirements: [{ evidence: [{ eventId: 'e3' }] }] });
    expect(evaluate(ledger(registered('high'), versionAdded()), art5, '2025-01-02T00:00:00Z').status).toBe('not_applicable');
  });

  it('conditions on event data', () => {
    const data = { failedChecks: [], report: { task: 'binary', rows: 20 }, passed: true, metrics: { auc: 0.8 } };
    expect(conditionHolds(data, { path: 'failedChecks', op: 'empty' })).toBe(true);
    expect(conditionHolds(data, { path: 'metrics', op: 'nonEmpty' })).toBe(true);
    expect(conditionHolds(data, { path: 'report.task', op: 'eq', value: 'binary' })).toBe(true);
    expect(conditionHolds(data, { path: 'report.task', op: 'in', value: ['regression'] })).toBe(false);
    expect(conditionHolds(data, { path: 'report.rows', op: 'gte', value: 20 })).toBe(true);
    expect(conditionHolds(data, { path: 'report.rows', op: 'lte', value: 19 })).toBe(false);
    expect(conditionHolds(data, { path: 'report.missing', op: 'exists' })).toBe(false);
    expect(conditionHolds(data, { path: 'passed', op: 'neq', value: false })).toBe(true);
  });

  it('combines requirement statuses: met, missing, stale, partial', () => {
    const r = (status: 'met' | 'stale' | 'missing') => ({ id: status, label: '', status, gap: null, detail: null, evidence: [], evidenceTotal: 0 });
    expect(controlStatus([r('met'), r('met')])).toBe('met');
    expect(controlStatus([r('missing'), r('missing')])).toBe('missing');
    expect(controlStatus([r('met'), r('stale')])).toBe('stale');
    expect(controlStatus([r('met'), r('missing')])).toBe('partial');
    expect(controlStatus([r('stale'), r('missing')])).toBe('partial');
  });
});

import { describe, expect, it } from 'vitest';
import { evaluationGate, type EvaluationEvidence } from '../../../src/commands/model/evaluation-evidence.js';
import { evidenceFacts, inconclusiveReasons } from '../../../src/commands/model/evidence-sufficiency.js';
import { DEFAULT_DEPLOYMENT_POLICY, DEPLOYMENT_POLICY_STREAM, deploymentPolicyDecider, type DeploymentPolicy } from '../../../src/commands/model/deployment-policy.js';
import { CommandRefused } from '../../../src/commands/decider.js';
import type { Actor } from '../../../src/events/envelope.js';

const now = new Date('2026-11-23T10:00:00Z');

describe('inconclusiveReasons', () => {
  it('a fairness assessment with checks none of which was decided is inconclusive; one decided check is enough', () => {
    expect(inconclusiveReasons({ kind: 'fairness', checksDecided: 0, checksTotal: 3, groupRows: [] })).toEqual([
      'none of its 3 bias checks could be decided (groups too small to compare, or rates undefined)',
    ]);
    expect(inconclusiveReasons({ kind: 'fairness', checksDecided: 1, checksTotal: 3, groupRows: [] })).toEqual([]);
    // No checks at all is not "none decided".
    expect(inconclusiveReasons({ kind: 'fairness', checksDecided: 0, checksTotal: 0, groupRows: [] })).toEqual([]);
  });

  it('minGroupSize: each grouping needs two groups of at least that many rows (the bound included)', () => {
    const facts = {
      kind: 'fairness' as const,
      checksDecided: 2,
      checksTotal: 2,
      groupRows: [
        { grouping: 'sex', rows: [30, 30, 5] },
        { grouping: 'age', rows: [29, 31] },
        { grouping: 'region', rows: [] },
      ],
    };
    expect(inconclusiveReasons(facts, { minGroupSize: 30 })).toEqual([
      "age: 1 of 2 groups have at least 30 rows (the policy's minGroupSize); two are needed to compare",
      "region: 0 of 0 groups have at least 30 rows (the policy's minGroupSize); two are needed to compare",
    ]);
    // Without a minimum, small groups are fine; the explanation minimum does not apply to fairness.
    expect(inconclusiveReasons(facts)).toEqual([]);
    expect(inconclusiveReasons(facts, { minExplanationRows: 1000 })).toEqual([]);
    expect(inconclusiveReasons({ ...facts, checksDecided: 0 }, { minGroupSize: 30 })).toHaveLength(3);
  });

  it('minExplanationRows: an explanation must say how many rows and cover at least that many', () => {
    expect(inconclusiveReasons({ kind: 'explainability', rows: null }, { minExplanationRows: 10 })).toEqual(['the explanation does not say how many rows it covers']);
    expect(inconclusiveReasons({ kind: 'explainability', rows: 9 }, { minExplanationRows: 10 })).toEqual(["it explains 9 rows; the policy's minExplanationRows is 10"]);
    expect(inconclusiveReasons({ kind: 'explainability', rows: 10 }, { minExplanationRows: 10 })).toEqual([]);
    expect(inconclusiveReasons({ kind: 'explainability', rows: null })).toEqual([]);
    expect(inconclusiveReasons({ kind: 'explainability', rows: 0 }, { minGroupSize: 5 })).toEqual([]);
  });
});

describe('evidenceFacts', () => {
  it('reads a fairness assessment: decided checks, all checks, rows per group per grouping', () => {
    const data = {
      biasChecks: { checks: [{ passed: true }, { passed: false }, { passed: null }] },
      report: { groupings: [{ name: 'sex', groups: [{ rows: 10 }, { rows: 12 }] }, { name: 'age', groups: [{ rows: 3 }] }] },
    };
    expect(evidenceFacts('fairness.assessed', data)).toEqual({
      kind: 'fairness',
      checksDecided: 2,
      checksTotal: 3,
      groupRows: [
        { grouping: 'sex', rows: [10, 12] },
        { grouping: 'age', rows: [3] },
      ],
    });
    expect(evidenceFacts('fairness.assessed', {})).toEqual({ kind: 'fairness', checksDecided: 0, checksTotal: 0, groupRows: [] });
    expect(evidenceFacts('fairness.assessed', { biasChecks: {}, report: {} })).toEqual({ kind: 'fairness', checksDecided: 0, checksTotal: 0, groupRows: [] });
  });

  it('reads an explanation\'s rows from values, explanations, rows or ice, in that order', () => {
    const rows = (result: unknown) => evidenceFacts('explanation.computed', { result });
    expect(rows({ values: [1, 2, 3], explanations: [1], rows: 7, ice: [1] })).toEqual({ kind: 'explainability', rows: 3 });
    expect(rows({ explanations: [1, 2], rows: 7, ice: [1] })).toEqual({ kind: 'explainability', rows: 2 });
    expect(rows({ rows: 7, ice: [1] })).toEqual({ kind: 'explainability', rows: 7 });
    expect(rows({ ice: [1, 2, 3, 4] })).toEqual({ kind: 'explainability', rows: 4 });
    expect(rows({ values: 'x', explanations: 3, rows: '7', ice: {} })).toEqual({ kind: 'explainability', rows: null });
    expect(evidenceFacts('explanation.computed', {})).toEqual({ kind: 'explainability', rows: null });
  });

  it('other events are no evidence', () => {
    expect(evidenceFacts('model.registered', { result: { rows: 3 } })).toBeNull();
  });
});

describe('evaluationGate', () => {
  const evidence = (metrics: EvaluationEvidence['metrics'], eventId = 'e1', evaluationId = 'ev1'): EvaluationEvidence => ({ eventId, evaluationId, metrics });

  it('names the bounds in the reason: at least, at most, or both', () => {
    expect(evaluationGate([{ metric: 'f', min: 0.8 }], [], 'version 2').reasons).toEqual(['missing: no completed evaluation of version 2 measures f (required at least 0.8)']);
    expect(evaluationGate([{ metric: 'f', max: 0.1 }], [], 'version 2').reasons).toEqual(['missing: no completed evaluation of version 2 measures f (required at most 0.1)']);
    expect(evaluationGate([{ metric: 'f', min: 0.2, max: 0.4 }], [], 'version 2').reasons).toEqual(['missing: no completed evaluation of version 2 measures f (required at least 0.2 and at most 0.4)']);
    expect(evaluationGate([{ metric: 'f' }], [], 'version 2').reasons).toEqual(['missing: no completed evaluation of version 2 measures f (required )']);
  });

  it('bounds are inclusive; a metric without bounds only needs measuring', () => {
    const e = [evidence([{ metric: 'f', configurationId: 'c', mean: 0.5, n: 4 }])];
    expect(evaluationGate([{ metric: 'f', min: 0.5, max: 0.5 }], e, 'v').reasons).toEqual([]);
    expect(evaluationGate([{ metric: 'f' }], e, 'v')).toEqual({ used: [{ eventId: 'e1', metric: 'f' }], reasons: [] });
    expect(evaluationGate([{ metric: 'f', min: 0.51 }], e, 'v').reasons).toEqual(['below: f of v is 0.5 (evaluation ev1); the policy requires at least 0.51']);
    expect(evaluationGate([{ metric: 'f', max: 0.49 }], e, 'v').reasons).toEqual(['below: f of v is 0.5 (evaluation ev1); the policy requires at most 0.49']);
  });

  it('a measurement without a mean or without scores does not count; every failing measurement is listed; the first passing one is used', () => {
    const e = [
      evidence([{ metric: 'f', configurationId: 'c', mean: null, n: 3 }], 'e0', 'ev0'),
      evidence([{ metric: 'f', configurationId: 'c', mean: 0.9, n: 0 }], 'e1', 'ev1'),
      evidence([{ metric: 'g', configurationId: 'c', mean: 0.9, n: 2 }], 'e2', 'ev2'),
    ];
    expect(evaluationGate([{ metric: 'f', min: 0.1 }], e, 'v').reasons).toEqual(['missing: no completed evaluation of v measures f (required at least 0.1)']);
    const two = [evidence([{ metric: 'f', configurationId: 'a', mean: 0.2, n: 1 }, { metric: 'f', configurationId: 'b', mean: 0.3, n: 1 }], 'e3', 'ev3'), evidence([{ metric: 'f', configurationId: 'a', mean: 0.1, n: 1 }], 'e4', 'ev4')];
    expect(evaluationGate([{ metric: 'f', min: 0.5 }], two, 'v').reasons).toEqual(['below: f of v is 0.2 (evaluation ev3), 0.3 (evaluation ev3), 0.1 (evaluation ev4); the policy requires at least 0.5']);
    const passing = [evidence([{ metric: 'f', configurationId: 'a', mean: 0.1, n: 1 }], 'e5'), evidence([{ metric: 'f', configurationId: 'a', mean: 0.6, n: 1 }], 'e6'), evidence([{ metric: 'f', configurationId: 'a', mean: 0.7, n: 1 }], 'e7')];
    expect(evaluationGate([{ metric: 'f', min: 0.5 }, { metric: 'g', max: 1 }], [...passing, ...e], 'v')).toEqual({
      used: [
        { eventId: 'e6', metric: 'f' },
        { eventId: 'e2', metric: 'g' },
      ],
      reasons: [],
    });
  });
});

describe('deployment policy decider', () => {
  const policy: DeploymentPolicy = { requireFourEyes: false, approverRoles: ['admin'], requiredAssessments: ['fairness'], evidence: { minGroupSize: 5 } };

  it('starts at version 0 with the default policy: four eyes by a risk officer, both assessments', () => {
    expect(DEPLOYMENT_POLICY_STREAM).toBe('policy-deployment');
    expect(deploymentPolicyDecider.category).toBe('policy');
    expect(deploymentPolicyDecider.initialState()).toEqual({ policyVersion: 0, policy: { requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: ['explainability', 'fairness'] } });
    expect(DEFAULT_DEPLOYMENT_POLICY).toEqual({ requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: ['explainability', 'fairness'] });
  });

  it('each change is the next version, with its rationale; only administrators (or processes) set it', () => {
    const admin: Actor = { kind: 'user', id: 'a', role: 'admin' };
    const state = { policyVersion: 4, policy: DEFAULT_DEPLOYMENT_POLICY };
    const events = deploymentPolicyDecider.decide({ type: 'SetDeploymentPolicy', policy, rationale: 'why' }, state, { now, actor: admin });
    expect(events).toEqual([{ type: 'policy.deployment-set', data: { policyVersion: 5, policy, rationale: 'why' } }]);
    expect(deploymentPolicyDecider.evolve(state, events[0]!)).toEqual({ policyVersion: 5, policy });
    expect(deploymentPolicyDecider.decide({ type: 'SetDeploymentPolicy', policy, rationale: 'r' }, state, { now, actor: { kind: 'system', id: 'raia' } })).toHaveLength(1);
    let refused: unknown;
    try {
      deploymentPolicyDecider.decide({ type: 'SetDeploymentPolicy', policy, rationale: 'r' }, state, { now, actor: { kind: 'user', id: 'o', role: 'risk_officer' } });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CommandRefused);
    expect(refused).toMatchObject({ code: 'NOT_ADMIN', reasons: ['only administrators set the deployment policy'], status: 403 });
  });
});

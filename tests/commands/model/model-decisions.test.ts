import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { DEFAULT_DEPLOYMENT_POLICY, type VersionedPolicy } from '../../../src/commands/model/deployment-policy.js';
import { modelDecider, modelStreamId, type AssessmentEvidence, type ModelCommand, type ModelEvent, type ModelState, type VersionSpec } from '../../../src/commands/model/model.decider.js';
import type { Actor } from '../../../src/events/envelope.js';

const modelId = '0193f0c2-0000-7000-8000-0000000000a1';
const owner: Actor = { kind: 'user', id: 'owner-1', role: 'data_scientist' };
const stranger: Actor = { kind: 'user', id: 'someone-else', role: 'data_scientist' };
const officer: Actor = { kind: 'user', id: 'officer-1', role: 'risk_officer' };
const admin: Actor = { kind: 'user', id: 'admin-1', role: 'admin' };
const system: Actor = { kind: 'system', id: 'raia' };
const service: Actor = { kind: 'service', id: 'svc-1' };
const now = new Date('2026-11-23T10:00:00Z');
const policy: VersionedPolicy = { policyVersion: 0, policy: DEFAULT_DEPLOYMENT_POLICY };

const given = (events: ModelEvent[]): ModelState => events.reduce(modelDecider.evolve, modelDecider.initialState());
const when = (events: ModelEvent[], command: ModelCommand, actor: Actor = owner) => modelDecider.decide(command, given(events), { now, actor });
function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
const reasonsOf = (events: ModelEvent[]) => {
  expect(events).toHaveLength(1);
  expect(events[0]!.type).toBe('model.transition-refused');
  return (events[0]!.data as { reasons: string[] }).reasons;
};

const registeredAs = (type: 'classification' | 'llm'): ModelEvent => ({ type: 'model.registered', data: { modelId, type, ownerId: owner.id, name: 'credit', description: 'd', tags: ['t'], riskTier: 'high', intendedUse: 'u' } });
const registered = registeredAs('classification');
const spec: VersionSpec = { task: 'binary', classes: ['0', '1'], artifact: null, endpoint: { url: 'http://127.0.0.1/x' }, inputSchema: [{ name: 'x', type: 'number' }], trainingData: null, metrics: { auc: 0.8 }, notes: 'n' };
const added = (version: number, authorId = owner.id): ModelEvent => ({ type: 'model.version-added', data: { modelId, version, authorId, ...spec } });
const validated = (version: number): ModelEvent => ({ type: 'model.version-validated', data: { modelId, version, checks: [] } });
const approved = (version: number): ModelEvent => ({ type: 'model.version-approved', data: { modelId, version, approverId: officer.id, comment: '', policyVersion: 0 } });
const deployed = (version: number): ModelEvent => ({ type: 'model.version-deployed', data: { modelId, version, policyVersion: 0, assessments: [] } });
const retired = (version: number): ModelEvent => ({ type: 'model.version-retired', data: { modelId, version, reason: 'r' } });
const deleted: ModelEvent = { type: 'model.deleted', data: { modelId, reason: 'x' } };
const passing: AssessmentEvidence[] = [
  { kind: 'explainability', eventId: 'e1', failingChecks: [] },
  { kind: 'fairness', eventId: 'f1', failingChecks: [] },
];

describe('model decider: registration and changes', () => {
  it('streams are model-<id>; a new model starts as none', () => {
    expect(modelStreamId('m1')).toBe('model-m1');
    expect(modelDecider.category).toBe('model');
    expect(modelDecider.initialState()).toEqual({ status: 'none' });
  });

  it('registers every descriptive field, the type, and the actor as owner; only once', () => {
    const command: ModelCommand = { type: 'RegisterModel', modelId, modelType: 'classification', name: 'credit', description: 'd', tags: ['t'], riskTier: 'high', intendedUse: 'u' };
    expect(when([], command)).toEqual([registered]);
    expect(given([registered])).toEqual({ status: 'active', modelId, ownerId: owner.id, type: 'classification', versions: [] });
    const again = refusal(() => when([registered], command));
    expect([again.code, again.reasons, again.status]).toEqual(['MODEL_EXISTS', ['the model already exists'], 409]);
    expect(refusal(() => when([registered, deleted], command)).code).toBe('MODEL_EXISTS');
  });

  it('every other command needs a model (422) that is not deleted (409)', () => {
    const missing = refusal(() => when([], { type: 'UpdateModel', changes: { name: 'x' } }));
    expect([missing.code, missing.reasons, missing.status]).toEqual(['MODEL_NOT_FOUND', ['no such model'], 422]);
    const gone = refusal(() => when([registered, deleted], { type: 'AddVersion', spec }));
    expect([gone.code, gone.reasons, gone.status]).toEqual(['MODEL_DELETED', ['the model was deleted'], 409]);
  });

  it('owner checks: a stranger is refused with the reason; owner, administrator, RAIA and services pass', () => {
    const history = [registered, added(1), validated(1), approved(1)];
    const commands: ModelCommand[] = [
      { type: 'UpdateModel', changes: { name: 'x' } },
      { type: 'DeleteModel', reason: 'x' },
      { type: 'AddVersion', spec },
      { type: 'ValidateVersion', version: 1, checks: [] },
      { type: 'DeployVersion', version: 1, policy, assessments: passing },
      { type: 'RetireVersion', version: 1, reason: 'x' },
    ];
    for (const command of commands) {
      const refused = refusal(() => when(history, command, stranger));
      expect([refused.code, refused.reasons, refused.status]).toEqual(['NOT_MODEL_OWNER', ["only the model's owner or an administrator may do this"], 403]);
      for (const actor of [owner, admin, system, service]) expect(when(history, command, actor).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('an update carries its changes; no changes, no event', () => {
    expect(when([registered], { type: 'UpdateModel', changes: { name: 'better', tags: [] } })).toEqual([{ type: 'model.updated', data: { modelId, changes: { name: 'better', tags: [] } } }]);
    expect(when([registered], { type: 'UpdateModel', changes: {} })).toEqual([]);
    const state = given([registered]);
    expect(modelDecider.evolve(state, { type: 'model.updated', data: { modelId, changes: { name: 'b' } } })).toBe(state);
  });

  it('deletes a model with no version in service, naming every deployed version otherwise', () => {
    expect(when([registered, added(1)], { type: 'DeleteModel', reason: 'obsolete' })).toEqual([{ type: 'model.deleted', data: { modelId, reason: 'obsolete' } }]);
    expect(given([registered, added(1), deleted])).toEqual({ status: 'deleted', modelId, ownerId: owner.id, type: 'classification', versions: [{ version: 1, status: 'draft', authorId: owner.id }] });
    // Two deployed versions cannot arise through the decider, but the refusal lists what the state holds.
    const twoDeployed = [registered, added(1), added(2), deployed(1), deployed(2)];
    const refused = refusal(() => when(twoDeployed, { type: 'DeleteModel', reason: 'x' }));
    expect([refused.code, refused.reasons, refused.status]).toEqual(['MODEL_IN_SERVICE', ['retire deployed version 1, 2 first'], 409]);
  });

  it('adds versions numbered from 1 with the spec and the actor as author', () => {
    expect(when([registered], { type: 'AddVersion', spec }, admin)).toEqual([{ type: 'model.version-added', data: { modelId, version: 1, authorId: admin.id, ...spec } }]);
    expect(when([registered, added(1), added(2)], { type: 'AddVersion', spec })[0]!.data).toMatchObject({ version: 3 });
  });

  it('events before registration change nothing', () => {
    expect(given([added(1), validated(1), deleted])).toEqual({ status: 'none' });
  });
});

describe('model decider: validation, approval, retirement', () => {
  it('an unknown version is refused with its number, on the version field', () => {
    for (const command of [
      { type: 'ValidateVersion', version: 2, checks: [] },
      { type: 'ApproveVersion', version: 2, comment: '', policy },
      { type: 'DeployVersion', version: 2, policy, assessments: passing },
      { type: 'RetireVersion', version: 2, reason: 'x' },
    ] as ModelCommand[]) {
      const refused = refusal(() => when([registered, added(1)], command, admin));
      expect([refused.code, refused.reasons, refused.status, refused.field]).toEqual(['VERSION_NOT_FOUND', ['the model has no version 2'], 422, 'version']);
    }
  });

  it('validation records its checks, or refuses with every reason (wrong state first, then each failed check)', () => {
    const checks = [
      { name: 'loads', passed: true, detail: 'ok' },
      { name: 'schema', passed: false, detail: 'no column x' },
      { name: 'scores', passed: false, detail: 'NaN' },
    ];
    expect(when([registered, added(1)], { type: 'ValidateVersion', version: 1, checks: [checks[0]!] })).toEqual([{ type: 'model.version-validated', data: { modelId, version: 1, checks: [checks[0]] } }]);
    expect(when([registered, added(1), validated(1)], { type: 'ValidateVersion', version: 1, checks })).toEqual([
      { type: 'model.transition-refused', data: { modelId, version: 1, transition: 'validate', reasons: ['version 1 is validated; only a draft can be validated', 'check schema failed: no column x', 'check scores failed: NaN'], policyVersion: 0 } },
    ]);
  });

  it('approval records approver, comment and policy version; a refusal lists every reason with the policy version', () => {
    const p7: VersionedPolicy = { policyVersion: 7, policy: { ...DEFAULT_DEPLOYMENT_POLICY, approverRoles: ['risk_officer', 'admin'] } };
    expect(when([registered, added(1), validated(1)], { type: 'ApproveVersion', version: 1, comment: 'fine', policy: p7 }, officer)).toEqual([
      { type: 'model.version-approved', data: { modelId, version: 1, approverId: officer.id, comment: 'fine', policyVersion: 7 } },
    ]);
    // The owner approves their own draft: wrong state, wrong role, and four eyes.
    expect(when([registered, added(1)], { type: 'ApproveVersion', version: 1, comment: '', policy: p7 }, owner)).toEqual([
      {
        type: 'model.transition-refused',
        data: {
          modelId,
          version: 1,
          transition: 'approve',
          reasons: [
            'version 1 is draft; only a validated version can be approved',
            'approvals must come from risk_officer or admin (policy v7); the approver is data_scientist',
            'four eyes: the author of version 1 cannot approve it (policy v7)',
          ],
          policyVersion: 7,
        },
      },
    ]);
  });

  it('a process approves under its kind: it must be listed as an approver role', () => {
    const history = [registered, added(1), validated(1)];
    expect(reasonsOf(when(history, { type: 'ApproveVersion', version: 1, comment: '', policy }, system))).toEqual(['approvals must come from risk_officer (policy v0); the approver is system']);
    const bySystem: VersionedPolicy = { policyVersion: 1, policy: { ...DEFAULT_DEPLOYMENT_POLICY, approverRoles: ['system'] } };
    expect(when(history, { type: 'ApproveVersion', version: 1, comment: '', policy: bySystem }, system)[0]!.type).toBe('model.version-approved');
  });

  it('an approval moves the version to approved; refused transitions change nothing', () => {
    expect(given([registered, added(1), added(2), validated(2), approved(2)])).toMatchObject({ versions: [{ version: 1, status: 'draft' }, { version: 2, status: 'approved' }] });
    const state = given([registered, added(1)]);
    expect(modelDecider.evolve(state, { type: 'model.transition-refused', data: { modelId, version: 1, transition: 'approve', reasons: [], policyVersion: 0 } })).toBe(state);
  });

  it('retires with the reason; a retired version is refused as retired already', () => {
    expect(when([registered, added(1)], { type: 'RetireVersion', version: 1, reason: 'old' })).toEqual([{ type: 'model.version-retired', data: { modelId, version: 1, reason: 'old' } }]);
    expect(when([registered, added(1), retired(1)], { type: 'RetireVersion', version: 1, reason: 'old' })).toEqual([
      { type: 'model.transition-refused', data: { modelId, version: 1, transition: 'retire', reasons: ['version 1 is retired already'], policyVersion: 0 } },
    ]);
    expect(given([registered, added(1), added(2), retired(2)])).toMatchObject({ versions: [{ version: 1, status: 'draft' }, { version: 2, status: 'retired' }] });
  });
});

describe('model decider: the deploy gate', () => {
  const approvedHistory = [registered, added(1), validated(1), approved(1)];

  it('deploys with the assessments used, the first passing one of each kind, and the policy version', () => {
    const p4: VersionedPolicy = { policyVersion: 4, policy: DEFAULT_DEPLOYMENT_POLICY };
    const assessments: AssessmentEvidence[] = [
      { kind: 'fairness', eventId: 'f0', failingChecks: ['eo'] },
      { kind: 'fairness', eventId: 'f1', failingChecks: [] },
      { kind: 'explainability', eventId: 'e1', failingChecks: [] },
      { kind: 'fairness', eventId: 'f2', failingChecks: [] },
    ];
    expect(when(approvedHistory, { type: 'DeployVersion', version: 1, policy: p4, assessments })).toEqual([
      { type: 'model.version-deployed', data: { modelId, version: 1, policyVersion: 4, assessments: [{ kind: 'explainability', eventId: 'e1' }, { kind: 'fairness', eventId: 'f1' }] } },
    ]);
    expect(given([...approvedHistory, deployed(1)])).toMatchObject({ versions: [{ version: 1, status: 'deployed' }] });
  });

  it('the superseded version is retired with a reason naming its successor', () => {
    const history = [registered, added(1), validated(1), approved(1), deployed(1), added(2), validated(2), approved(2)];
    expect(when(history, { type: 'DeployVersion', version: 2, policy, assessments: passing })).toEqual([
      { type: 'model.version-retired', data: { modelId, version: 1, reason: 'superseded by version 2' } },
      { type: 'model.version-deployed', data: { modelId, version: 2, policyVersion: 0, assessments: [{ kind: 'explainability', eventId: 'e1' }, { kind: 'fairness', eventId: 'f1' }] } },
    ]);
  });

  it('a refusal lists the wrong state and every missing or failing assessment, with the policy version', () => {
    const p2: VersionedPolicy = { policyVersion: 2, policy: DEFAULT_DEPLOYMENT_POLICY };
    const assessments: AssessmentEvidence[] = [
      { kind: 'fairness', eventId: 'f1', failingChecks: ['dp'] },
      { kind: 'fairness', eventId: 'f2', failingChecks: ['eo', 'ece'] },
    ];
    expect(when([registered, added(1), validated(1)], { type: 'DeployVersion', version: 1, policy: p2, assessments })).toEqual([
      {
        type: 'model.transition-refused',
        data: {
          modelId,
          version: 1,
          transition: 'deploy',
          reasons: [
            'version 1 is validated; only an approved version can be deployed',
            'missing: no explainability assessment of version 1 (required by policy v2)',
            'failing: the fairness assessment of version 1 has failing checks (dp, eo, ece)',
          ],
          policyVersion: 2,
        },
      },
    ]);
  });

  it('an assessment too thin for the policy\'s minimums is inconclusive, each one named with every gap', () => {
    const p3: VersionedPolicy = { policyVersion: 3, policy: { ...DEFAULT_DEPLOYMENT_POLICY, evidence: { minGroupSize: 10, minExplanationRows: 100 } } };
    const thin: AssessmentEvidence[] = [
      { kind: 'explainability', eventId: 'e1', failingChecks: [], facts: { kind: 'explainability', rows: 50 } },
      { kind: 'fairness', eventId: 'f1', failingChecks: [], facts: { kind: 'fairness', checksDecided: 0, checksTotal: 2, groupRows: [{ grouping: 'sex', rows: [10, 9] }] } },
      { kind: 'fairness', eventId: 'f2', failingChecks: ['dp'], facts: { kind: 'fairness', checksDecided: 2, checksTotal: 2, groupRows: [] } },
      { kind: 'fairness', eventId: 'f3', failingChecks: [], facts: { kind: 'fairness', checksDecided: 1, checksTotal: 2, groupRows: [{ grouping: 'age', rows: [1, 1] }] } },
    ];
    expect(reasonsOf(when(approvedHistory, { type: 'DeployVersion', version: 1, policy: p3, assessments: thin }))).toEqual([
      "inconclusive: the explainability assessment e1 of version 1: it explains 50 rows; the policy's minExplanationRows is 100 (policy v3)",
      "inconclusive: the fairness assessment f1 of version 1: none of its 2 bias checks could be decided (groups too small to compare, or rates undefined); sex: 1 of 2 groups have at least 10 rows (the policy's minGroupSize); two are needed to compare (policy v3)",
      "inconclusive: the fairness assessment f3 of version 1: age: 0 of 2 groups have at least 10 rows (the policy's minGroupSize); two are needed to compare (policy v3)",
    ]);
    // A conclusive one among them is used; facts without minimums are conclusive when a check was decided.
    const conclusive: AssessmentEvidence = { kind: 'fairness', eventId: 'f4', failingChecks: [], facts: { kind: 'fairness', checksDecided: 1, checksTotal: 1, groupRows: [{ grouping: 'sex', rows: [10, 10] }] } };
    const enough: AssessmentEvidence = { kind: 'explainability', eventId: 'e2', failingChecks: [], facts: { kind: 'explainability', rows: 100 } };
    expect(when(approvedHistory, { type: 'DeployVersion', version: 1, policy: p3, assessments: [...thin, conclusive, enough] })[0]!.data).toMatchObject({
      assessments: [
        { kind: 'explainability', eventId: 'e2' },
        { kind: 'fairness', eventId: 'f4' },
      ],
    });
  });

  it('an assessment with failing checks is failing, not inconclusive, however thin', () => {
    const p3: VersionedPolicy = { policyVersion: 3, policy: { ...DEFAULT_DEPLOYMENT_POLICY, requiredAssessments: ['fairness'], evidence: { minGroupSize: 10 } } };
    const thinAndFailing: AssessmentEvidence = { kind: 'fairness', eventId: 'f1', failingChecks: ['dp'], facts: { kind: 'fairness', checksDecided: 0, checksTotal: 1, groupRows: [{ grouping: 'sex', rows: [1, 1] }] } };
    expect(reasonsOf(when(approvedHistory, { type: 'DeployVersion', version: 1, policy: p3, assessments: [thinAndFailing] }))).toEqual(['failing: the fairness assessment of version 1 has failing checks (dp)']);
  });

  describe('an llm version also needs its evaluations', () => {
    const llmHistory = () => [registeredAs('llm'), added(1), validated(1), approved(1)];
    const gated = (metrics: { metric: string; min?: number; max?: number }[] | undefined): VersionedPolicy => ({
      policyVersion: 5,
      policy: { ...DEFAULT_DEPLOYMENT_POLICY, requiredAssessments: [], ...(metrics ? { requiredEvaluationMetrics: metrics } : {}) },
    });
    const evaluations = [{ eventId: 'ev-e1', evaluationId: 'eval-1', metrics: [{ metric: 'faithfulness', configurationId: 'c', mean: 0.9, n: 3 }] }];

    it('records the evaluations used', () => {
      expect(when(llmHistory(), { type: 'DeployVersion', version: 1, policy: gated([{ metric: 'faithfulness', min: 0.8 }]), assessments: [], evaluations })).toEqual([
        { type: 'model.version-deployed', data: { modelId, version: 1, policyVersion: 5, assessments: [], evaluations: [{ eventId: 'ev-e1', metric: 'faithfulness' }] } },
      ]);
    });

    it('refuses with each reason of the gate, with the policy version; no evaluations given counts as none', () => {
      expect(reasonsOf(when(llmHistory(), { type: 'DeployVersion', version: 1, policy: gated([{ metric: 'faithfulness', min: 0.95 }, { metric: 'toxicity', max: 0.1 }]), assessments: [], evaluations }))).toEqual([
        'below: faithfulness of version 1 is 0.9 (evaluation eval-1); the policy requires at least 0.95 (policy v5)',
        'missing: no completed evaluation of version 1 measures toxicity (required at most 0.1) (policy v5)',
      ]);
      expect(reasonsOf(when(llmHistory(), { type: 'DeployVersion', version: 1, policy: gated([{ metric: 'toxicity', max: 0.1 }]), assessments: [] }))).toEqual([
        'missing: no completed evaluation of version 1 measures toxicity (required at most 0.1) (policy v5)',
      ]);
    });

    it('no required metrics (absent or empty), or a model that is not an llm: no evaluations in the event', () => {
      for (const p of [gated(undefined), gated([])]) {
        expect(when(llmHistory(), { type: 'DeployVersion', version: 1, policy: p, assessments: [], evaluations })).toEqual([
          { type: 'model.version-deployed', data: { modelId, version: 1, policyVersion: 5, assessments: [] } },
        ]);
      }
      expect(when(approvedHistory, { type: 'DeployVersion', version: 1, policy: gated([{ metric: 'toxicity', max: 0.1 }]), assessments: [] })).toEqual([
        { type: 'model.version-deployed', data: { modelId, version: 1, policyVersion: 5, assessments: [] } },
      ]);
    });
  });
});

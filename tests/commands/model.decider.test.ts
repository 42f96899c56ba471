import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { DEFAULT_DEPLOYMENT_POLICY, type VersionedPolicy } from '../../src/commands/model/deployment-policy.js';
import { TRANSITION_FROM, modelDecider, type ModelCommand, type ModelEvent, type ModelState, type Transition, type VersionStatus } from '../../src/commands/model/model.decider.js';
import type { Actor } from '../../src/events/envelope.js';

const modelId = '0193f0c2-0000-7000-8000-000000000001';
const owner: Actor = { kind: 'user', id: 'owner-1', role: 'data_scientist' };
const stranger: Actor = { kind: 'user', id: 'someone-else', role: 'data_scientist' };
const officer: Actor = { kind: 'user', id: 'officer-1', role: 'risk_officer' };
const admin: Actor = { kind: 'user', id: 'admin-1', role: 'admin' };
const now = new Date('2026-11-23T10:00:00Z');
const policy: VersionedPolicy = { policyVersion: 0, policy: DEFAULT_DEPLOYMENT_POLICY };
const passing = [
  { kind: 'explainability' as const, eventId: 'e1', failingChecks: [] },
  { kind: 'fairness' as const, eventId: 'f1', failingChecks: [] },
];

const given = (events: ModelEvent[]): ModelState => events.reduce(modelDecider.evolve, modelDecider.initialState());
const when = (events: ModelEvent[], command: ModelCommand, actor: Actor = owner) => modelDecider.decide(command, given(events), { now, actor });

const registered: ModelEvent = { type: 'model.registered', data: { modelId, type: 'classification', ownerId: owner.id, name: 'credit', description: '', tags: [], riskTier: 'high', intendedUse: 'credit decisions' } };
const added = (version: number, authorId = owner.id): ModelEvent => ({
  type: 'model.version-added',
  data: { modelId, version, authorId, task: 'binary', classes: ['0', '1'], artifact: null, endpoint: { url: 'http://127.0.0.1/x' }, inputSchema: [{ name: 'x', type: 'number' }], trainingData: null, metrics: {}, notes: '' },
});
/** The events that bring version 1 to `status`. */
function historyTo(status: VersionStatus): ModelEvent[] {
  const steps: ModelEvent[] = [registered, added(1)];
  const order: VersionStatus[] = ['draft', 'validated', 'approved', 'deployed'];
  if (status === 'retired') return [...steps, { type: 'model.version-retired', data: { modelId, version: 1, reason: 'test' } }];
  const upTo = order.indexOf(status);
  if (upTo >= 1) steps.push({ type: 'model.version-validated', data: { modelId, version: 1, checks: [] } });
  if (upTo >= 2) steps.push({ type: 'model.version-approved', data: { modelId, version: 1, approverId: officer.id, comment: '', policyVersion: 0 } });
  if (upTo >= 3) steps.push({ type: 'model.version-deployed', data: { modelId, version: 1, policyVersion: 0, assessments: [] } });
  return steps;
}

const commandFor = (t: Transition): [ModelCommand, Actor] => {
  switch (t) {
    case 'validate':
      return [{ type: 'ValidateVersion', version: 1, checks: [{ name: 'loads', passed: true, detail: 'ok' }] }, owner];
    case 'approve':
      return [{ type: 'ApproveVersion', version: 1, comment: 'fine', policy }, officer];
    case 'deploy':
      return [{ type: 'DeployVersion', version: 1, policy, assessments: passing }, owner];
    case 'retire':
      return [{ type: 'RetireVersion', version: 1, reason: 'done' }, owner];
  }
};
const succeeded: Record<Transition, string> = { validate: 'model.version-validated', approve: 'model.version-approved', deploy: 'model.version-deployed', retire: 'model.version-retired' };

describe('model decider', () => {
  describe('lifecycle table: every transition from every state', () => {
    const statuses: VersionStatus[] = ['draft', 'validated', 'approved', 'deployed', 'retired'];
    const transitions: Transition[] = ['validate', 'approve', 'deploy', 'retire'];
    const expected: Record<VersionStatus, Record<Transition, boolean>> = {
      draft: { validate: true, approve: false, deploy: false, retire: true },
      validated: { validate: false, approve: true, deploy: false, retire: true },
      approved: { validate: false, approve: false, deploy: true, retire: true },
      deployed: { validate: false, approve: false, deploy: false, retire: true },
      retired: { validate: false, approve: false, deploy: false, retire: false },
    };
    for (const status of statuses) {
      for (const transition of transitions) {
        const allowed = expected[status][transition];
        it(`${transition} from ${status}: ${allowed ? 'allowed' : 'refused, as an event'}`, () => {
          expect(TRANSITION_FROM[transition].includes(status)).toBe(allowed);
          const [command, actor] = commandFor(transition);
          const events = when(historyTo(status), command, actor);
          if (allowed) expect(events.map((e) => e.type)).toEqual([succeeded[transition]]);
          else {
            expect(events).toHaveLength(1);
            expect(events[0]).toMatchObject({ type: 'model.transition-refused', data: { modelId, version: 1, transition } });
            expect((events[0]!.data as { reasons: string[] }).reasons[0]).toContain(`version 1 is ${status}`);
          }
        });
      }
    }
  });

  it('registers with the actor as owner; only the owner or an administrator changes the model', () => {
    expect(when([], { type: 'RegisterModel', modelId, modelType: 'classification', name: 'n', description: '', tags: [], riskTier: 'limited', intendedUse: '' })[0]!.data).toMatchObject({ ownerId: owner.id });
    const update: ModelCommand = { type: 'UpdateModel', changes: { description: 'better' } };
    expect(() => when([registered], update, stranger)).toThrow(expect.objectContaining({ code: 'NOT_MODEL_OWNER', status: 403 }) as Error);
    expect(when([registered], update, admin)).toHaveLength(1);
    expect(() => when([registered], { type: 'AddVersion', spec: (added(1).data as never) }, stranger)).toThrow(CommandRefused);
  });

  it('four eyes: the author cannot approve their own version, even as a risk officer, and only approver roles count', () => {
    const authoredByOfficer = [registered, added(1, officer.id), { type: 'model.version-validated', data: { modelId, version: 1, checks: [] } } as ModelEvent];
    const [own] = when(authoredByOfficer, { type: 'ApproveVersion', version: 1, comment: '', policy }, officer);
    expect(own!.type).toBe('model.transition-refused');
    expect((own!.data as { reasons: string[] }).reasons).toEqual(['four eyes: the author of version 1 cannot approve it (policy v0)']);
    const [byScientist] = when(historyTo('validated'), { type: 'ApproveVersion', version: 1, comment: '', policy }, stranger);
    expect((byScientist!.data as { reasons: string[] }).reasons[0]).toContain('approvals must come from risk_officer');
    const relaxed: VersionedPolicy = { policyVersion: 2, policy: { ...DEFAULT_DEPLOYMENT_POLICY, requireFourEyes: false } };
    expect(when(authoredByOfficer, { type: 'ApproveVersion', version: 1, comment: '', policy: relaxed }, officer)[0]!.type).toBe('model.version-approved');
  });

  it('refuses deployment listing every missing or failing assessment the policy requires', () => {
    const [missing] = when(historyTo('approved'), { type: 'DeployVersion', version: 1, policy, assessments: [] });
    expect((missing!.data as { reasons: string[] }).reasons).toEqual([
      'missing: no explainability assessment of version 1 (required by policy v0)',
      'missing: no fairness assessment of version 1 (required by policy v0)',
    ]);
    const [failing] = when(historyTo('approved'), { type: 'DeployVersion', version: 1, policy, assessments: [passing[0]!, { kind: 'fairness', eventId: 'f2', failingChecks: ['demographicParityRatio'] }] });
    expect((failing!.data as { reasons: string[] }).reasons).toEqual(['failing: the fairness assessment of version 1 has failing checks (demographicParityRatio)']);
    const none: VersionedPolicy = { policyVersion: 3, policy: { ...DEFAULT_DEPLOYMENT_POLICY, requiredAssessments: [] } };
    expect(when(historyTo('approved'), { type: 'DeployVersion', version: 1, policy: none, assessments: [] })[0]).toEqual({ type: 'model.version-deployed', data: { modelId, version: 1, policyVersion: 3, assessments: [] } });
  });

  it('deploying a version retires the one in service; a model in service cannot be deleted', () => {
    const twoVersions = [
      ...historyTo('deployed'),
      added(2),
      { type: 'model.version-validated', data: { modelId, version: 2, checks: [] } } as ModelEvent,
      { type: 'model.version-approved', data: { modelId, version: 2, approverId: officer.id, comment: '', policyVersion: 0 } } as ModelEvent,
    ];
    expect(when(twoVersions, { type: 'DeployVersion', version: 2, policy, assessments: passing }).map((e) => [e.type, (e.data as { version: number }).version])).toEqual([
      ['model.version-retired', 1],
      ['model.version-deployed', 2],
    ]);
    expect(() => when(historyTo('deployed'), { type: 'DeleteModel', reason: 'x' })).toThrow(/retire deployed version 1 first/);
    const deleted = [...historyTo('retired'), ...when(historyTo('retired'), { type: 'DeleteModel', reason: 'obsolete' })];
    expect(() => when(deleted, { type: 'UpdateModel', changes: { name: 'again' } })).toThrow(expect.objectContaining({ code: 'MODEL_DELETED' }) as Error);
  });

  it('a failed validation check refuses validation with that check named', () => {
    const [refused] = when(historyTo('draft'), { type: 'ValidateVersion', version: 1, checks: [{ name: 'scores-sample', passed: false, detail: 'NaN output' }] });
    expect(refused!.data).toMatchObject({ transition: 'validate', reasons: ['check scores-sample failed: NaN output'] });
  });
});

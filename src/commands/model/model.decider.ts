import { inconclusiveReasons, type EvidenceFacts } from './evidence-sufficiency.js';
import { evaluationGate, type EvaluationEvidence } from './evaluation-evidence.js';
import type { Actor, JsonObject } from '../../events/envelope.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';
import type { AssessmentKind, VersionedPolicy } from './deployment-policy.js';

export type ModelType = 'classification' | 'regression' | 'llm';
export type RiskTier = 'minimal' | 'limited' | 'high' | 'unacceptable';
export type VersionStatus = 'draft' | 'validated' | 'approved' | 'deployed' | 'retired';
export type Transition = 'validate' | 'approve' | 'deploy' | 'retire';

export type Descriptive = { name: string; description: string; tags: string[]; riskTier: RiskTier; intendedUse: string };

/** What a new version is; the decider numbers it. */
export type VersionSpec = {
  task: 'regression' | 'binary' | 'multiclass';
  classes: string[] | null;
  artifact: { sha256: string; size: number; format: string; filename: string | null } | null;
  endpoint: { url: string } | null;
  inputSchema: { name: string; type: string }[];
  trainingData: { datasetId: string; contentHash: string } | null;
  metrics: Record<string, number>;
  notes: string;
};

export type ValidationCheck = { name: string; passed: boolean; detail: string };

/** An assessment of a version as the deploy gate sees it (explanation.computed, fairness.assessed events). */
export type AssessmentEvidence = { kind: AssessmentKind; eventId: string; failingChecks: string[]; facts?: EvidenceFacts };

export type ModelCommand =
  | ({ type: 'RegisterModel'; modelId: string; modelType: ModelType } & Descriptive)
  | { type: 'UpdateModel'; changes: Partial<Descriptive> }
  | { type: 'DeleteModel'; reason: string }
  | { type: 'AddVersion'; spec: VersionSpec }
  | { type: 'ValidateVersion'; version: number; checks: ValidationCheck[] }
  | { type: 'ApproveVersion'; version: number; comment: string; policy: VersionedPolicy }
  | { type: 'DeployVersion'; version: number; policy: VersionedPolicy; assessments: AssessmentEvidence[]; evaluations?: EvaluationEvidence[] }
  | { type: 'RetireVersion'; version: number; reason: string };

type Data<T> = T & JsonObject;
export type ModelEvent =
  | DomainEvent<'model.registered', Data<{ modelId: string; type: ModelType; ownerId: string } & Descriptive>>
  | DomainEvent<'model.updated', Data<{ modelId: string; changes: Partial<Descriptive> & JsonObject }>>
  | DomainEvent<'model.deleted', Data<{ modelId: string; reason: string }>>
  | DomainEvent<'model.version-added', Data<{ modelId: string; version: number; authorId: string } & VersionSpec>>
  | DomainEvent<'model.version-validated', Data<{ modelId: string; version: number; checks: ValidationCheck[] }>>
  | DomainEvent<'model.version-approved', Data<{ modelId: string; version: number; approverId: string; comment: string; policyVersion: number }>>
  | DomainEvent<'model.version-deployed', Data<{ modelId: string; version: number; policyVersion: number; assessments: { kind: AssessmentKind; eventId: string }[]; evaluations?: { eventId: string; metric: string }[] }>>
  | DomainEvent<'model.version-retired', Data<{ modelId: string; version: number; reason: string }>>
  | DomainEvent<'model.transition-refused', Data<{ modelId: string; version: number; transition: Transition; reasons: string[]; policyVersion: number }>>;

export type VersionState = { version: number; status: VersionStatus; authorId: string };

export type ModelState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; modelId: string; ownerId: string; type: ModelType; versions: VersionState[] };

export const modelStreamId = (modelId: string) => `model-${modelId}`;

/** Which lifecycle states each transition starts from (draft -> validated -> approved -> deployed -> retired). */
export const TRANSITION_FROM: Record<Transition, readonly VersionStatus[]> = {
  validate: ['draft'],
  approve: ['validated'],
  deploy: ['approved'],
  retire: ['draft', 'validated', 'approved', 'deployed'],
};

type Existing = Exclude<ModelState, { status: 'none' }>;

function active(state: ModelState): Existing {
  if (state.status === 'none') throw new CommandRefused('MODEL_NOT_FOUND', ['no such model'], 422);
  if (state.status === 'deleted') throw new CommandRefused('MODEL_DELETED', ['the model was deleted'], 409);
  return state;
}

/** Owners change their models; administrators and RAIA's own processes may too. */
function requireOwner(model: Existing, actor: Actor): void {
  if (actor.kind !== 'user' || actor.id === model.ownerId || actor.role === 'admin') return;
  throw new CommandRefused('NOT_MODEL_OWNER', ['only the model\'s owner or an administrator may do this'], 403);
}

function versionOf(model: Existing, version: number): VersionState {
  const found = model.versions.find((v) => v.version === version);
  if (!found) throw new CommandRefused('VERSION_NOT_FOUND', [`the model has no version ${version}`], 422, 'version');
  return found;
}

// Event data must be plain JSON (no undefined members); commands come from validated input.
const jsonClone = <T extends object>(value: T): T & JsonObject => JSON.parse(JSON.stringify(value)) as T & JsonObject;

/**
 * A registered model and its versions. Versions are immutable once added; their lifecycle is
 * enforced here, and a refused transition is itself an event listing every unmet condition.
 */
export const modelDecider: Decider<ModelCommand, ModelEvent, ModelState> = {
  category: 'model',
  initialState: () => ({ status: 'none' }),

  decide(command, state, { actor }): ModelEvent[] {
    if (command.type === 'RegisterModel') {
      if (state.status !== 'none') throw new CommandRefused('MODEL_EXISTS', ['the model already exists']);
      const { type: _type, modelType, ...rest } = command;
      return [{ type: 'model.registered', data: jsonClone({ ...rest, type: modelType, ownerId: actor.id }) }];
    }
    const model = active(state);
    const refuse = (version: number, transition: Transition, reasons: string[], policyVersion = 0): ModelEvent[] => [
      { type: 'model.transition-refused', data: { modelId: model.modelId, version, transition, reasons, policyVersion } },
    ];
    switch (command.type) {
      case 'UpdateModel':
        requireOwner(model, actor);
        return Object.keys(command.changes).length === 0 ? [] : [{ type: 'model.updated', data: jsonClone({ modelId: model.modelId, changes: command.changes }) }];
      case 'DeleteModel': {
        requireOwner(model, actor);
        const deployed = model.versions.filter((v) => v.status === 'deployed').map((v) => v.version);
        if (deployed.length > 0) throw new CommandRefused('MODEL_IN_SERVICE', [`retire deployed version ${deployed.join(', ')} first`]);
        return [{ type: 'model.deleted', data: { modelId: model.modelId, reason: command.reason } }];
      }
      case 'AddVersion':
        requireOwner(model, actor);
        return [{ type: 'model.version-added', data: jsonClone({ modelId: model.modelId, version: model.versions.length + 1, authorId: actor.id, ...command.spec }) }];
      case 'ValidateVersion': {
        requireOwner(model, actor);
        const v = versionOf(model, command.version);
        const reasons = [
          ...(TRANSITION_FROM.validate.includes(v.status) ? [] : [`version ${v.version} is ${v.status}; only a draft can be validated`]),
          ...command.checks.filter((c) => !c.passed).map((c) => `check ${c.name} failed: ${c.detail}`),
        ];
        if (reasons.length > 0) return refuse(v.version, 'validate', reasons);
        return [{ type: 'model.version-validated', data: jsonClone({ modelId: model.modelId, version: v.version, checks: command.checks }) }];
      }
      case 'ApproveVersion': {
        const v = versionOf(model, command.version);
        const { policy, policyVersion } = command.policy;
        const reasons: string[] = [];
        if (!TRANSITION_FROM.approve.includes(v.status)) reasons.push(`version ${v.version} is ${v.status}; only a validated version can be approved`);
        const role = actor.kind === 'user' ? actor.role : actor.kind;
        if (!policy.approverRoles.includes(role)) reasons.push(`approvals must come from ${policy.approverRoles.join(' or ')} (policy v${policyVersion}); the approver is ${role}`);
        if (policy.requireFourEyes && actor.id === v.authorId) reasons.push(`four eyes: the author of version ${v.version} cannot approve it (policy v${policyVersion})`);
        if (reasons.length > 0) return refuse(v.version, 'approve', reasons, policyVersion);
        return [{ type: 'model.version-approved', data: { modelId: model.modelId, version: v.version, approverId: actor.id, comment: command.comment, policyVersion } }];
      }
      case 'DeployVersion': {
        requireOwner(model, actor);
        const v = versionOf(model, command.version);
        const { policy, policyVersion } = command.policy;
        const reasons: string[] = [];
        if (!TRANSITION_FROM.deploy.includes(v.status)) reasons.push(`version ${v.version} is ${v.status}; only an approved version can be deployed`);
        const used: { kind: AssessmentKind; eventId: string }[] = [];
        for (const kind of policy.requiredAssessments) {
          const found = command.assessments.filter((a) => a.kind === kind);
          const gaps = (a: AssessmentEvidence) => (a.facts ? inconclusiveReasons(a.facts, policy.evidence) : []);
          const passing = found.find((a) => a.failingChecks.length === 0 && gaps(a).length === 0);
          const inconclusive = found.filter((a) => a.failingChecks.length === 0 && gaps(a).length > 0);
          if (passing) used.push({ kind, eventId: passing.eventId });
          else if (found.length === 0) reasons.push(`missing: no ${kind} assessment of version ${v.version} (required by policy v${policyVersion})`);
          else if (inconclusive.length > 0) for (const a of inconclusive) reasons.push(`inconclusive: the ${kind} assessment ${a.eventId} of version ${v.version}: ${gaps(a).join('; ')} (policy v${policyVersion})`);
          else reasons.push(`failing: the ${kind} assessment of version ${v.version} has failing checks (${found.flatMap((a) => a.failingChecks).join(', ')})`);
        }
        const evaluated = model.type === 'llm' && policy.requiredEvaluationMetrics?.length ? evaluationGate(policy.requiredEvaluationMetrics, command.evaluations ?? [], `version ${v.version}`) : null;
        if (evaluated) reasons.push(...evaluated.reasons.map((r) => `${r} (policy v${policyVersion})`));
        if (reasons.length > 0) return refuse(v.version, 'deploy', reasons, policyVersion);
        const superseded = model.versions.filter((o) => o.status === 'deployed');
        return [
          ...superseded.map((o): ModelEvent => ({ type: 'model.version-retired', data: { modelId: model.modelId, version: o.version, reason: `superseded by version ${v.version}` } })),
          { type: 'model.version-deployed', data: { modelId: model.modelId, version: v.version, policyVersion, assessments: used, ...(evaluated ? { evaluations: evaluated.used } : {}) } },
        ];
      }
      case 'RetireVersion': {
        requireOwner(model, actor);
        const v = versionOf(model, command.version);
        if (!TRANSITION_FROM.retire.includes(v.status)) return refuse(v.version, 'retire', [`version ${v.version} is retired already`]);
        return [{ type: 'model.version-retired', data: { modelId: model.modelId, version: v.version, reason: command.reason } }];
      }
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): ModelState {
    if (event.type === 'model.registered') return { status: 'active', modelId: event.data.modelId, ownerId: event.data.ownerId, type: event.data.type, versions: [] };
    if (state.status === 'none') return state;
    const setStatus = (version: number, status: VersionStatus): ModelState => ({ ...state, versions: state.versions.map((v) => (v.version === version ? { ...v, status } : v)) });
    switch (event.type) {
      case 'model.updated':
      case 'model.transition-refused':
        return state;
      case 'model.deleted':
        return { ...state, status: 'deleted' };
      case 'model.version-added':
        return { ...state, versions: [...state.versions, { version: event.data.version, status: 'draft', authorId: event.data.authorId }] };
      case 'model.version-validated':
        return setStatus(event.data.version, 'validated');
      case 'model.version-approved':
        return setStatus(event.data.version, 'approved');
      case 'model.version-deployed':
        return setStatus(event.data.version, 'deployed');
      case 'model.version-retired':
        return setStatus(event.data.version, 'retired');
      default:
        return assertNever(event);
    }
  },
};

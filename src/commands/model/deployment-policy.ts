import type { Actor } from '../../events/envelope.js';
import type { JsonObject } from '../../events/envelope.js';
import { CommandRefused, type Decider, type DomainEvent } from '../decider.js';

export type AssessmentKind = 'explainability' | 'fairness';

import type { EvidenceMinimums } from './evidence-sufficiency.js';
import type { EvaluationRequirement } from './evaluation-evidence.js';

export type DeploymentPolicy = {
  requireFourEyes: boolean;
  approverRoles: string[];
  requiredAssessments: AssessmentKind[];
  /** Minimum size of the evidence the gate accepts (absent in policies set before it existed). */
  evidence?: EvidenceMinimums;
  /** Metrics a version of an `llm` model must have measured by a completed evaluation, within bounds (absent in policies set before it existed). */
  requiredEvaluationMetrics?: EvaluationRequirement[];
};

/** The policy in force before anyone sets one: four eyes by a risk officer, both assessments required. */
export const DEFAULT_DEPLOYMENT_POLICY: DeploymentPolicy = { requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: ['explainability', 'fairness'] };

export type VersionedPolicy = { policyVersion: number; policy: DeploymentPolicy };

export const DEPLOYMENT_POLICY_STREAM = 'policy-deployment';

export type SetDeploymentPolicy = { type: 'SetDeploymentPolicy'; policy: DeploymentPolicy; rationale: string };
export type DeploymentPolicySet = DomainEvent<'policy.deployment-set', { policyVersion: number; policy: DeploymentPolicy & JsonObject; rationale: string }>;

/** The deployment policy as a versioned document: each change is an event naming who set it and why. */
export const deploymentPolicyDecider: Decider<SetDeploymentPolicy, DeploymentPolicySet, VersionedPolicy> = {
  category: 'policy',
  initialState: () => ({ policyVersion: 0, policy: DEFAULT_DEPLOYMENT_POLICY }),
  decide(command, state, { actor }: { actor: Actor }) {
    if (actor.kind === 'user' && actor.role !== 'admin') throw new CommandRefused('NOT_ADMIN', ['only administrators set the deployment policy'], 403);
    return [{ type: 'policy.deployment-set', data: { policyVersion: state.policyVersion + 1, policy: { ...command.policy }, rationale: command.rationale } }];
  },
  evolve: (_state, event) => ({ policyVersion: event.data.policyVersion, policy: event.data.policy }),
};

import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

const modelId = z.uuid();
const version = z.number().int().positive();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const text = (max: number) => z.string().max(max);

export const MODEL_TYPES = ['classification', 'regression', 'llm'] as const;
/** EU AI Act risk categories (Regulation (EU) 2024/1689, Title II-IV). */
export const RISK_TIERS = ['minimal', 'limited', 'high', 'unacceptable'] as const;
export const ARTIFACT_FORMATS = ['onnx', 'raia-tree-ensemble/v1', 'xgboost-json', 'raia-linear/v1', 'raia-threshold-wrapper/v1', 'remote'] as const;
export const VERSION_TASKS = ['regression', 'binary', 'multiclass'] as const;
export const FEATURE_TYPES = ['number', 'integer', 'boolean'] as const;
export const ASSESSMENT_KINDS = ['explainability', 'fairness'] as const;
export const LIFECYCLE_TRANSITIONS = ['validate', 'approve', 'deploy', 'retire'] as const;

const descriptive = {
  name: text(200).min(1),
  description: text(5000),
  tags: z.array(text(50).min(1)).max(50),
  riskTier: z.enum(RISK_TIERS),
  intendedUse: text(5000),
};

export const modelRegistered = defineEvent({
  type: 'model.registered',
  schemaVersion: 1,
  schema: z.object({ modelId, type: z.enum(MODEL_TYPES), ownerId: z.string(), ...descriptive }),
  description: 'A model was entered in the registry by its owner.',
});

export const modelUpdated = defineEvent({
  type: 'model.updated',
  schemaVersion: 1,
  schema: z.object({ modelId, changes: z.object(descriptive).partial() }),
  description: 'Descriptive fields of a model changed (versions are immutable).',
});

export const modelDeleted = defineEvent({
  type: 'model.deleted',
  schemaVersion: 1,
  schema: z.object({ modelId, reason: text(500) }),
  description: 'The model was withdrawn from the registry (soft delete: its history stays in the ledger).',
});

export const artifactSchema = z.object({ sha256, size: z.number().int().nonnegative(), format: z.enum(ARTIFACT_FORMATS), filename: text(300).nullable() });
export const inputFeatureSchema = z.object({ name: text(200).min(1), type: z.enum(FEATURE_TYPES) });

export const modelVersionAdded = defineEvent({
  type: 'model.version-added',
  schemaVersion: 1,
  schema: z.object({
    modelId,
    version,
    authorId: z.string(),
    task: z.enum(VERSION_TASKS),
    classes: z.array(text(200)).nullable(),
    /** The stored artifact; null for a remote scoring endpoint. */
    artifact: artifactSchema.nullable(),
    endpoint: z.object({ url: z.url() }).nullable(),
    inputSchema: z.array(inputFeatureSchema).min(1),
    trainingData: z.object({ datasetId: z.string(), contentHash: sha256 }).nullable(),
    metrics: z.record(z.string(), z.number()),
    notes: text(5000),
  }),
  description: 'An immutable model version: artifact (by SHA-256), input schema, training-data reference and metrics.',
});

const check = z.object({ name: z.string(), passed: z.boolean(), detail: z.string() });

export const modelVersionValidated = defineEvent({
  type: 'model.version-validated',
  schemaVersion: 1,
  schema: z.object({ modelId, version, checks: z.array(check) }),
  description: 'The version passed its technical validation (artifact loads, schema matches, scores a sample).',
});

export const modelVersionApproved = defineEvent({
  type: 'model.version-approved',
  schemaVersion: 1,
  schema: z.object({ modelId, version, approverId: z.string(), comment: text(2000), policyVersion: z.number().int().nonnegative() }),
  description: 'A risk officer approved the version for deployment.',
});

export const modelVersionDeployed = defineEvent({
  type: 'model.version-deployed',
  schemaVersion: 1,
  schema: z.object({
    modelId,
    version,
    policyVersion: z.number().int().nonnegative(),
    assessments: z.array(z.object({ kind: z.enum(ASSESSMENT_KINDS), eventId: z.string() })),
    /** The evaluation.completed events that met the policy's required metrics (llm models; absent before evaluations gated deploys). */
    evaluations: z.array(z.object({ eventId: z.string(), metric: z.string() })).optional(),
  }),
  description: 'The version went into service; the policy and assessments that allowed it are named.',
});

export const modelVersionRetired = defineEvent({
  type: 'model.version-retired',
  schemaVersion: 1,
  schema: z.object({ modelId, version, reason: text(500) }),
  description: 'The version left service or was withdrawn before it.',
});

export const modelTransitionRefused = defineEvent({
  type: 'model.transition-refused',
  schemaVersion: 1,
  schema: z.object({ modelId, version, transition: z.enum(LIFECYCLE_TRANSITIONS), reasons: z.array(z.string()).min(1), policyVersion: z.number().int().nonnegative() }),
  description: 'A lifecycle transition was asked for and refused; every unmet condition is listed.',
});

export const deploymentPolicySchema = z.object({
  /** An approval must come from someone other than the version's author. */
  requireFourEyes: z.boolean(),
  /** Roles whose approval counts. */
  approverRoles: z.array(z.string()).min(1),
  /** Assessments of the version that must exist, with no failing check, before deployment. */
  requiredAssessments: z.array(z.enum(ASSESSMENT_KINDS)),
  /** Minimum evidence: below it an assessment is inconclusive and the gate refuses it. Absent before it was added. */
  evidence: z.object({ minGroupSize: z.number().int().min(1).optional(), minExplanationRows: z.number().int().min(1).optional() }).optional(),
  /** For models of type llm: metrics a completed evaluation of the version must report, mean within [min, max]. Absent before it was added. */
  requiredEvaluationMetrics: z.array(z.object({ metric: z.string().min(1), min: z.number().optional(), max: z.number().optional() })).optional(),
});

export const deploymentPolicySet = defineEvent({
  type: 'policy.deployment-set',
  schemaVersion: 1,
  schema: z.object({ policyVersion: z.number().int().positive(), policy: deploymentPolicySchema, rationale: text(2000) }),
  description: 'A new version of the deployment policy (the gates of the model lifecycle) took effect.',
});

export const modelEvents = [
  modelRegistered,
  modelUpdated,
  modelDeleted,
  modelVersionAdded,
  modelVersionValidated,
  modelVersionApproved,
  modelVersionDeployed,
  modelVersionRetired,
  modelTransitionRefused,
  deploymentPolicySet,
];

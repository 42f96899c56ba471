import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';
import { jsonValue } from '../json-value.js';

/**
 * Compliance frameworks as versioned control packs (docs/compliance.md). A control names its
 * evidence declaratively: which ledger events prove it, about what (the model version, the model,
 * its training dataset, the ledger itself, the control's own statement of applicability), under
 * which conditions and how fresh they must be. The evaluator (src/processors/compliance) reads it.
 */

const RISK_TIER_VALUES = ['minimal', 'limited', 'high', 'unacceptable'] as const;
const text = (max: number) => z.string().trim().min(1).max(max);

/** ISO 8601 duration (`P12M`, `P1D`, `PT6H`, `P1Y2M10DT2H30M`): calendar years and months, days, time. */
export const ISO_DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
export const durationSchema = z.string().regex(ISO_DURATION, 'must be an ISO 8601 duration such as P12M, P30D or PT1H');

export const CONDITION_OPERATORS = ['eq', 'neq', 'in', 'gte', 'lte', 'exists', 'empty', 'nonEmpty'] as const;
export const conditionSchema = z
  .object({
    /** Dotted path into the event's data (`failedChecks`, `report.task`, `checks.0.passed`). */
    path: text(200),
    op: z.enum(CONDITION_OPERATORS),
    value: jsonValue.optional(),
  })
  .meta({ id: 'EvidenceCondition' });

/**
 * Whose events count: `version` (data.modelId and data.version/modelVersion name the evaluated
 * version), `model` (data.modelId), `training-dataset` (data.datasetId is the version's training
 * dataset), `ledger` (any event of the type), `control` (this control's own statement of applicability).
 */
export const EVIDENCE_SCOPES = ['version', 'model', 'training-dataset', 'ledger', 'control'] as const;
export const MODEL_FIELDS = ['intendedUse', 'description', 'name'] as const;

const requirementCommon = {
  /** Stable within its control (`approval`, `fairness-training-data`). */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes'),
  /** What the evidence is, in words (`approval of the version`). */
  label: text(200),
  /** The gap, in words, when nothing proves it (`no fairness assessment on the training dataset`). */
  missing: text(300),
};

export const evidenceRequirementSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('events'),
      ...requirementCommon,
      eventTypes: z.array(text(100)).min(1).max(20),
      scope: z.enum(EVIDENCE_SCOPES),
      where: z.array(conditionSchema).max(20).default([]),
      /** The newest proving event must be at most this old; null: evidence never goes stale. */
      freshness: durationSchema.nullable().default(null),
      /** The gap when the newest evidence is too old; `{age}` and `{window}` are filled in. */
      stale: text(300).optional(),
    }),
    z.object({
      /** Something switched on by one event and off by another, keyed (a drift schedule set, then removed). */
      kind: z.literal('active'),
      ...requirementCommon,
      setType: text(100),
      clearType: text(100),
      key: text(100),
      scope: z.enum(['version', 'model', 'ledger']),
    }),
    z.object({
      /** A descriptive field of the model is filled in (as of the evaluation). */
      kind: z.literal('model-field'),
      ...requirementCommon,
      field: z.enum(MODEL_FIELDS),
    }),
    z.object({
      /** No serious incident on the version is past its EU AI Act Art. 73 reporting deadline. */
      kind: z.literal('incident-deadlines'),
      ...requirementCommon,
    }),
    z.object({
      /** The ledger still holds the model's history since registration and keeps it at least this long. */
      kind: z.literal('retention'),
      ...requirementCommon,
      minimum: durationSchema,
    }),
  ])
  .meta({ id: 'EvidenceRequirement' });
export type EvidenceRequirement = z.infer<typeof evidenceRequirementSchema>;

export const controlSchema = z
  .object({
    /** The framework's own identifier (`Art. 9`, `MEASURE 2.11`, `A.6.2.4`). */
    id: text(60),
    title: text(300),
    description: z.string().max(4000).default(''),
    /** The model risk tiers the control applies to (EU AI Act categories). */
    appliesTo: z.object({ riskTiers: z.array(z.enum(RISK_TIER_VALUES)).min(1) }),
    evidence: z.array(evidenceRequirementSchema).min(1).max(20),
  })
  .meta({ id: 'Control' });
export type Control = z.infer<typeof controlSchema>;

const packId = z.uuid();

export const compliancePackPublished = defineEvent({
  type: 'compliance.pack-published',
  schemaVersion: 1,
  schema: z.object({
    /** UUID v5 of `framework@version`: the same pack has the same id on every installation. */
    packId,
    framework: text(100),
    version: text(40),
    title: text(300),
    /** `shipped`: a data file in RAIA's repository; `custom`: defined by an administrator. */
    origin: z.enum(['shipped', 'custom']),
    controls: z.array(controlSchema).min(1).max(500),
  }),
  description: 'A compliance framework version as a control pack: each control, the model risk tiers it applies to, and the ledger evidence that proves it.',
});

export const complianceControlDefined = defineEvent({
  type: 'compliance.control-defined',
  schemaVersion: 1,
  schema: z.object({ packId, control: controlSchema }),
  description: 'An administrator added a control to a custom pack, or replaced one of the same id.',
});

export const complianceApplicabilitySet = defineEvent({
  type: 'compliance.applicability-set',
  schemaVersion: 1,
  schema: z.object({ packId, controlId: text(60), applicable: z.boolean(), justification: text(4000) }),
  description: 'The statement of applicability of one control (ISO/IEC 42001 clause 6.1.3 d): applicable or not, and why.',
});

export const complianceEvents = [compliancePackPublished, complianceControlDefined, complianceApplicabilitySet];

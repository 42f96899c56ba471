import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_BIAS_POLICY, DEFAULT_SEVERITY, DISPARITY_METRICS, REGRESSION_METRICS, type BiasPolicy, type ProtectedAttribute } from '../../analytics/fairness/index.js';
import { canonicalJson } from '../../events/canonical-json.js';
import type { assessmentOptionsSchema, biasPolicySchema } from '../../events/catalogue/fairness.events.js';
import { API_VERSION } from '../api-version.js';
import { invalidFields } from '../problem-details.js';

/**
 * Request bodies of the fairness routes and their translation into the engine's column inputs,
 * with every bad value named by its field (`body.labels.3`, `body.protectedAttributes.sex`).
 */

/** Recorded in every result event, so a number can be traced to the code that computed it. */
export const FAIRNESS_CODE_VERSION = `raia@${API_VERSION} fairness-engine/1`;

export const MIN_ROWS = 4;
export const MAX_ROWS = 200_000;
const MAX_REPORTED_ERRORS = 20;
const SEPARATOR = ' × ';

export type FieldError = { field: string; message: string };

export const invalidInput = (errors: FieldError[]) => invalidFields(errors, MAX_REPORTED_ERRORS);

/** Collects field errors and throws them together. */
export class FieldErrors {
  readonly errors: FieldError[] = [];
  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }
  throwIfAny(): void {
    if (this.errors.length > 0) throw invalidInput(this.errors);
  }
}

export const sha256Of = (value: unknown) => createHash('sha256').update(canonicalJson(value) ?? 'null').digest('hex');

// ----- schemas -----

const attributeName = z
  .string()
  .min(1)
  .max(100)
  .refine((n) => !n.includes(SEPARATOR), { message: `must not contain "${SEPARATOR}" (it joins attribute names in intersections)` });
export const attributeValue = z.union([z.string().max(200), z.number(), z.boolean()]);
export const rowValue = z.union([z.number(), z.boolean(), z.string().max(200), z.null()]);

export const protectedAttributesSchema = z
  .union([z.record(attributeName, z.array(attributeValue.nullable())), z.array(attributeName).min(1).max(10)])
  .describe('Either { attribute: [one value per row] }, or the names of columns of `rows` that hold protected attributes (not model features unless the input schema names them).');

export const assessmentOptionsBody = z
  .strictObject({
    minGroupSize: z.number().int().min(1).default(30).describe('Groups with fewer rows are flagged and left out of comparisons'),
    includeSmallGroups: z.boolean().default(false),
    intersections: z.union([z.enum(['none', 'pairwise-and-all', 'all']), z.array(z.array(attributeName).min(2)).max(20)]).default('pairwise-and-all'),
    referenceGroups: z.record(z.string(), z.string()).default({}).describe('Reference group per grouping name (`sex`, `sex × race`) for disparate impact; default the highest selection rate'),
    calibrationBins: z.number().int().min(1).max(100).default(10),
    privilegedGroups: z.record(z.string(), z.string()).optional().describe("AIF360's privileged group per grouping name (`sex`, `sex × race`) for the signed metrics in libraryMetrics.aif360; default the highest selection rate"),
    decisionThreshold: z.number().min(0).max(1).optional().describe('Decide positive when the score is at least this; default the model\'s own decisions (or the given yPred)'),
    bootstrap: z
      .union([
        z.literal(false),
        z.strictObject({ resamples: z.number().int().min(1).max(10_000).default(1000), level: z.number().min(0.5).max(0.999).default(0.95), seed: z.number().int().min(0).max(2 ** 32 - 1).default(20240601) }),
      ])
      .prefault({}),
  })
  .prefault({});
export type AssessmentOptionsBody = z.infer<typeof assessmentOptionsBody>;
export type AssessmentOptions = z.infer<typeof assessmentOptionsSchema>;

export const policyBody = z
  .strictObject({
    rules: z
      .array(z.strictObject({ metric: z.enum([...DISPARITY_METRICS, ...REGRESSION_METRICS]), threshold: z.number().finite(), bound: z.enum(['upper', 'lower']).optional() }))
      .max(50)
      .describe('Regression: rules on the differences of meanPrediction, meanError, meanAbsoluteError, rootMeanSquaredError (upper bounds)'),
    groupings: z.array(z.string()).max(50).optional(),
  })
  .optional()
  .describe('Default for classification: demographicParityRatio >= 0.8 and equalizedOddsDifference <= 0.1 over every grouping; regression: no rules unless given');
export type PolicyBody = z.infer<typeof policyBody>;
export type RecordedPolicy = z.infer<typeof biasPolicySchema>;

// ----- normalisation -----

export function normaliseOptions(body: AssessmentOptionsBody): AssessmentOptions {
  return {
    minGroupSize: body.minGroupSize,
    includeSmallGroups: body.includeSmallGroups,
    intersections: body.intersections,
    referenceGroups: body.referenceGroups,
    calibrationBins: body.calibrationBins,
    ...(body.privilegedGroups ? { privilegedGroups: body.privilegedGroups } : {}),
    decisionThreshold: body.decisionThreshold ?? null,
    bootstrap: body.bootstrap === false ? null : body.bootstrap,
  };
}

export function normalisePolicy(body: PolicyBody, task: 'binary' | 'regression', errors: FieldErrors): RecordedPolicy {
  const regression = new Set<string>(REGRESSION_METRICS);
  if (body) {
    body.rules.forEach((rule, i) => {
      if ((task === 'regression') !== regression.has(rule.metric)) errors.add(`body.policy.rules.${i}.metric`, `${rule.metric} is not a ${task === 'regression' ? 'regression' : 'classification'} metric`);
      if (task === 'regression' && rule.bound === 'lower') errors.add(`body.policy.rules.${i}.bound`, 'regression differences are upper-bounded');
    });
  }
  const rules = body
    ? body.rules.map((r) => ({ metric: r.metric, threshold: r.threshold, bound: r.bound ?? (r.metric.endsWith('Ratio') ? ('lower' as const) : ('upper' as const)) }))
    : task === 'binary'
      ? DEFAULT_BIAS_POLICY.rules.map((r) => ({ metric: r.metric, threshold: r.threshold, bound: r.bound ?? ('upper' as const) }))
      : [];
  return { rules, groupings: body?.groupings ?? null, severity: DEFAULT_SEVERITY };
}

export const enginePolicy = (policy: RecordedPolicy): BiasPolicy => ({
  rules: policy.rules.map((r) => ({ metric: r.metric as (typeof DISPARITY_METRICS)[number], threshold: r.threshold, bound: r.bound })),
  severity: policy.severity,
  ...(policy.groupings ? { groupings: policy.groupings } : {}),
});

/** Names that refer to groupings (`sex`, `sex × race`) must be built from the given attributes. */
export function checkGroupingNames(options: AssessmentOptions, policy: RecordedPolicy, attributes: readonly string[], errors: FieldErrors): void {
  const known = new Set(attributes);
  const check = (name: string, field: string) => {
    const unknown = name.split(SEPARATOR).filter((a) => !known.has(a));
    if (unknown.length > 0) errors.add(field, `names unknown protected attribute ${unknown.join(', ')} (given: ${attributes.join(', ')})`);
  };
  for (const key of Object.keys(options.referenceGroups)) check(key, `body.options.referenceGroups.${key}`);
  for (const key of Object.keys(options.privilegedGroups ?? {})) check(key, `body.options.privilegedGroups.${key}`);
  if (Array.isArray(options.intersections)) options.intersections.forEach((names, i) => names.forEach((n, j) => check(n, `body.options.intersections.${i}.${j}`)));
  policy.groupings?.forEach((g, i) => check(g, `body.policy.groupings.${i}`));
}

// ----- columns -----

/** A categorical column: groups are the distinct values (as strings), in sorted order. */
function categorical(name: string, values: readonly (string | number | boolean)[]): ProtectedAttribute {
  const labels = [...new Set(values.map(String))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  return { name, labels, codes: Int32Array.from(values, (v) => index.get(String(v))!) };
}

export type ProtectedInput = Record<string, (string | number | boolean | null)[]> | string[];

/**
 * Protected attributes from `{ name: values }` (one per row) or from columns of `rows`.
 * Returns the attributes and the column names to leave out of the model's features.
 */
export function protectedAttributes(input: ProtectedInput, rowCount: number, rows: Record<string, unknown>[] | undefined, errors: FieldErrors): { attributes: ProtectedAttribute[]; columns: string[] } {
  if (Array.isArray(input)) {
    if (!rows) {
      errors.add('body.protectedAttributes', 'names columns of `rows`, but no rows were given; send { attribute: [values] } instead');
      return { attributes: [], columns: [] };
    }
    const names = [...new Set(input)];
    if (names.length !== input.length) errors.add('body.protectedAttributes', 'names a column twice');
    const attributes: ProtectedAttribute[] = [];
    for (const name of names) {
      const values: (string | number | boolean)[] = [];
      rows.forEach((row, i) => {
        const v = row[name];
        if (v === undefined || v === null) errors.add(`body.rows.${i}.${name}`, `is required: ${name} is a protected attribute`);
        else values.push(v as string | number | boolean);
      });
      if (values.length === rows.length) attributes.push(categorical(name, values));
    }
    return { attributes, columns: names };
  }
  const entries = Object.entries(input);
  if (entries.length === 0) errors.add('body.protectedAttributes', 'at least one protected attribute is required');
  if (entries.length > 10) errors.add('body.protectedAttributes', 'at most 10 protected attributes');
  const attributes: ProtectedAttribute[] = [];
  for (const [name, values] of entries) {
    const missing = values.findIndex((v) => v === null);
    if (values.length !== rowCount) errors.add(`body.protectedAttributes.${name}`, `has ${values.length} values for ${rowCount} rows`);
    else if (missing >= 0) errors.add(`body.protectedAttributes.${name}.${missing}`, 'is missing; every row needs a value (use an explicit level such as "unknown")');
    else attributes.push(categorical(name, values as (string | number | boolean)[]));
  }
  return { attributes, columns: [] };
}

/** Binary outcomes (0/1 or booleans) as a Uint8Array; anything else is named. */
export function binaryColumn(values: readonly (number | boolean | string)[], field: string, errors: FieldErrors): Uint8Array {
  const out = new Uint8Array(values.length);
  let reported = 0;
  values.forEach((v, i) => {
    if (v === 1 || v === true) out[i] = 1;
    else if (v === 0 || v === false) out[i] = 0;
    else if (reported++ < MAX_REPORTED_ERRORS) errors.add(`${field}.${i}`, `is ${JSON.stringify(v)}; binary classification needs 0 or 1 (or a boolean)`);
  });
  return out;
}

/** Labels given as the model's class labels (binary: classes[1] is the positive class). */
export function classLabels(values: readonly (number | boolean | string)[], classes: readonly string[], field: string, errors: FieldErrors): Uint8Array {
  const out = new Uint8Array(values.length);
  let reported = 0;
  values.forEach((v, i) => {
    const k = classes.indexOf(String(v));
    if (k >= 0) out[i] = k;
    else if (reported++ < MAX_REPORTED_ERRORS) errors.add(`${field}.${i}`, `is ${JSON.stringify(v)}; the model's classes are ${classes.map((c) => JSON.stringify(c)).join(' and ')}`);
  });
  return out;
}

export function numericColumn(values: readonly unknown[], field: string, errors: FieldErrors, range?: [number, number]): Float64Array {
  const out = new Float64Array(values.length);
  let reported = 0;
  values.forEach((v, i) => {
    const ok = typeof v === 'number' && Number.isFinite(v) && (!range || (v >= range[0] && v <= range[1]));
    if (ok) out[i] = v;
    else if (reported++ < MAX_REPORTED_ERRORS) errors.add(`${field}.${i}`, range ? `must be a number in [${range[0]}, ${range[1]}]` : 'must be a finite number');
  });
  return out;
}

export function sameLength(length: number, expected: number, field: string, errors: FieldErrors): boolean {
  if (length === expected) return true;
  errors.add(field, `has ${length} entries for ${expected} rows`);
  return false;
}

/**
 * Rows (objects keyed by feature name) as the model's row-major feature matrix, in its input
 * schema's order; protected columns that are not features are set aside.
 */
export function featureMatrix(rows: Record<string, unknown>[], schema: readonly { name: string; type: string }[], protectedColumns: readonly string[], errors: FieldErrors): Float64Array {
  const width = schema.length;
  const matrix = new Float64Array(rows.length * width);
  const known = new Set([...schema.map((f) => f.name), ...protectedColumns]);
  rows.forEach((row, i) => {
    if (errors.errors.length >= MAX_REPORTED_ERRORS) return;
    for (const key of Object.keys(row)) if (!known.has(key)) errors.add(`body.rows.${i}.${key}`, 'is neither a feature of this model nor a protected attribute');
    schema.forEach((feature, j) => {
      const field = `body.rows.${i}.${feature.name}`;
      if (!(feature.name in row)) return errors.add(field, 'is required (send null for a missing value)');
      const v = row[feature.name];
      if (v === null) matrix[i * width + j] = NaN;
      else if (feature.type === 'boolean') {
        if (typeof v !== 'boolean') errors.add(field, 'must be a boolean');
        else matrix[i * width + j] = v ? 1 : 0;
      } else if (typeof v !== 'number' || !Number.isFinite(v)) errors.add(field, 'must be a finite number');
      else if (feature.type === 'integer' && !Number.isInteger(v)) errors.add(field, 'must be an integer');
      else matrix[i * width + j] = v;
    });
  });
  return matrix;
}

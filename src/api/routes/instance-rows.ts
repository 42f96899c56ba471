import { invalidFields } from '../problem-details.js';

export type Instance = Record<string, number | boolean | null>;
/** Rows in the input schema's order; null = missing. */
export type Rows = (number | null)[][];


/**
 * Instances (objects keyed by feature name) as rows in the schema's order. Every unknown feature,
 * missing feature and value of the wrong type is reported with its field (`<field>.<i>.<name>`).
 */
export function instanceRows(instances: Instance[], schema: { name: string; type: string }[], field: string): Rows {
  const problems: { field: string; message: string }[] = [];
  const known = new Set(schema.map((f) => f.name));
  const rows = instances.map((instance, i) => {
    for (const key of Object.keys(instance)) if (!known.has(key)) problems.push({ field: `${field}.${i}.${key}`, message: 'is not a feature of this model' });
    return schema.map((feature) => {
      const at = `${field}.${i}.${feature.name}`;
      if (!(feature.name in instance)) return problems.push({ field: at, message: 'is required (send null for a missing value)' }), null;
      const v = instance[feature.name];
      const problem = valueProblem(v, feature.type);
      if (problem) return problems.push({ field: at, message: problem }), null;
      return v === null || v === undefined ? null : matrixValue(v);
    });
  });
  if (problems.length > 0) throw invalidFields(problems);
  return rows;
}

/** Why `v` cannot be a value of a feature of `type` (null, missing, always can), or null. */
function valueProblem(v: unknown, type: string): string | null {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return typeof v === 'boolean' ? null : 'must be a boolean';
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
  return type === 'integer' && !Number.isInteger(v) ? 'must be an integer' : null;
}

/** A value that passed `valueProblem` as a matrix holds it: missing NaN, booleans 0/1. */
const matrixValue = (v: number | boolean | null): number => (v === null ? NaN : typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** Rows as a row-major matrix, missing values as NaN. */
export function rowMatrix(rows: Rows, width: number): Float64Array {
  const matrix = new Float64Array(rows.length * width);
  rows.forEach((row, i) => row.forEach((v, j) => (matrix[i * width + j] = v === null ? NaN : v)));
  return matrix;
}

/**
 * `rowMatrix(instanceRows(…))` without the rows in between: each instance's values go straight
 * into the matrix, which matters for 10,000-instance batches. Anything unusual (a key that is not a
 * feature, a missing feature, a value of the wrong type) is left to `instanceRows`, which reports
 * every problem with its field.
 */
export function instanceMatrix(instances: Instance[], schema: { name: string; type: string }[], field: string): Float64Array {
  const width = schema.length;
  const matrix = new Float64Array(instances.length * width);
  for (let i = 0; i < instances.length; i++) {
    const instance = instances[i]!;
    // As many own keys as features, and every feature present: no key is foreign.
    if (Object.keys(instance).length !== width) return rowMatrix(instanceRows(instances, schema, field), width);
    for (let j = 0; j < width; j++) {
      // An absent feature reads undefined, or an inherited member (`toString`, a valueProblem).
      const v: unknown = instance[schema[j]!.name];
      if (v === undefined || valueProblem(v, schema[j]!.type) !== null) return rowMatrix(instanceRows(instances, schema, field), width);
      matrix[i * width + j] = matrixValue(v as number | boolean | null);
    }
  }
  return matrix;
}

/**
 * Instances sent as rows under column names (`columns` naming each position of a row) as a
 * row-major matrix in the input schema's order. Refused, each with its field: a column that is not
 * a feature or is named twice (`body.columns.<j>`), a feature no column names (`body.columns`), a
 * value of the wrong type (`body.rows.<i>.<j>`). Rows are as long as `columns` (the body schema
 * checks that).
 */
export function columnRowsMatrix(columns: string[], rows: (number | boolean | null)[][], schema: { name: string; type: string }[]): Float64Array {
  const problems: { field: string; message: string }[] = [];
  const featureIndex = new Map(schema.map((f, j) => [f.name, j]));
  const named = new Set<string>();
  // Per column: its feature's position in the schema (-1: none).
  const target = columns.map((name, c) => {
    const j = featureIndex.get(name);
    if (j === undefined) return problems.push({ field: `body.columns.${c}`, message: 'is not a feature of this model' }), -1;
    if (named.has(name)) return problems.push({ field: `body.columns.${c}`, message: `names ${name} again` }), -1;
    named.add(name);
    return j;
  });
  const missing = schema.filter((f) => !named.has(f.name)).map((f) => f.name);
  if (missing.length > 0) problems.push({ field: 'body.columns', message: `lacks ${missing.join(', ')} (every feature needs a column; send null for a missing value)` });
  if (problems.length > 0) throw invalidFields(problems);

  const width = schema.length;
  const types = target.map((j) => schema[j]!.type);
  const matrix = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const base = i * width;
    for (let c = 0; c < row.length; c++) {
      const v = row[c] ?? null;
      const problem = valueProblem(v, types[c]!);
      if (problem) problems.push({ field: `body.rows.${i}.${c}`, message: problem });
      else matrix[base + target[c]!] = matrixValue(v);
    }
  }
  if (problems.length > 0) throw invalidFields(problems);
  return matrix;
}

/** Rows under column names as instance objects (what a subject's logged inputs are sealed as). */
export function instancesOf(columns: string[], rows: (number | boolean | null)[][]): Instance[] {
  return rows.map((row) => Object.fromEntries(columns.map((name, c) => [name, row[c] ?? null])));
}

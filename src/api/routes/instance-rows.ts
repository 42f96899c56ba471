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
      if (v === null || v === undefined) return null;
      if (feature.type === 'boolean') return typeof v === 'boolean' ? (v ? 1 : 0) : (problems.push({ field: at, message: 'must be a boolean' }), null);
      if (typeof v !== 'number' || !Number.isFinite(v)) return problems.push({ field: at, message: 'must be a finite number' }), null;
      if (feature.type === 'integer' && !Number.isInteger(v)) return problems.push({ field: at, message: 'must be an integer' }), null;
      return v;
    });
  });
  if (problems.length > 0) throw invalidFields(problems);
  return rows;
}

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
  const names = schema.map((f) => f.name);
  const types = schema.map((f) => (f.type === 'boolean' ? 2 : f.type === 'integer' ? 1 : 0));
  const matrix = new Float64Array(instances.length * width);
  for (let i = 0; i < instances.length; i++) {
    const instance = instances[i]!;
    // As many own keys as features, and every feature present: no key is foreign.
    if (Object.keys(instance).length !== width) return rowMatrix(instanceRows(instances, schema, field), width);
    for (let j = 0; j < width; j++) {
      // An absent feature reads undefined, or an inherited member (`toString`): neither passes below.
      const v: unknown = instance[names[j]!];
      let x: number;
      if (v === null) x = NaN;
      else if (types[j] === 2) {
        if (typeof v !== 'boolean') return rowMatrix(instanceRows(instances, schema, field), width);
        x = v ? 1 : 0;
      } else {
        if (typeof v !== 'number' || !Number.isFinite(v) || (types[j] === 1 && !Number.isInteger(v))) return rowMatrix(instanceRows(instances, schema, field), width);
        x = v;
      }
      matrix[i * width + j] = x;
    }
  }
  return matrix;
}

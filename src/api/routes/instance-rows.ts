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

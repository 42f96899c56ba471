/**
 * The column-oriented inputs of the fairness engine and their validation. A protected attribute
 * is a categorical column: `codes[i]` indexes `labels` for row i.
 */
export type ProtectedAttribute = { name: string; codes: Int32Array; labels: readonly string[] };

export type ClassificationInput = {
  /** Observed outcome, 0 or 1. */
  yTrue: Uint8Array;
  /** Model decision, 0 or 1. */
  yPred: Uint8Array;
  /** Model score for the positive class, in [0, 1]; enables calibration (ECE). */
  yScore?: Float64Array;
  /** Non-negative sample weights; rates become weighted rates. */
  sampleWeight?: Float64Array;
  attributes: readonly ProtectedAttribute[];
};

export type RegressionInput = {
  yTrue: Float64Array;
  yPred: Float64Array;
  sampleWeight?: Float64Array;
  attributes: readonly ProtectedAttribute[];
};

/** Thrown with every reason found, so a caller can report them all at once. */
export class FairnessInputError extends Error {
  readonly code = 'FAIRNESS_INPUT_INVALID';
  constructor(readonly reasons: string[]) {
    super(`invalid fairness input: ${reasons.join('; ')}`);
    this.name = 'FairnessInputError';
  }
}

export function validateAttributes(attributes: readonly ProtectedAttribute[], rows: number, reasons: string[]): void {
  if (attributes.length === 0) reasons.push('at least one protected attribute is required');
  const names = new Set<string>();
  for (const attribute of attributes) {
    if (names.has(attribute.name)) reasons.push(`attribute ${attribute.name} is given twice`);
    names.add(attribute.name);
    if (attribute.codes.length !== rows) reasons.push(`attribute ${attribute.name} has ${attribute.codes.length} codes for ${rows} rows`);
    if (attribute.labels.length === 0) reasons.push(`attribute ${attribute.name} has no labels`);
    if (new Set(attribute.labels).size !== attribute.labels.length) reasons.push(`attribute ${attribute.name} has duplicate labels`);
    const levels = attribute.labels.length;
    const codes = attribute.codes;
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c < 0 || c >= levels) {
        reasons.push(`attribute ${attribute.name} row ${i} has code ${c}, outside 0..${levels - 1}`);
        break;
      }
    }
  }
}

function validateWeights(weights: Float64Array | undefined, rows: number, reasons: string[]): void {
  if (weights === undefined) return;
  if (weights.length !== rows) reasons.push(`sampleWeight has ${weights.length} entries for ${rows} rows`);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) {
      reasons.push(`sampleWeight row ${i} is ${w}; weights must be finite and non-negative`);
      break;
    }
  }
}

export function validateClassificationInput(input: ClassificationInput): void {
  const reasons: string[] = [];
  const rows = input.yTrue.length;
  if (rows === 0) reasons.push('no rows');
  if (input.yPred.length !== rows) reasons.push(`yPred has ${input.yPred.length} entries for ${rows} rows`);
  for (const [name, column] of [['yTrue', input.yTrue], ['yPred', input.yPred]] as const) {
    for (let i = 0; i < column.length; i++) {
      if (column[i]! > 1) {
        reasons.push(`${name} row ${i} is ${column[i]}; labels must be 0 or 1`);
        break;
      }
    }
  }
  if (input.yScore !== undefined) {
    const s = input.yScore;
    if (s.length !== rows) reasons.push(`yScore has ${s.length} entries for ${rows} rows`);
    for (let i = 0; i < s.length; i++) {
      if (!(s[i]! >= 0 && s[i]! <= 1)) {
        reasons.push(`yScore row ${i} is ${s[i]}; scores must lie in [0, 1]`);
        break;
      }
    }
  }
  validateWeights(input.sampleWeight, rows, reasons);
  validateAttributes(input.attributes, rows, reasons);
  if (reasons.length > 0) throw new FairnessInputError(reasons);
}

export function validateRegressionInput(input: RegressionInput): void {
  const reasons: string[] = [];
  const rows = input.yTrue.length;
  if (rows === 0) reasons.push('no rows');
  if (input.yPred.length !== rows) reasons.push(`yPred has ${input.yPred.length} entries for ${rows} rows`);
  for (const [name, column] of [['yTrue', input.yTrue], ['yPred', input.yPred]] as const) {
    for (let i = 0; i < column.length; i++) {
      if (!Number.isFinite(column[i]!)) {
        reasons.push(`${name} row ${i} is ${column[i]}; values must be finite`);
        break;
      }
    }
  }
  validateWeights(input.sampleWeight, rows, reasons);
  validateAttributes(input.attributes, rows, reasons);
  if (reasons.length > 0) throw new FairnessInputError(reasons);
}

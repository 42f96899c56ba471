import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';
import { applyThresholds, type ThresholdArtifact } from '../../../src/analytics/fairness/threshold-optimizer.js';
import { ScoringInputError } from '../../../src/analytics/scoring/linear-model.js';
import { ModelArtifactError, type ScoringModel } from '../../../src/analytics/scoring/scoring-model.js';
import { parseThresholdWrapper, rowSeed, thresholdWrapperModel, type ThresholdWrapper } from '../../../src/analytics/scoring/threshold-wrapper-model.js';

// A stand-in binary classifier over two features whose positive-class probability is the first
// feature itself (clamped to [0, 1]), so the scores are chosen by hand.
function fakeModel(): ScoringModel & { closed: boolean; calls: number[][] } {
  const model = {
    task: 'binary' as const,
    featureNames: ['score', 'noise'],
    classes: ['deny', 'grant'],
    closed: false,
    calls: [] as number[][],
    async score(features: Float64Array, nRows: number) {
      model.calls.push(Array.from(features));
      const probabilities = new Float64Array(nRows * 2);
      const predictions = new Float64Array(nRows);
      for (let i = 0; i < nRows; i++) {
        const p = Math.min(1, Math.max(0, features[i * 2]!));
        probabilities[i * 2] = 1 - p;
        probabilities[i * 2 + 1] = p;
        predictions[i] = p > 0.5 ? 1 : 0;
      }
      return { predictions, probabilities };
    },
    async close() {
      model.closed = true;
    },
  };
  return model;
}

const rule = (code: number, group: string, r: Partial<ThresholdArtifact['groups'][number]>): ThresholdArtifact['groups'][number] => ({
  code,
  group,
  thresholdHigh: 0.5,
  thresholdLow: 0.5,
  probabilityLow: 0,
  probabilityConstant: 0,
  constantRate: 0,
  expected: { selectionRate: 0.5, truePositiveRate: null, falsePositiveRate: null },
  ...r,
});

const artifactOf = (groups: ThresholdArtifact['groups']): ThresholdArtifact => ({
  kind: 'raia.fairness.threshold-optimizer',
  version: 1,
  constraint: 'demographic_parity',
  tolerance: 0.01,
  attribute: 'sex',
  labels: ['F', 'M', 'X'],
  decision: 'predict 1 when score >= threshold',
  groups,
});

const wrapperOf = (groups: ThresholdArtifact['groups'], seed = 42): ThresholdWrapper => ({
  format: 'raia-threshold-wrapper/v1',
  wraps: { modelId: '0193f0c2-0000-7000-8000-000000000001', version: 1 },
  attribute: { name: 'sex', labels: ['F', 'M', 'X'] },
  artifact: artifactOf(groups),
  seed,
});

// Deterministic rules: F decides score >= 0.3, M score >= 0.7; X has no rule.
const deterministic = wrapperOf([rule(0, 'F', { thresholdHigh: 0.3, thresholdLow: 0.3 }), rule(1, 'M', { thresholdHigh: 0.7, thresholdLow: 0.7 })]);
// Randomised rules: F mixes 0.2 and 0.6 half the time each; M ignores the score a third of the time.
const randomised = wrapperOf([
  rule(0, 'F', { thresholdHigh: 0.6, thresholdLow: 0.2, probabilityLow: 0.5 }),
  rule(1, 'M', { thresholdHigh: 0.5, thresholdLow: 0.5, probabilityConstant: 1 / 3, constantRate: 0.25 }),
]);

const matrix = (rows: number[][]) => Float64Array.from(rows.flat());

describe('raia-threshold-wrapper/v1 scoring model', () => {
  it('adds the attribute as the last feature, keeps the classes and probabilities, and decides by group threshold', async () => {
    const inner = fakeModel();
    const model = thresholdWrapperModel(parseThresholdWrapper(JSON.parse(JSON.stringify(deterministic))), inner);
    expect(model.task).toBe('binary');
    expect(model.featureNames).toEqual(['score', 'noise', 'sex']);
    expect(model.classes).toEqual(['deny', 'grant']);
    const rows = [
      [0.29, 9, 0],
      [0.3, 9, 0],
      [0.69, 9, 1],
      [0.7, 9, 1],
      [0.9, 9, 0],
      [0.1, 9, 1],
    ];
    const out = await model.score(matrix(rows), rows.length);
    expect(Array.from(out.predictions)).toEqual([0, 1, 0, 1, 1, 0]);
    // The wrapped model saw its own two features only, and its probabilities come through as they are.
    expect(inner.calls).toEqual([rows.flatMap((r) => r.slice(0, 2))]);
    expect(Array.from(out.probabilities!)).toEqual(rows.flatMap((r) => [1 - r[0]!, r[0]!]));
    await model.close();
    expect(inner.closed).toBe(true);
  });

  it('randomises per row from a hash of the row and the seed: the same input always gets the same decision', async () => {
    const model = thresholdWrapperModel(randomised, fakeModel());
    const rows: number[][] = [];
    for (let i = 0; i < 2000; i++) rows.push([(i % 100) / 100, i, i % 2]);
    const out = await model.score(matrix(rows), rows.length);
    // Each decision is applyThresholds on that row alone with the row's own generator.
    const expected = rows.map((r) => applyThresholds(randomised.artifact, Float64Array.of(r[0]!), Int32Array.of(r[2]!), createRandom(rowSeed(r, randomised.seed)))[0]);
    expect(Array.from(out.predictions)).toEqual(expected);
    // Same rows in another order and batch: same decisions.
    const reversed = [...rows].reverse();
    const again = await model.score(matrix(reversed), reversed.length);
    expect(Array.from(again.predictions).reverse()).toEqual(expected);
    const single = await model.score(matrix([rows[17]!]), 1);
    expect(single.predictions[0]).toBe(expected[17]);
    // The randomisation does what the rules say on average: F selects P(score >= 0.2)/2 + P(score >= 0.6)/2 = (0.8 + 0.4)/2.
    const rate = (g: number) => {
      const idx = rows.flatMap((r, i) => (r[2] === g ? [i] : []));
      return idx.reduce((s, i) => s + out.predictions[i]!, 0) / idx.length;
    };
    expect(rate(0)).toBeCloseTo(0.6, 1);
    // M: 2/3 · P(score >= 0.5) + 1/3 · 0.25 = 2/3 · 0.5 + 1/12.
    expect(rate(1)).toBeCloseTo(2 / 3 / 2 + 1 / 12, 1);
    // Another seed draws differently.
    const other = await thresholdWrapperModel({ ...randomised, seed: 43 }, fakeModel()).score(matrix(rows), rows.length);
    expect(Array.from(other.predictions)).not.toEqual(expected);
  });

  it('hashes rows stably: -0 is 0, every NaN is one NaN, and any change of value or seed changes the seed', () => {
    expect(rowSeed([0.5, -0, 1], 7)).toBe(rowSeed([0.5, 0, 1], 7));
    expect(rowSeed([NaN, 2], 7)).toBe(rowSeed([Number('x'), 2], 7));
    expect(rowSeed([0.5, 0, 1], 7)).not.toBe(rowSeed([0.5, 0, 1], 8));
    expect(rowSeed([0.5, 0, 1], 7)).not.toBe(rowSeed([0.5, 1e-300, 1], 7));
    expect(rowSeed([1, 0], 7)).not.toBe(rowSeed([0, 1], 7));
    const s = rowSeed([0.25, 3], 0xffffffff);
    expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
  });

  it('refuses a group code that is missing, fractional, out of range or without a rule, naming the row and the column', async () => {
    const model = thresholdWrapperModel(deterministic, fakeModel());
    for (const code of [NaN, 0.5, -1, 3, 2]) {
      const error = await model.score(matrix([[0.5, 0, 0], [0.5, 0, code]]), 2).catch((e: unknown) => e);
      expect(error, String(code)).toBeInstanceOf(ScoringInputError);
      expect(error).toMatchObject({ row: 1, feature: 'sex' });
    }
    await expect(model.score(new Float64Array(5), 2)).rejects.toBeInstanceOf(ScoringInputError);
  });

  it('refuses a wrapped model that is not binary or already has the attribute as a feature', () => {
    const regression = { ...fakeModel(), task: 'regression' as const, classes: null };
    expect(() => thresholdWrapperModel(deterministic, regression)).toThrow(ModelArtifactError);
    const clash = { ...fakeModel(), featureNames: ['score', 'sex'] };
    expect(() => thresholdWrapperModel(deterministic, clash)).toThrow(/already has a feature named "sex"/);
  });

  it('validates the document, naming the field', () => {
    const base = JSON.parse(JSON.stringify(deterministic)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const cases: [unknown, string, string][] = [
      [[], '$', 'must be a JSON object'],
      [{ ...base, format: 'raia-linear/v1' }, 'format', 'must be "raia-threshold-wrapper/v1"'],
      [{ ...base, wraps: { modelId: 'm' } }, 'wraps.version', 'must be a positive integer'],
      [{ ...base, wraps: { version: 1 } }, 'wraps.modelId', 'must be a model id'],
      [{ ...base, attribute: { name: 'sex', labels: [] } }, 'attribute.labels', 'must be a non-empty array of strings'],
      [{ ...base, attribute: { name: 'sex', labels: ['F', 'F', 'X'] } }, 'attribute.labels', 'must be unique'],
      [{ ...base, seed: -1 }, 'seed', 'must be an unsigned 32-bit integer'],
      [{ ...base, seed: 2 ** 32 }, 'seed', 'must be an unsigned 32-bit integer'],
      [{ ...base, artifact: { ...base.artifact, kind: 'other' } }, 'artifact.kind', 'must be "raia.fairness.threshold-optimizer" version 1'],
      [{ ...base, artifact: { ...base.artifact, attribute: 'race' } }, 'artifact.attribute', 'must equal attribute.name ("sex")'],
      [{ ...base, artifact: { ...base.artifact, labels: ['F', 'M'] } }, 'artifact.labels', 'must equal attribute.labels'],
      [{ ...base, artifact: { ...base.artifact, groups: [] } }, 'artifact.groups', 'must be a non-empty array of group rules'],
      [{ ...base, artifact: { ...base.artifact, groups: [{ ...base.artifact.groups[0], code: 5 }] } }, 'artifact.groups[0].code', 'must be an index into attribute.labels (0..2)'],
      [{ ...base, artifact: { ...base.artifact, groups: [base.artifact.groups[0], base.artifact.groups[0]] } }, 'artifact.groups[1].code', 'repeats another group\'s code'],
      [{ ...base, artifact: { ...base.artifact, groups: [{ ...base.artifact.groups[0], group: 'M' }] } }, 'artifact.groups[0].group', 'must be the label of code 0'],
      [{ ...base, artifact: { ...base.artifact, groups: [{ ...base.artifact.groups[0], thresholdLow: null }] } }, 'artifact.groups[0].thresholdLow', 'must be a finite number'],
      [{ ...base, artifact: { ...base.artifact, groups: [{ ...base.artifact.groups[0], probabilityLow: 1.5 }] } }, 'artifact.groups[0].probabilityLow', 'must be a number in [0, 1]'],
    ];
    for (const [doc, field, message] of cases) {
      const error = (() => {
        try {
          parseThresholdWrapper(doc);
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(error, field).toBeInstanceOf(ModelArtifactError);
      expect((error as ModelArtifactError).field, field).toBe(field);
      expect((error as ModelArtifactError).message, field).toBe(`${field}: ${message}`);
    }
    expect(parseThresholdWrapper(base)).toEqual(deterministic);
  });

  it('refuses every other malformed field, naming it and saying what it must be', () => {
    const base = JSON.parse(JSON.stringify(deterministic)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const group0 = base.artifact.groups[0];
    const withArtifact = (artifact: Record<string, unknown>) => ({ ...base, artifact: { ...base.artifact, ...artifact } });
    const withGroup = (group: Record<string, unknown>) => withArtifact({ groups: [{ ...group0, ...group }] });
    const cases: [unknown, string, string][] = [
      [null, '$', 'must be a JSON object'],
      ['text', '$', 'must be a JSON object'],
      [{ ...base, wraps: null }, 'wraps', 'must be an object { modelId, version }'],
      [{ ...base, wraps: ['m', 1] }, 'wraps', 'must be an object { modelId, version }'],
      [{ ...base, wraps: { modelId: '', version: 1 } }, 'wraps.modelId', 'must be a model id'],
      [{ ...base, wraps: { modelId: 'm', version: 0 } }, 'wraps.version', 'must be a positive integer'],
      [{ ...base, wraps: { modelId: 'm', version: 1.5 } }, 'wraps.version', 'must be a positive integer'],
      [{ ...base, attribute: 'sex' }, 'attribute', 'must be an object { name, labels }'],
      [{ ...base, attribute: { name: '', labels: ['F'] } }, 'attribute.name', 'must be a non-empty string'],
      [{ ...base, attribute: { name: 3, labels: ['F'] } }, 'attribute.name', 'must be a non-empty string'],
      [{ ...base, attribute: { name: 'sex', labels: 'F' } }, 'attribute.labels', 'must be a non-empty array of strings'],
      [{ ...base, attribute: { name: 'sex', labels: ['F', 2, 'X'] } }, 'attribute.labels', 'must be a non-empty array of strings'],
      [{ ...base, seed: 1.5 }, 'seed', 'must be an unsigned 32-bit integer'],
      [{ ...base, seed: '1' }, 'seed', 'must be an unsigned 32-bit integer'],
      [{ ...base, artifact: null }, 'artifact', 'must be a threshold optimiser artifact'],
      [{ ...base, artifact: [] }, 'artifact', 'must be a threshold optimiser artifact'],
      [withArtifact({ version: 2 }), 'artifact.kind', 'must be "raia.fairness.threshold-optimizer" version 1'],
      [withArtifact({ decision: 'predict 1 when score > threshold' }), 'artifact.decision', 'must be "predict 1 when score >= threshold"'],
      [withArtifact({ constraint: 'equal_opportunity' }), 'artifact.constraint', 'must be "demographic_parity" or "equalized_odds"'],
      [withArtifact({ tolerance: '0.01' }), 'artifact.tolerance', 'must be a number'],
      [withArtifact({ tolerance: Infinity }), 'artifact.tolerance', 'must be a number'],
      [withArtifact({ labels: 'F,M,X' }), 'artifact.labels', 'must equal attribute.labels'],
      [withArtifact({ labels: ['F', 'X', 'M'] }), 'artifact.labels', 'must equal attribute.labels'],
      [withArtifact({ groups: 'all' }), 'artifact.groups', 'must be a non-empty array of group rules'],
      [withArtifact({ groups: [null] }), 'artifact.groups[0]', 'must be an object'],
      [withGroup({ code: 3 }), 'artifact.groups[0].code', 'must be an index into attribute.labels (0..2)'],
      [withGroup({ code: -1 }), 'artifact.groups[0].code', 'must be an index into attribute.labels (0..2)'],
      [withGroup({ code: 0.5 }), 'artifact.groups[0].code', 'must be an index into attribute.labels (0..2)'],
      [withGroup({ thresholdHigh: 'high' }), 'artifact.groups[0].thresholdHigh', 'must be a finite number'],
      [withGroup({ probabilityConstant: -0.1 }), 'artifact.groups[0].probabilityConstant', 'must be a number in [0, 1]'],
      [withGroup({ constantRate: NaN }), 'artifact.groups[0].constantRate', 'must be a number in [0, 1]'],
      [withGroup({ probabilityLow: '0.5' }), 'artifact.groups[0].probabilityLow', 'must be a number in [0, 1]'],
      [withGroup({ expected: null }), 'artifact.groups[0].expected', 'must be an object'],
      [withGroup({ expected: [] }), 'artifact.groups[0].expected', 'must be an object'],
    ];
    for (const [doc, field, message] of cases) {
      let error: unknown = null;
      try {
        parseThresholdWrapper(doc);
      } catch (e) {
        error = e;
      }
      expect(error, `${field} ${message}`).toBeInstanceOf(ModelArtifactError);
      expect((error as ModelArtifactError).field, message).toBe(field);
      expect((error as ModelArtifactError).message, field).toBe(`${field}: ${message}`);
    }
  });

  it('accepts the edges of every range: seed 0 and 2^32 − 1, probabilities 0 and 1, the last label code, equalized odds', () => {
    const base = JSON.parse(JSON.stringify(deterministic)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const seed of [0, 0xffffffff]) expect(parseThresholdWrapper({ ...base, seed }).seed).toBe(seed);
    const edges = {
      ...base,
      artifact: {
        ...base.artifact,
        constraint: 'equalized_odds',
        groups: [{ ...base.artifact.groups[0], code: 2, group: 'X', probabilityLow: 1, probabilityConstant: 0, constantRate: 1 }],
      },
    };
    expect(parseThresholdWrapper(edges).artifact.groups[0]).toMatchObject({ code: 2, probabilityLow: 1, constantRate: 1 });
  });

  it('seeds each row by FNV-1a over the seed and the values (little-endian) finished with fmix32', () => {
    // The documented definition, written out with plain byte arrays and BigInt arithmetic.
    const reference = (row: number[], seed: number) => {
      const bytes: number[] = [];
      const seedBytes = Buffer.alloc(4);
      seedBytes.writeUInt32LE(seed >>> 0);
      bytes.push(...seedBytes);
      for (const v of row) {
        const value = Buffer.alloc(8);
        value.writeDoubleLE(Number.isNaN(v) ? NaN : Object.is(v, -0) ? 0 : v);
        bytes.push(...value);
      }
      const mask = 0xffffffffn;
      let h = 0x811c9dc5n;
      for (const b of bytes) h = ((h ^ BigInt(b)) * 0x01000193n) & mask;
      h ^= h >> 16n;
      h = (h * 0x85ebca6bn) & mask;
      h ^= h >> 13n;
      h = (h * 0xc2b2ae35n) & mask;
      h ^= h >> 16n;
      return Number(h);
    };
    for (const [row, seed] of [
      [[], 0],
      [[0.25, 3, 1], 42],
      [[1e300, -7.5, NaN, -0], 0xffffffff],
      [[123456.789], 7],
    ] as [number[], number][]) {
      expect(rowSeed(row, seed), JSON.stringify(row)).toBe(reference(row, seed));
    }
  });

  it('refuses a wrong-sized feature matrix with the sizes in the message', async () => {
    const model = thresholdWrapperModel(deterministic, fakeModel());
    await expect(model.score(new Float64Array(5), 2)).rejects.toMatchObject({
      row: null,
      feature: null,
      message: 'expected 2 rows of 3 features (6 values), got 5',
    });
    const error = await model.score(matrix([[0.5, 0, 2]]), 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ row: 0, feature: 'sex', message: 'must be the index of a group with a threshold rule in ["F", "M", "X"], got 2' });
  });

  it('refuses group codes outside the labels even when an unvalidated wrapper has rules for them', async () => {
    // thresholdWrapperModel takes the wrapper as typed: its own checks must not rely on the parser's.
    const loose = wrapperOf([rule(0, 'F', {}), rule(-1, '?', {}), rule(3, '?', {}), rule(0.5, '?', {})]);
    const model = thresholdWrapperModel(loose, fakeModel());
    for (const code of [-1, 3, 0.5]) {
      const error = await model.score(matrix([[0.9, 0, code]]), 1).catch((e: unknown) => e);
      expect(error, String(code)).toBeInstanceOf(ScoringInputError);
    }
    await expect(model.score(matrix([[0.9, 0, 0]]), 1)).resolves.toMatchObject({ predictions: Float64Array.of(1) });
  });

  it('scores a batch when the first label has no rule (only the rows given are decided)', async () => {
    // Only M (code 1) has a rule: a decision for any row beyond the batch would find group 0 ruleless.
    const onlyM = wrapperOf([rule(1, 'M', { thresholdHigh: 0.7, thresholdLow: 0.7 })]);
    const out = await thresholdWrapperModel(onlyM, fakeModel()).score(matrix([[0.69, 0, 1], [0.7, 0, 1]]), 2);
    expect(Array.from(out.predictions)).toEqual([0, 1]);
  });

  it('refuses a wrapped model without two classes', () => {
    const noClasses = { ...fakeModel(), classes: null };
    const threeClasses = { ...fakeModel(), classes: ['a', 'b', 'c'] };
    const multiclass = { ...fakeModel(), task: 'multiclass' as const };
    for (const wrapped of [noClasses, threeClasses, multiclass]) {
      let error: unknown = null;
      try {
        thresholdWrapperModel(deterministic, wrapped);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ field: 'wraps', message: 'wraps: the wrapped version must be a binary classifier' });
    }
    expect(() => thresholdWrapperModel(deterministic, { ...fakeModel(), featureNames: ['score', 'sex'] })).toThrow(
      new ModelArtifactError('attribute.name', 'the wrapped version already has a feature named "sex"'),
    );
  });
});

import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { ModelArtifactError, ScoringModel } from '../../src/analytics/scoring/scoring-model.js';
import { loadOnnxModel, OnnxArtifactError, readClassLabels, type OnnxModelDeclaration, type OnnxScoringModel } from '../../src/platform/onnx-model.js';
import {
  buildOnnxGraph,
  buildOnnxLinearRegressor,
  buildOnnxLogisticRegression,
  buildOnnxTreeEnsemble,
  featureInput,
  floatTensor,
  writeLargeOnnxModel,
  writeOnnxModel,
  type TreeEnsembleDescription,
} from '../support/onnx-model-builder.js';

let dir: string;
let counter = 0;
const opened: OnnxScoringModel[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raia-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
});

async function modelFile(bytes: Uint8Array): Promise<string> {
  const path = join(dir, `model-${counter++}.onnx`);
  await writeOnnxModel(path, bytes);
  return path;
}

async function load(bytes: Uint8Array, declared: OnnxModelDeclaration, options?: Parameters<typeof loadOnnxModel>[2]): Promise<OnnxScoringModel> {
  const model = await loadOnnxModel(await modelFile(bytes), declared, options);
  opened.push(model);
  return model;
}

async function loadError(bytes: Uint8Array, declared: OnnxModelDeclaration): Promise<OnnxArtifactError> {
  const error = await load(bytes, declared).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OnnxArtifactError);
  return error as OnnxArtifactError;
}

/** Park–Miller minimal standard generator, so data are reproducible without our own code. */
function uniformRows(nRows: number, nFeatures: number, seed = 42): Float64Array {
  let state = seed;
  const out = new Float64Array(nRows * nFeatures);
  for (let i = 0; i < out.length; i++) {
    state = (state * 48271) % 2147483647;
    out[i] = (state / 2147483647) * 4 - 2;
  }
  return out;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const dot = (w: number[], x: Float64Array, row: number) => w.reduce((s, wj, j) => s + wj * x[row * w.length + j]!, 0);

it('restates the scoring contract structurally', () => {
  expectTypeOf<OnnxScoringModel>().toExtend<ScoringModel>();
  expectTypeOf<OnnxArtifactError>().toExtend<ModelArtifactError>();
});

describe('logistic regression in plain ONNX ops', () => {
  const weights = [0.8, -1.5, 0.3];
  const bias = 0.2;
  const declared: OnnxModelDeclaration = { task: 'binary', featureNames: ['income', 'debt', 'age'] };

  it('returns sigmoid(w·x + b) as P(class 1) and the argmax class', async () => {
    const model = await load(buildOnnxLogisticRegression({ weights, bias }), declared);
    const x = uniformRows(50, 3);
    const out = await model.score(x, 50);
    expect(model.classes).toEqual(['0', '1']);
    for (let i = 0; i < 50; i++) {
      const p = sigmoid(dot(weights, x, i) + bias);
      expect(out.probabilities![i * 2 + 1]).toBeCloseTo(p, 6);
      expect(out.probabilities![i * 2]).toBeCloseTo(1 - p, 6);
      expect(out.predictions[i]).toBe(p > 0.5 ? 1 : 0);
    }
  });

  it('names classes as declared', async () => {
    const model = await load(buildOnnxLogisticRegression({ weights, bias }), { ...declared, classes: ['deny', 'approve'] });
    expect(model.classes).toEqual(['deny', 'approve']);
    expect(model.task).toBe('binary');
    expect(model.featureNames).toEqual(['income', 'debt', 'age']);
  });
});

describe('linear regressor', () => {
  const weights = [2.5, -0.75, 1.25, 0.1];
  const bias = -3;
  const declared: OnnxModelDeclaration = { task: 'regression', featureNames: ['a', 'b', 'c', 'd'] };

  it.each([
    ['[N, 1]', false],
    ['[N]', true],
  ])('returns w·x + b for output shape %s', async (_shape, flat) => {
    const model = await load(buildOnnxLinearRegressor({ weights, bias }, { flat }), declared);
    const x = uniformRows(40, 4, 7);
    const out = await model.score(x, 40);
    expect(out.probabilities).toBeNull();
    expect(model.classes).toBeNull();
    for (let i = 0; i < 40; i++) expect(Math.abs(out.predictions[i]! - (dot(weights, x, i) + bias))).toBeLessThan(1e-5);
  });
});

describe('tree ensembles (ai.onnx.ml, BRANCH_LEQ)', () => {
  // tree 0: x0 <= 0.5 ? 1.0 : (x1 <= -1 ? -2 : 0.5), NaN at the x1 split goes left;
  // tree 1: x1 <= 0 ? 0.3 : -0.7, NaN goes right.
  const description: TreeEnsembleDescription = {
    baseValue: 0.25,
    trees: [
      { nodes: [{ feature: 0, threshold: 0.5, left: 1, right: 2 }, { leaf: 1 }, { feature: 1, threshold: -1, left: 3, right: 4, missingGoesLeft: true }, { leaf: -2 }, { leaf: 0.5 }] },
      { nodes: [{ feature: 1, threshold: 0, left: 1, right: 2 }, { leaf: 0.3 }, { leaf: -0.7 }] },
    ],
  };
  const rows = new Float64Array([0.5, 0, 0.6, -1, 0.6, 3, 0.1, 5, 0.7, NaN]);
  // By hand: 1 + 0.3 + 0.25 (both splits at equality go left), -2 + 0.3 + 0.25 (x1 == -1 goes left),
  // 0.5 - 0.7 + 0.25, 1 - 0.7 + 0.25, -2 - 0.7 + 0.25 (NaN: left in tree 0, right in tree 1).
  const sums = [1.55, -1.45, 0.05, 0.55, -2.45];
  const declared = { featureNames: ['x0', 'x1'] };

  it('TreeEnsembleRegressor sums the leaves plus the base value', async () => {
    const model = await load(buildOnnxTreeEnsemble(description, { task: 'regression' }), { task: 'regression', ...declared });
    const out = await model.score(rows, 5);
    sums.forEach((s, i) => expect(out.predictions[i]).toBeCloseTo(s, 6));
  });

  it('binary TreeEnsembleClassifier with LOGISTIC gives [1 - p, p], p = sigmoid(sum)', async () => {
    const model = await load(buildOnnxTreeEnsemble(description, { task: 'binary' }), { task: 'binary', ...declared });
    const out = await model.score(rows, 5);
    expect(model.classes).toEqual(['0', '1']);
    sums.forEach((s, i) => {
      expect(out.probabilities![i * 2 + 1]).toBeCloseTo(sigmoid(s), 6);
      expect(out.probabilities![i * 2]).toBeCloseTo(1 - sigmoid(s), 6);
      expect(out.predictions[i]).toBe(s > 0 ? 1 : 0);
    });
  });

  it('reads string class labels from the classifier node when none are declared', async () => {
    const bytes = buildOnnxTreeEnsemble(description, { task: 'binary', classLabels: ['rejected', 'accepted'] });
    expect(await readClassLabels(await modelFile(bytes))).toEqual([['rejected', 'accepted']]);
    const model = await load(bytes, { task: 'binary', ...declared });
    expect(model.classes).toEqual(['rejected', 'accepted']);
    expect(Array.from((await model.score(rows, 5)).predictions)).toEqual([1, 0, 1, 1, 0]);
  });

  it('reads negative int64 class labels', async () => {
    const path = await modelFile(buildOnnxTreeEnsemble(description, { task: 'binary', classLabels: [-1, 1] }));
    expect(await readClassLabels(path)).toEqual([['-1', '1']]);
    const model = await loadOnnxModel(path, { task: 'binary', ...declared });
    opened.push(model);
    expect(model.classes).toEqual(['-1', '1']);
  });
});

describe('refused artifacts', () => {
  it('refuses bytes that are not ONNX as field artifact', async () => {
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    const error = await loadError(bytes, { task: 'regression', featureNames: ['a'] });
    expect(error.field).toBe('artifact');
  });

  it('refuses a missing file as field artifact', async () => {
    const error = await loadOnnxModel(join(dir, 'absent.onnx'), { task: 'regression', featureNames: ['a'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OnnxArtifactError);
    expect((error as OnnxArtifactError).field).toBe('artifact');
  });

  it('refuses a feature count that differs from the input width as field inputSchema', async () => {
    const error = await loadError(buildOnnxLinearRegressor({ weights: [1, 2, 3], bias: 0 }), { task: 'regression', featureNames: ['a', 'b'] });
    expect(error.field).toBe('inputSchema');
    expect(error.message).toContain('3 features');
  });

  it('refuses a non-float input', async () => {
    const bytes = buildOnnxGraph({
      nodes: [
        { opType: 'Cast', input: ['X'], output: ['xf'], attribute: [{ name: 'to', type: 2, i: 1 }] },
        { opType: 'MatMul', input: ['xf', 'W'], output: ['variable'] },
      ],
      initializers: [floatTensor('W', [2, 1], [1, 1])],
      inputs: [featureInput(2, 7)],
      outputs: [{ name: 'variable', elemType: 1, shape: ['N', 1] }],
    });
    const error = await loadError(bytes, { task: 'regression', featureNames: ['a', 'b'] });
    expect(error.field).toBe('inputSchema');
    expect(error.message).toContain('int64');
  });

  it('refuses a classifier declaration for a model with only a regression output', async () => {
    const error = await loadError(buildOnnxLinearRegressor({ weights: [1, 2], bias: 0 }), { task: 'binary', featureNames: ['a', 'b'] });
    expect(error.field).toBe('outputSchema');
    expect(error.message).toMatch(/regression output/);
  });

  it('refuses a regression declaration for a two-column classifier', async () => {
    const error = await loadError(buildOnnxLogisticRegression({ weights: [1, 2], bias: 0 }), { task: 'regression', featureNames: ['a', 'b'] });
    expect(error.field).toBe('outputSchema');
  });

  it('refuses ZipMap probabilities and says to export with zipmap=False', async () => {
    const tree = { baseValue: 0, trees: [{ nodes: [{ feature: 0, threshold: 0, left: 1, right: 2 }, { leaf: -1 }, { leaf: 1 }] }] };
    const error = await loadError(buildOnnxTreeEnsemble(tree, { task: 'binary', zipMap: true }), { task: 'binary', featureNames: ['a'] });
    expect(error.field).toBe('outputSchema');
    expect(error.message).toContain("'zipmap': False");
  });

  it('refuses declared classes that do not match the probability columns', async () => {
    const error = await loadError(buildOnnxLogisticRegression({ weights: [1], bias: 0 }), { task: 'binary', featureNames: ['a'], classes: ['a', 'b', 'c'] });
    expect(error.field).toBe('classes');
  });
});

describe('batch scoring', () => {
  const weights = [0.5, -1, 2];
  const bias = 0.1;

  it('scores 100,000 rows in one call', async () => {
    const nRows = 100_000;
    const x = uniformRows(nRows, 3, 11);
    const model = await load(buildOnnxLogisticRegression({ weights, bias }), { task: 'binary', featureNames: ['a', 'b', 'c'] });
    const out = await model.score(x, nRows);
    expect(out.predictions).toHaveLength(nRows);
    expect(out.probabilities).toHaveLength(2 * nRows);
    for (const i of [0, 1, 16_383, 16_384, 65_536, 99_999]) expect(out.probabilities![i * 2 + 1]).toBeCloseTo(sigmoid(dot(weights, x, i) + bias), 6);
  });

  it('gives the same results when a batch is split across runs', async () => {
    const x = uniformRows(2_500, 3, 5);
    const bytes = buildOnnxLinearRegressor({ weights, bias });
    const whole = await load(bytes, { task: 'regression', featureNames: ['a', 'b', 'c'] });
    const split = await load(bytes, { task: 'regression', featureNames: ['a', 'b', 'c'] }, { maxRowsPerRun: 1_000 });
    expect(Array.from((await split.score(x, 2_500)).predictions)).toEqual(Array.from((await whole.score(x, 2_500)).predictions));
  });

  it('answers concurrent calls each with its own rows', async () => {
    const model = await load(buildOnnxLinearRegressor({ weights, bias }), { task: 'regression', featureNames: ['a', 'b', 'c'] });
    const batches = [1, 2, 3, 4].map((seed) => uniformRows(1_000 * seed, 3, seed));
    const outs = await Promise.all(batches.map((x) => model.score(x, x.length / 3)));
    outs.forEach((out, b) => {
      const x = batches[b]!;
      expect(out.predictions).toHaveLength(x.length / 3);
      for (const i of [0, x.length / 3 - 1]) expect(Math.abs(out.predictions[i]! - (dot(weights, x, i) + bias))).toBeLessThan(1e-5);
    });
  });

  it('refuses a features array of the wrong length', async () => {
    const model = await load(buildOnnxLinearRegressor({ weights, bias }), { task: 'regression', featureNames: ['a', 'b', 'c'] });
    await expect(model.score(new Float64Array(7), 2)).rejects.toThrow(RangeError);
    expect((await model.score(new Float64Array(0), 0)).predictions).toHaveLength(0);
  });

  it('close releases the session and later calls are refused', async () => {
    const model = await loadOnnxModel(await modelFile(buildOnnxLinearRegressor({ weights, bias })), { task: 'regression', featureNames: ['a', 'b', 'c'] });
    const pending = model.score(uniformRows(10, 3), 10);
    await model.close();
    expect((await pending).predictions).toHaveLength(10);
    await expect(model.score(uniformRows(10, 3), 10)).rejects.toThrow(/closed/);
    await model.close();
  });
});

describe('large artifacts', () => {
  it('loads a model padded with an unused initializer, from its path', async () => {
    const path = join(dir, 'large.onnx');
    const written = await writeLargeOnnxModel(path, { weights: [1, -1], bias: 0.5 }, 8);
    expect((await stat(path)).size).toBe(written);
    expect(written).toBeGreaterThan(8 * 1024 * 1024);
    const model = await loadOnnxModel(path, { task: 'regression', featureNames: ['a', 'b'] });
    opened.push(model);
    expect(Array.from((await model.score(new Float64Array([3, 1, 0, 2]), 2)).predictions)).toEqual([2.5, -1.5]);
  });

  it('reads no class labels from a truncated file rather than failing', async () => {
    const path = join(dir, 'truncated.onnx');
    await writeFile(path, buildOnnxTreeEnsemble({ baseValue: 0, trees: [{ nodes: [{ leaf: 1 }] }] }, { task: 'binary', nFeatures: 1 }).subarray(0, 40));
    expect(await readClassLabels(path)).toEqual([]);
  });
});

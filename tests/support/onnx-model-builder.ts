import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';

/**
 * Writes small, valid ONNX models (ModelProto bytes, IR version 8, opsets: default domain 15 and
 * ai.onnx.ml 3) in the shapes sklearn-onnx and onnxmltools produce, so the ONNX adapter can be
 * tested against hand-computed outputs without Python. Operator semantics follow the ONNX
 * operator specs (docs/Operators.md and docs/Operators-ml.md in onnx/onnx).
 */
const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const STRING = onnx.TensorProto.DataType.STRING;
const ATTR = onnx.AttributeProto.AttributeType;
const ML = 'ai.onnx.ml';

export type LinearModel = { weights: number[]; bias: number };

/** A split sends x <= threshold to `left` (ONNX BRANCH_LEQ, RAIA decision "<="); NaN follows `missingGoesLeft` (default right). */
export type TreeNodeDescription = { feature: number; threshold: number; left: number; right: number; missingGoesLeft?: boolean } | { leaf: number };
export type TreeEnsembleDescription = { trees: { nodes: TreeNodeDescription[] }[]; baseValue: number };

type ValueInfo = { name: string; elemType: number; shape: (number | string)[] | null };
type GraphParts = {
  nodes: proto.INodeProto[];
  initializers?: proto.ITensorProto[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
};

const valueInfo = ({ name, elemType, shape }: ValueInfo): proto.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType,
      ...(shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
    },
  },
});

export const floatTensor = (name: string, dims: number[], values: number[]): proto.ITensorProto => ({ name, dims, dataType: FLOAT, floatData: values });

type AttributeValue = number | string | number[] | string[] | { floats: number[] } | { ints: number[] };
/** Integers become INT/INTS, `{ floats }` FLOATS, a plain number with a fraction FLOAT. */
function attribute(name: string, value: AttributeValue): proto.IAttributeProto {
  const bytes = (s: string) => new TextEncoder().encode(s);
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: bytes(value) };
  if (typeof value === 'number') return Number.isInteger(value) ? { name, type: ATTR.INT, i: value } : { name, type: ATTR.FLOAT, f: value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { name, type: ATTR.STRINGS, strings: (value as string[]).map(bytes) };
    return { name, type: ATTR.INTS, ints: value as number[] };
  }
  if ('floats' in value) return { name, type: ATTR.FLOATS, floats: value.floats };
  return { name, type: ATTR.INTS, ints: value.ints };
}

const node = (opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}, domain = ''): proto.INodeProto => ({
  opType,
  domain,
  input: inputs,
  output: outputs,
  name: `${opType}_${outputs[0]}`,
  attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
});

function modelProto(graph: proto.IGraphProto | null): proto.IModelProto {
  return {
    irVersion: 8,
    producerName: 'raia-tests',
    opsetImport: [
      { domain: '', version: 15 },
      { domain: ML, version: 3 },
    ],
    ...(graph ? { graph } : {}),
  };
}

function graphProto(parts: GraphParts): proto.IGraphProto {
  return {
    name: 'raia_test_graph',
    node: parts.nodes,
    initializer: parts.initializers ?? [],
    input: parts.inputs.map(valueInfo),
    output: parts.outputs.map(valueInfo),
  };
}

/** Any graph: for shapes the named builders do not cover (wrong input types, ZipMap outputs...). */
export function buildOnnxGraph(parts: GraphParts): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(modelProto(graphProto(parts)))).finish();
}

export const featureInput = (nFeatures: number | string, elemType = FLOAT): ValueInfo => ({ name: 'X', elemType, shape: ['N', nFeatures] });

/** sklearn LinearRegression shape: variable = X·W + b, [N, 1] (or [N] with `flat`). */
export function buildOnnxLinearRegressor(model: LinearModel, options: { flat?: boolean } = {}): Uint8Array {
  return buildOnnxGraph(linearRegressorParts(model, options));
}

function linearRegressorParts({ weights, bias }: LinearModel, { flat = false }: { flat?: boolean }): GraphParts {
  const f = weights.length;
  const nodes = [node('MatMul', ['X', 'W'], ['xw']), node('Add', ['xw', 'b'], [flat ? 'variable_2d' : 'variable'])];
  const initializers = [floatTensor('W', [f, 1], weights), floatTensor('b', [1], [bias])];
  if (flat) {
    nodes.push(node('Squeeze', ['variable_2d', 'axis1'], ['variable']));
    initializers.push({ name: 'axis1', dims: [1], dataType: INT64, int64Data: [1] });
  }
  return {
    nodes,
    initializers,
    inputs: [featureInput(f)],
    outputs: [{ name: 'variable', elemType: FLOAT, shape: flat ? ['N'] : ['N', 1] }],
  };
}

/**
 * Logistic regression in plain ONNX ops: p1 = sigmoid(X·W + b), probabilities = [1 - p1, p1],
 * label = ArgMax(probabilities, axis 1) as int64.
 */
export function buildOnnxLogisticRegression({ weights, bias }: LinearModel): Uint8Array {
  const f = weights.length;
  return buildOnnxGraph({
    nodes: [
      node('MatMul', ['X', 'W'], ['xw']),
      node('Add', ['xw', 'b'], ['z']),
      node('Sigmoid', ['z'], ['p1']),
      node('Sub', ['one', 'p1'], ['p0']),
      node('Concat', ['p0', 'p1'], ['probabilities'], { axis: 1 }),
      node('ArgMax', ['probabilities'], ['label'], { axis: 1, keepdims: 0 }),
    ],
    initializers: [floatTensor('W', [f, 1], weights), floatTensor('b', [1], [bias]), floatTensor('one', [1], [1])],
    inputs: [featureInput(f)],
    outputs: [
      { name: 'label', elemType: INT64, shape: ['N'] },
      { name: 'probabilities', elemType: FLOAT, shape: ['N', 2] },
    ],
  });
}

/** The number of features a tree description reads: one past the highest feature index. */
export function treeFeatureCount(description: TreeEnsembleDescription): number {
  let max = -1;
  for (const tree of description.trees) for (const n of tree.nodes) if (!('leaf' in n)) max = Math.max(max, n.feature);
  return max + 1;
}

type TreeEnsembleOptions = {
  task: 'regression' | 'binary';
  nFeatures?: number;
  /** Binary only: class labels, strings (classlabels_strings) or integers (classlabels_int64s); default int64 0, 1. */
  classLabels?: [string, string] | [number, number];
  /** Binary only: append a ZipMap so probabilities are a sequence of maps, as sklearn-onnx does by default. */
  zipMap?: boolean;
};

/**
 * ai.onnx.ml TreeEnsembleRegressor (aggregate SUM, base_values [baseValue], output `variable` [N, 1]) or
 * TreeEnsembleClassifier (binary, post_transform LOGISTIC; leaf weights on class id 0 only and
 * base_values [baseValue], the sklearn-onnx convention for a binary gradient-boosted model, which
 * onnxruntime outputs as probabilities [1 - p, p] with p = sigmoid(sum + baseValue)).
 */
export function buildOnnxTreeEnsemble(description: TreeEnsembleDescription, options: TreeEnsembleOptions): Uint8Array {
  const nFeatures = options.nFeatures ?? treeFeatureCount(description);
  const split = { treeIds: [] as number[], nodeIds: [] as number[], featureIds: [] as number[], values: [] as number[], modes: [] as string[], trueIds: [] as number[], falseIds: [] as number[], missingTrue: [] as number[] };
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] };
  description.trees.forEach((tree, t) => {
    tree.nodes.forEach((n, id) => {
      split.treeIds.push(t);
      split.nodeIds.push(id);
      if ('leaf' in n) {
        split.featureIds.push(0);
        split.values.push(0);
        split.modes.push('LEAF');
        split.trueIds.push(0);
        split.falseIds.push(0);
        split.missingTrue.push(0);
        leaves.treeIds.push(t);
        leaves.nodeIds.push(id);
        leaves.weights.push(n.leaf);
      } else {
        split.featureIds.push(n.feature);
        split.values.push(n.threshold);
        split.modes.push('BRANCH_LEQ');
        split.trueIds.push(n.left);
        split.falseIds.push(n.right);
        split.missingTrue.push(n.missingGoesLeft ? 1 : 0);
      }
    });
  });
  const nodeAttributes: Record<string, AttributeValue> = {
    nodes_treeids: { ints: split.treeIds },
    nodes_nodeids: { ints: split.nodeIds },
    nodes_featureids: { ints: split.featureIds },
    nodes_values: { floats: split.values },
    nodes_modes: split.modes,
    nodes_truenodeids: { ints: split.trueIds },
    nodes_falsenodeids: { ints: split.falseIds },
    nodes_missing_value_tracks_true: { ints: split.missingTrue },
    base_values: { floats: [description.baseValue] },
  };
  const zeros = leaves.weights.map(() => 0);

  if (options.task === 'regression') {
    return buildOnnxGraph({
      nodes: [
        node(
          'TreeEnsembleRegressor',
          ['X'],
          ['variable'],
          { ...nodeAttributes, n_targets: 1, aggregate_function: 'SUM', post_transform: 'NONE', target_treeids: { ints: leaves.treeIds }, target_nodeids: { ints: leaves.nodeIds }, target_ids: { ints: zeros }, target_weights: { floats: leaves.weights } },
          ML,
        ),
      ],
      inputs: [featureInput(nFeatures)],
      outputs: [{ name: 'variable', elemType: FLOAT, shape: ['N', 1] }],
    });
  }

  const classLabels = options.classLabels ?? [0, 1];
  const stringLabels = typeof classLabels[0] === 'string';
  const labels: Record<string, AttributeValue> = stringLabels ? { classlabels_strings: classLabels as string[] } : { classlabels_int64s: { ints: classLabels as number[] } };
  const labelType = stringLabels ? STRING : INT64;
  const classifier = node(
    'TreeEnsembleClassifier',
    ['X'],
    ['label', options.zipMap ? 'probability_tensor' : 'probabilities'],
    { ...nodeAttributes, ...labels, post_transform: 'LOGISTIC', class_treeids: { ints: leaves.treeIds }, class_nodeids: { ints: leaves.nodeIds }, class_ids: { ints: zeros }, class_weights: { floats: leaves.weights } },
    ML,
  );
  if (!options.zipMap) {
    return buildOnnxGraph({
      nodes: [classifier],
      inputs: [featureInput(nFeatures)],
      outputs: [
        { name: 'label', elemType: labelType, shape: ['N'] },
        { name: 'probabilities', elemType: FLOAT, shape: ['N', 2] },
      ],
    });
  }
  // sklearn-onnx's default: probabilities as seq(map(label, float)).
  const zipMap = node('ZipMap', ['probability_tensor'], ['output_probability'], labels, ML);
  const graph = graphProto({ nodes: [classifier, zipMap], inputs: [featureInput(nFeatures)], outputs: [{ name: 'label', elemType: labelType, shape: ['N'] }] });
  const probabilityOutput: proto.IValueInfoProto = {
    name: 'output_probability',
    type: { sequenceType: { elemType: { mapType: { keyType: labelType, valueType: { tensorType: { elemType: FLOAT } } } } } },
  };
  const model = onnx.ModelProto.create(modelProto({ ...graph, output: [...(graph.output ?? []), probabilityOutput] }));
  return onnx.ModelProto.encode(model).finish();
}

export async function writeOnnxModel(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(path, bytes);
}

/**
 * A linear regressor (as buildOnnxLinearRegressor) padded with an unused float initializer of
 * `paddingMb` MiB of zeros, streamed to disk in 1 MiB chunks so the writer never holds the
 * padding in memory. The graph is encoded by hand around the padding: ModelProto field 7 (graph)
 * = the small graph's bytes followed by one more GraphProto field 5 (initializer) whose
 * TensorProto ends in field 9 (raw_data); protobuf allows fields in any order.
 */
export async function writeLargeOnnxModel(path: string, model: LinearModel, paddingMb: number): Promise<number> {
  const paddingBytes = Math.floor(paddingMb * 1024 * 1024 / 4) * 4;
  const head = onnx.ModelProto.encode(onnx.ModelProto.create(modelProto(null))).finish();
  const graph = onnx.GraphProto.encode(onnx.GraphProto.create(graphProto(linearRegressorParts(model, {})))).finish();
  const tensorHead = onnx.TensorProto.encode(onnx.TensorProto.create({ name: 'padding', dims: [paddingBytes / 4], dataType: FLOAT })).finish();
  const rawDataHead = Uint8Array.from([(9 << 3) | 2, ...varint(paddingBytes)]);
  const tensorLength = tensorHead.length + rawDataHead.length + paddingBytes;
  const initializerHead = Uint8Array.from([(5 << 3) | 2, ...varint(tensorLength)]);
  const graphLength = graph.length + initializerHead.length + tensorLength;
  const graphHead = Uint8Array.from([(7 << 3) | 2, ...varint(graphLength)]);

  const out = createWriteStream(path);
  const write = async (chunk: Uint8Array) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  for (const part of [head, graphHead, graph, initializerHead, tensorHead, rawDataHead]) await write(part);
  const chunk = new Uint8Array(1024 * 1024);
  for (let left = paddingBytes; left > 0; left -= chunk.length) await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  out.end();
  await once(out, 'finish');
  return head.length + graphHead.length + graphLength;
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}

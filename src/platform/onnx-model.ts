import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';

/**
 * Scores ONNX model artifacts with onnxruntime (CPU) behind the scoring contract of
 * src/analytics/scoring/scoring-model.ts. platform may not import analytics, so the contract's
 * types are restated here structurally (OnnxScoringModel is assignable to ScoringModel).
 *
 * Supported shapes are those sklearn-onnx and onnxmltools produce: one float tensor input
 * [N, F]; a regressor's float output `variable` [N, 1] or [N]; a classifier's `label` (int64 or
 * string) plus float `probabilities` [N, C] ([N, 1] read as P(class 1) for a binary model).
 * ZipMap outputs (sequence of maps, sklearn-onnx's default) cannot be read by onnxruntime-node
 * ("Non tensor type is temporarily not supported"): such models are refused at load and must be
 * exported with `options={id(model): {'zipmap': False}}`.
 *
 * onnxruntime-node runs `loadModel` and `run` synchronously on the JS thread (behind a
 * setImmediate), so a run blocks the event loop for its duration: large batches are split into
 * runs of at most `maxRowsPerRun` rows, and runs of one model are queued one after another.
 */
export type OnnxModelTask = 'regression' | 'binary' | 'multiclass';

export type OnnxModelDeclaration = {
  task: OnnxModelTask;
  featureNames: string[];
  /** Class labels in probability-column order (binary: negative class first). */
  classes?: string[];
};

export type OnnxScoringOutput = {
  /** Regression: the value. Classification: the index in `classes` of the most probable class. */
  predictions: Float64Array;
  /** Classification: nRows x classes.length, row-major. Regression: null. */
  probabilities: Float64Array | null;
};

export interface OnnxScoringModel {
  readonly task: OnnxModelTask;
  readonly featureNames: readonly string[];
  readonly classes: readonly string[] | null;
  score(features: Float64Array, nRows: number): Promise<OnnxScoringOutput>;
  close(): Promise<void>;
}

/** An artifact that cannot be a model of the declared shape; `field` names where (same shape as ModelArtifactError). */
export class OnnxArtifactError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'OnnxArtifactError';
  }
}

export type OnnxLoadOptions = {
  /** onnxruntime intra-op threads; the production hosts have 2 cores. */
  intraOpThreads?: 1 | 2;
  /** Rows per session.run; bounds how long one run holds the event loop. */
  maxRowsPerRun?: number;
};

type TensorMeta = { name: string; type: Tensor.Type; shape: ReadonlyArray<number | string> };
type OutputPlan =
  | { kind: 'regression'; output: string }
  | { kind: 'classification'; output: string; columns: number | null };

const FLOAT_TYPES: readonly Tensor.Type[] = ['float32', 'float64'];
const LABEL_TYPES: readonly Tensor.Type[] = ['int64', 'int32', 'string'];
const PROBABILITY_NAMES = ['probabilities', 'output_probability', 'probability', 'probs'];
const ZIPMAP_ADVICE = "probabilities are a sequence of maps (sklearn-onnx ZipMap), which onnxruntime-node cannot return; re-export with options={id(model): {'zipmap': False}}";

export async function loadOnnxModel(path: string, declared: OnnxModelDeclaration, options: OnnxLoadOptions = {}): Promise<OnnxScoringModel> {
  const featureNames = [...declared.featureNames];
  if (featureNames.length === 0) throw new OnnxArtifactError('featureNames', 'must name at least one feature');
  const size = await stat(path).then(
    (s) => (s.isFile() ? s.size : -1),
    () => -1,
  );
  if (size <= 0) throw new OnnxArtifactError('artifact', 'no model file there, or it is empty');

  let session: InferenceSession;
  try {
    // From the path, not a buffer: onnxruntime reads the file natively, artifacts may be hundreds of MB.
    session = await InferenceSession.create(path, {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (error) {
    throw new OnnxArtifactError('artifact', `not a loadable ONNX model: ${(error as Error).message}`);
  }

  try {
    const input = checkInput(session, featureNames.length);
    const plan = planOutputs(session, declared.task);
    const classes = declared.task === 'regression' ? null : await resolveClasses(path, declared, plan);
    return scoringModel(session, { task: declared.task, featureNames, classes, input, plan, maxRowsPerRun: options.maxRowsPerRun ?? 16_384 });
  } catch (error) {
    await session.release();
    throw error;
  }
}

function checkInput(session: InferenceSession, nFeatures: number): TensorMeta {
  const inputs = session.inputMetadata;
  if (inputs.length === 0) throw new OnnxArtifactError('inputSchema', 'the model has no inputs');
  if (inputs.length > 1) {
    throw new OnnxArtifactError('inputSchema', `expected one float tensor input [N, ${nFeatures}], found ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); export with a single FloatTensorType([None, ${nFeatures}])`);
  }
  const input = inputs[0]!;
  if (!input.isTensor || !FLOAT_TYPES.includes(input.type)) {
    throw new OnnxArtifactError('inputSchema', `input "${input.name}" must be a float tensor, found ${input.isTensor ? input.type : 'a non-tensor value'}`);
  }
  const shape = input.shape;
  if (shape.length !== 0 && shape.length !== 2) throw new OnnxArtifactError('inputSchema', `input "${input.name}" must have shape [N, ${nFeatures}], found [${shape.join(', ')}]`);
  const width = shape[1];
  if (typeof width === 'number' && width !== nFeatures) {
    throw new OnnxArtifactError('inputSchema', `input "${input.name}" takes ${width} features but ${nFeatures} feature names were declared`);
  }
  const batch = shape[0];
  if (typeof batch === 'number') throw new OnnxArtifactError('inputSchema', `input "${input.name}" has a fixed batch size ${batch}; export it with a dynamic first dimension`);
  return { name: input.name, type: input.type, shape };
}

function planOutputs(session: InferenceSession, task: OnnxModelTask): OutputPlan {
  const outputs = session.outputMetadata;
  const describe = () => outputs.map((o) => (o.isTensor ? `${o.name} ${o.type} [${o.shape.join(', ')}]` : `${o.name} (non-tensor)`)).join('; ');
  const floats = outputs.filter((o): o is InferenceSession.TensorValueMetadata => o.isTensor && FLOAT_TYPES.includes(o.type));
  const nonTensors = outputs.filter((o) => !o.isTensor);
  const hasLabel = outputs.some((o) => o.isTensor && LABEL_TYPES.includes(o.type));
  const lastDim = (o: InferenceSession.TensorValueMetadata) => (o.shape.length === 2 ? o.shape[1] : o.shape.length === 1 ? 1 : undefined);

  if (task === 'regression') {
    const output = floats.find((o) => o.name === 'variable') ?? (floats.length === 1 ? floats[0] : undefined);
    if (!output) throw new OnnxArtifactError('outputSchema', `a regressor needs one float output [N] or [N, 1] (named "variable" when there are several); outputs: ${describe()}`);
    const width = lastDim(output);
    if (output.shape.length > 2 || (typeof width === 'number' && width !== 1)) {
      throw new OnnxArtifactError('outputSchema', `regression output "${output.name}" must be [N] or [N, 1], found [${output.shape.join(', ')}]`);
    }
    return { kind: 'regression', output: output.name };
  }

  const named = outputs.find((o) => PROBABILITY_NAMES.includes(o.name));
  if (named && !named.isTensor) throw new OnnxArtifactError('outputSchema', `output "${named.name}": ${ZIPMAP_ADVICE}`);
  const candidates = floats.filter((o) => o.name !== 'variable');
  const output = named ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!output || !output.isTensor || !FLOAT_TYPES.includes(output.type)) {
    if (nonTensors.length > 0 && candidates.length === 0) throw new OnnxArtifactError('outputSchema', `output "${nonTensors[0]!.name}": ${ZIPMAP_ADVICE}`);
    if (candidates.length === 0 && floats.length > 0) {
      throw new OnnxArtifactError('outputSchema', `declared ${task} but the model has only a regression output and no probability output [N, C]; outputs: ${describe()}`);
    }
    throw new OnnxArtifactError('outputSchema', `a ${task} classifier needs a float probability output [N, C] (e.g. "probabilities"); outputs: ${describe()}`);
  }
  const width = lastDim(output);
  if (output.shape.length > 2) throw new OnnxArtifactError('outputSchema', `probability output "${output.name}" must be [N, C], found [${output.shape.join(', ')}]`);
  if (width === 1 && (task !== 'binary' || !hasLabel)) {
    // A lone single-column float output is what a regressor looks like; accept it as P(class 1) only beside a label output.
    throw new OnnxArtifactError('outputSchema', `declared ${task} but the model's only score is one column "${output.name}" [${output.shape.join(', ')}] without a label output, which is a regression output; outputs: ${describe()}`);
  }
  if (task === 'binary' && typeof width === 'number' && width > 2) throw new OnnxArtifactError('outputSchema', `declared binary but "${output.name}" has ${width} probability columns`);
  return { kind: 'classification', output: output.name, columns: typeof width === 'number' ? width : null };
}

async function resolveClasses(path: string, declared: OnnxModelDeclaration, plan: OutputPlan): Promise<string[]> {
  const columns = plan.kind === 'classification' ? plan.columns : null;
  const expected = declared.task === 'binary' ? 2 : columns === 1 ? null : columns;
  if (declared.classes) {
    const classes = [...declared.classes];
    if (declared.task === 'binary' && classes.length !== 2) throw new OnnxArtifactError('classes', `a binary model has 2 classes, ${classes.length} were declared`);
    if (declared.task === 'multiclass' && classes.length < 2) throw new OnnxArtifactError('classes', 'a multiclass model needs at least 2 classes');
    if (expected !== null && classes.length !== expected) throw new OnnxArtifactError('classes', `${classes.length} classes were declared but the model outputs ${expected} probabilities`);
    return classes;
  }
  const fromModel = await readClassLabels(path);
  const matching = fromModel.find((labels) => expected === null || labels.length === expected);
  if (matching) return matching;
  if (expected === null) throw new OnnxArtifactError('classes', 'the model does not state its class labels and its probability width is not fixed; declare the classes');
  return Array.from({ length: expected }, (_, i) => String(i));
}

type ModelParts = { task: OnnxModelTask; featureNames: string[]; classes: string[] | null; input: TensorMeta; plan: OutputPlan; maxRowsPerRun: number };

function scoringModel(session: InferenceSession, parts: ModelParts): OnnxScoringModel {
  const { task, featureNames, classes, input, plan, maxRowsPerRun } = parts;
  const nFeatures = featureNames.length;
  const k = classes?.length ?? 0;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  // Runs of one session are queued: run is synchronous in the binding anyway, and close must not release a session a queued run still needs.
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
  };

  async function runChunk(features: Float64Array, start: number, rows: number, predictions: Float64Array, probabilities: Float64Array | null): Promise<void> {
    const slice = features.subarray(start * nFeatures, (start + rows) * nFeatures);
    const dims = [rows, nFeatures];
    const tensor = input.type === 'float64' ? new Tensor('float64', new Float64Array(slice), dims) : new Tensor('float32', new Float32Array(slice), dims);
    const results = await session.run({ [input.name]: tensor }, [plan.output]);
    const out = results[plan.output]!;
    const values = out.data as Float32Array | Float64Array;
    if (plan.kind === 'regression') {
      if (values.length !== rows) throw new OnnxArtifactError('outputSchema', `"${plan.output}" returned ${values.length} values for ${rows} rows`);
      predictions.set(values, start);
      return;
    }
    const columns = values.length / rows;
    if (columns === 1 && task === 'binary') {
      for (let i = 0; i < rows; i++) {
        const p = values[i]!;
        probabilities![(start + i) * 2] = 1 - p;
        probabilities![(start + i) * 2 + 1] = p;
        predictions[start + i] = p > 1 - p ? 1 : 0;
      }
      return;
    }
    if (columns !== k) throw new OnnxArtifactError('outputSchema', `"${plan.output}" returned ${columns} probability columns for ${k} classes`);
    probabilities!.set(values, start * k);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (values[i * k + c]! > values[i * k + best]!) best = c;
      predictions[start + i] = best;
    }
  }

  return {
    task,
    featureNames,
    classes,
    score(features, nRows) {
      if (closed) return Promise.reject(new Error('the ONNX model is closed'));
      if (!Number.isInteger(nRows) || nRows < 0 || features.length !== nRows * nFeatures) {
        return Promise.reject(new RangeError(`expected ${nRows} rows x ${nFeatures} features = ${nRows * nFeatures} values, got ${features.length}`));
      }
      // Accepted calls run before a later close() releases the session: close is queued behind them.
      return enqueue(async () => {
        const predictions = new Float64Array(nRows);
        const probabilities = plan.kind === 'classification' ? new Float64Array(nRows * k) : null;
        for (let start = 0; start < nRows; start += maxRowsPerRun) await runChunk(features, start, Math.min(maxRowsPerRun, nRows - start), predictions, probabilities);
        return { predictions, probabilities };
      });
    },
    close() {
      if (closed) return queue.then(() => undefined);
      closed = true;
      return enqueue(() => session.release());
    },
  };
}

/**
 * Class labels stated by ai.onnx.ml classifier nodes (classlabels_strings / classlabels_int64s
 * of TreeEnsembleClassifier, LinearClassifier, SVMClassifier, ZipMap...), one list per node in
 * graph order. Walks the protobuf wire format (onnx.proto: ModelProto.graph = 7, GraphProto.node
 * = 1, NodeProto.attribute = 5 / domain = 7, AttributeProto.name = 1 / ints = 8 / strings = 9)
 * with positioned reads, skipping initializers and every other field unread, so a model of any
 * size costs only its node bytes. A malformed file yields no labels (onnxruntime already parsed it).
 */
export async function readClassLabels(path: string): Promise<string[][]> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const labels: string[][] = [];
    const graph = await findField(file, 0, size, 7);
    if (!graph) return labels;
    let position = graph.start;
    while (position < graph.end) {
      const field = await readFieldHeader(file, position, graph.end);
      if (!field) break;
      if (field.number === 1 && field.end - field.start <= MAX_NODE_BYTES) {
        const bytes = Buffer.alloc(field.end - field.start);
        await file.read(bytes, 0, bytes.length, field.start);
        const found = nodeClassLabels(bytes);
        if (found) labels.push(found);
      }
      position = field.end;
    }
    return labels;
  } catch {
    return [];
  } finally {
    await file.close();
  }
}

const MAX_NODE_BYTES = 64 * 1024 * 1024;
type FieldSpan = { number: number; wireType: number; start: number; end: number };

async function findField(file: FileHandle, from: number, to: number, number: number): Promise<FieldSpan | null> {
  let position = from;
  while (position < to) {
    const field = await readFieldHeader(file, position, to);
    if (!field) return null;
    if (field.number === number && field.wireType === 2) return field;
    position = field.end;
  }
  return null;
}

/** The field starting at `position`: its number, and the span of its payload (for wire type 2, the bytes after the length). */
async function readFieldHeader(file: FileHandle, position: number, limit: number): Promise<FieldSpan | null> {
  const head = Buffer.alloc(20);
  const { bytesRead } = await file.read(head, 0, 20, position);
  const reader = new WireReader(head.subarray(0, bytesRead));
  const tag = reader.varint();
  const wireType = Number(tag & 7n);
  const number = Number(tag >> 3n);
  let start: number;
  let end: number;
  if (wireType === 2) {
    const length = Number(reader.varint());
    start = position + reader.offset;
    end = start + length;
  } else {
    reader.skip(wireType);
    start = position;
    end = position + reader.offset;
  }
  return end <= limit && number > 0 ? { number, wireType, start, end } : null;
}

function nodeClassLabels(node: Buffer): string[] | null {
  const reader = new WireReader(node);
  let domain = '';
  let labels: string[] | null = null;
  while (!reader.done()) {
    const tag = reader.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number === 7 && wireType === 2) domain = reader.bytes().toString('utf8');
    else if (number === 5 && wireType === 2) labels = attributeClassLabels(reader.bytes()) ?? labels;
    else reader.skip(wireType);
  }
  return domain === 'ai.onnx.ml' ? labels : null;
}

function attributeClassLabels(attribute: Buffer): string[] | null {
  const reader = new WireReader(attribute);
  let name = '';
  const strings: string[] = [];
  const ints: bigint[] = [];
  while (!reader.done()) {
    const tag = reader.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number === 1 && wireType === 2) name = reader.bytes().toString('utf8');
    else if (number === 9 && wireType === 2) strings.push(reader.bytes().toString('utf8'));
    else if (number === 8 && wireType === 0) ints.push(BigInt.asIntN(64, reader.varint()));
    else if (number === 8 && wireType === 2) {
      const packed = new WireReader(reader.bytes());
      while (!packed.done()) ints.push(BigInt.asIntN(64, packed.varint()));
    } else reader.skip(wireType);
  }
  if (name === 'classlabels_strings') return strings;
  if (name === 'classlabels_int64s') return ints.map(String);
  return null;
}

/** Protocol-buffer wire format reader (https://protobuf.dev/programming-guides/encoding/). */
class WireReader {
  offset = 0;
  constructor(private readonly buffer: Buffer) {}

  done(): boolean {
    return this.offset >= this.buffer.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.buffer.length) throw new Error('truncated varint');
      const byte = this.buffer[this.offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    throw new Error('varint too long');
  }

  bytes(): Buffer {
    const length = Number(this.varint());
    if (this.offset + length > this.buffer.length) throw new Error('truncated field');
    const bytes = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.offset += 8;
    else if (wireType === 2) {
      const length = Number(this.varint());
      this.offset += length;
    }
    else if (wireType === 5) this.offset += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

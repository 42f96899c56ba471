import { readFile, stat } from 'node:fs/promises';
import { linearScoringModel, parseLinearModel } from '../analytics/scoring/linear-model.js';
import { ArtifactContentError, ModelArtifactError, type ScoringModel } from '../analytics/scoring/scoring-model.js';
import { parseThresholdWrapper, THRESHOLD_WRAPPER_FORMAT, thresholdWrapperModel } from '../analytics/scoring/threshold-wrapper-model.js';
import { treeEnsembleScoringModel, type TreeEnsembleScorer } from '../analytics/scoring/tree-ensemble-model.js';
import { sharedTreeScoringPool } from './tree-scoring-pool.js';
import { parseRaiaTreeEnsemble } from '../analytics/trees/raia-tree-format.js';
import { TreeModelFormatError } from '../analytics/trees/tree-model-format-error.js';
import { parseXGBoostJson } from '../analytics/trees/xgboost-json-format.js';
import type { BlobStorage } from '../platform/blob-storage.js';
import { OnnxArtifactError, loadOnnxModel } from '../platform/onnx-model.js';
import { remoteScoringModel } from '../platform/remote-model.js';

/** What a model version declares about itself (from `model.version-added`). */
export type VersionDeclaration = {
  task: 'regression' | 'binary' | 'multiclass';
  classes: string[] | null;
  artifact: { sha256: string; format: string } | null;
  endpoint: { url: string } | null;
  inputSchema: { name: string; type: string }[];
};

/**
 * What another version of a model declared (from the ledger: `versionDeclaration` in
 * explanation-service.ts), for formats that wrap a version; null when there is no such version.
 */
export type VersionResolver = (modelId: string, version: number) => Promise<VersionDeclaration | null>;

/** How deep wrappers may nest (a wrapper of a wrapper of …): a bound, not a need. */
const MAX_WRAPPING_DEPTH = 8;

// JSON model documents are parsed whole: a bound keeps a hostile upload from exhausting memory.
const MAX_JSON_ARTIFACT_BYTES = 512 * 1024 * 1024;

// ONNX loader fields that compare the graph with what the version declares; its other fields
// (`artifact`, `outputSchema`) are about the graph itself.
const ONNX_DECLARATION_FIELDS = new Set(['inputSchema', 'classes', 'featureNames']);

const asArtifactError = (error: unknown): unknown => {
  if (error instanceof TreeModelFormatError) return new ArtifactContentError(error.field, error.message.replace(`${error.field}: `, ''));
  if (error instanceof OnnxArtifactError) {
    const reason = error.message.replace(`${error.field}: `, '');
    if (ONNX_DECLARATION_FIELDS.has(error.field)) return new ModelArtifactError(error.field, reason);
    return new ArtifactContentError(error.field === 'outputSchema' ? 'graph.output' : '$', reason);
  }
  return error;
};

/** Runs a document parser: whatever it refuses is a path inside the artifact. */
function parsedArtifact<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ModelArtifactError && !(error instanceof ArtifactContentError)) throw new ArtifactContentError(error.field, error.message.replace(`${error.field}: `, ''));
    throw asArtifactError(error);
  }
}

async function readJsonArtifact(path: string): Promise<unknown> {
  const { size } = await stat(path);
  if (size > MAX_JSON_ARTIFACT_BYTES) throw new ArtifactContentError('$', `a JSON model may be at most ${MAX_JSON_ARTIFACT_BYTES} bytes`);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    throw new ArtifactContentError('$', 'is not valid JSON');
  }
}

/**
 * Turns a version's artifact into a scoring model, whatever its format, and checks that it agrees
 * with what the version declares (task, feature names and order). Throws ModelArtifactError
 * naming the field when it does not.
 */
export async function loadScoringModel(blobs: BlobStorage, declared: VersionDeclaration, resolveVersion?: VersionResolver, depth = 0): Promise<ScoringModel> {
  const featureNames = declared.inputSchema.map((f) => f.name);
  const model = await openModel(blobs, declared, featureNames, resolveVersion, depth).catch((error: unknown) => {
    throw asArtifactError(error);
  });
  const problems: ModelArtifactError[] = [];
  if (model.task !== declared.task) problems.push(new ModelArtifactError('task', `the artifact is a ${model.task} model, the version declares ${declared.task}`));
  if (model.featureNames.length !== featureNames.length) {
    problems.push(new ModelArtifactError('inputSchema', `the artifact takes ${model.featureNames.length} features, the input schema names ${featureNames.length}`));
  } else {
    const i = model.featureNames.findIndex((name, k) => name !== featureNames[k]);
    if (i >= 0) problems.push(new ModelArtifactError(`inputSchema.${i}.name`, `the artifact's feature ${i} is "${model.featureNames[i]}", the input schema says "${featureNames[i]}"`));
  }
  if (declared.classes && model.classes && declared.classes.length !== model.classes.length) {
    problems.push(new ModelArtifactError('classes', `the artifact has ${model.classes.length} classes, the version declares ${declared.classes.length}`));
  }
  if (problems.length > 0) {
    await model.close();
    throw problems[0]!;
  }
  return model;
}

/** Tree ensembles score large batches across the process's worker threads (small ones stay on this thread). */
const poolScorer: TreeEnsembleScorer = (model, X, nRows) => sharedTreeScoringPool().predict(model, X, nRows);

async function openModel(blobs: BlobStorage, declared: VersionDeclaration, featureNames: string[], resolveVersion: VersionResolver | undefined, depth: number): Promise<ScoringModel> {
  const classes = declared.classes ?? undefined;
  if (declared.endpoint) return remoteScoringModel({ url: declared.endpoint.url, task: declared.task, featureNames, ...(classes ? { classes } : {}) });
  if (!declared.artifact) throw new ModelArtifactError('artifact', 'the version has neither an artifact nor an endpoint');
  const path = await blobs.localPath(declared.artifact.sha256);
  switch (declared.artifact.format) {
    case 'onnx':
      // ONNX graphs name no features: the input schema supplies them, and the width is checked.
      return loadOnnxModel(path, { task: declared.task, featureNames, ...(classes ? { classes } : {}) });
    case 'raia-tree-ensemble/v1':
      return treeEnsembleScoringModel(await readJsonArtifact(path).then((json) => parsedArtifact(() => parseRaiaTreeEnsemble(json))), declared.classes, poolScorer);
    case 'xgboost-json': {
      const ensemble = await readJsonArtifact(path).then((json) => parsedArtifact(() => parseXGBoostJson(json)));
      // XGBoost files name features only when trained from a DataFrame: else the schema names them.
      if (ensemble.featureNames.length === featureNames.length && ensemble.featureNames.every((n, i) => n === `f${i}`)) ensemble.featureNames = featureNames;
      return treeEnsembleScoringModel(ensemble, declared.classes, poolScorer);
    }
    case 'raia-linear/v1':
      return linearScoringModel(await readJsonArtifact(path).then((json) => parsedArtifact(() => parseLinearModel(json))));
    case THRESHOLD_WRAPPER_FORMAT: {
      // The wrapped version is loaded through this same loader (its own checks included).
      const wrapper = await readJsonArtifact(path).then((json) => parsedArtifact(() => parseThresholdWrapper(json)));
      if (!resolveVersion) throw new ModelArtifactError('format', `a ${THRESHOLD_WRAPPER_FORMAT} version is registered by the threshold optimiser (POST /api/v1/bias/mitigation/:modelId with register: true)`);
      if (depth >= MAX_WRAPPING_DEPTH) throw new ArtifactContentError('wraps', `wrappers nest at most ${MAX_WRAPPING_DEPTH} deep`);
      const inner = await resolveVersion(wrapper.wraps.modelId, wrapper.wraps.version);
      if (!inner) throw new ArtifactContentError('wraps', `model ${wrapper.wraps.modelId} has no version ${wrapper.wraps.version}`);
      const wrapped = await loadScoringModel(blobs, inner, resolveVersion, depth + 1);
      try {
        return thresholdWrapperModel(wrapper, wrapped);
      } catch (error) {
        await wrapped.close();
        throw error;
      }
    }
    default:
      throw new ModelArtifactError('format', `unknown artifact format ${declared.artifact.format}`);
  }
}

/**
 * Loaded models by version, so a version is parsed (or its ONNX session created) once. Bounded:
 * the least recently used model is closed when more than `capacity` are open.
 */
export class ScoringModelCache {
  private readonly loaded = new Map<string, Promise<ScoringModel>>();

  constructor(
    private readonly blobs: BlobStorage,
    private readonly capacity = 16,
    /** Needed to load versions that wrap another (raia-threshold-wrapper/v1). */
    private readonly resolveVersion?: VersionResolver,
  ) {}

  get(modelId: string, version: number, declared: VersionDeclaration): Promise<ScoringModel> {
    const key = `${modelId}@${version}`;
    const cached = this.loaded.get(key);
    if (cached) {
      this.loaded.delete(key);
      this.loaded.set(key, cached);
      return cached;
    }
    const loading = loadScoringModel(this.blobs, declared, this.resolveVersion);
    loading.catch(() => this.loaded.delete(key));
    this.loaded.set(key, loading);
    while (this.loaded.size > this.capacity) {
      const [oldestKey, oldest] = this.loaded.entries().next().value as [string, Promise<ScoringModel>];
      this.loaded.delete(oldestKey);
      void oldest.then((m) => m.close()).catch(() => undefined);
    }
    return loading;
  }

  async close(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((p) => p.then((m) => m.close()).catch(() => undefined)));
  }
}

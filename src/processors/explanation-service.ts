import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FeatureMatrix } from '../analytics/explain/model-contract.js';
import { handleCommand } from '../commands/command-handler.js';
import { explanationRecordDecider, explanationStreamId } from '../commands/explanation/explanation-record.decider.js';
import { canonicalJson } from '../events/canonical-json.js';
import type { Actor, JsonObject, StoredEvent } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import type { EventStore } from '../events/event-store.js';
import { EXPLANATION_CODE_VERSION, ExplanationRequestError, computeExplanation, resolveMethod, type ExplanationMethod, type ExplanationParams } from './explanation-engine.js';
import type { ScoringModelCache, VersionDeclaration } from './model-scoring.js';

export type ExplanationDependencies = { store: EventStore; catalogue: EventCatalogue; scoringModels: ScoringModelCache };

/** Rows as the API takes them: values in the version's input-schema order, null for missing. */
export type Rows = (number | null)[][];

export type ExplainRequest = {
  modelId: string;
  version: number;
  method: ExplanationMethod | 'auto';
  rows: Rows;
  background: Rows | null;
  params: ExplanationParams;
  actor: Actor;
  /** Content hash of the dataset the rows came from, when they came from one. */
  datasetHash?: string;
  jobId?: string;
  onProgress?(done: number, total: number): void;
  causationId?: string;
  correlationId?: string;
};

export type RecordedExplanation = { event: StoredEvent; cached: boolean };

/** SHA-256 of the canonical JSON (RFC 8785) of a value: rows, backgrounds, requests. */
export const contentDigest = (value: unknown) => createHash('sha256').update(canonicalJson(value)!, 'utf8').digest('hex');

const matrix = (rows: Rows, nFeatures: number): FeatureMatrix => {
  const data = new Float64Array(rows.length * nFeatures);
  rows.forEach((row, i) => row.forEach((v, j) => (data[i * nFeatures + j] = v === null ? NaN : v)));
  return { data, nRows: rows.length, nFeatures };
};

/** What a version declared when it was added, read from the model's stream. */
export async function versionDeclaration(store: EventStore, modelId: string, version: number): Promise<VersionDeclaration | null> {
  const events = await store.readStream(`model-${modelId}`);
  const added = events.find((e) => e.type === 'model.version-added' && e.data.version === version);
  return added ? (added.data as unknown as VersionDeclaration) : null;
}

/**
 * The key of an explanation request: identical requests (same model version, method, rows,
 * background, parameters and engine version) get the same key, and so the same stored result.
 */
export function explanationRequestKey(request: Pick<ExplainRequest, 'modelId' | 'version' | 'method' | 'rows' | 'background' | 'params'>): string {
  const { modelId, version, method, rows, background, params } = request;
  return contentDigest({ modelId, version, method, rows, background, params, codeVersion: EXPLANATION_CODE_VERSION });
}

/** The explanation recorded for exactly this request, or null: reads only, never computes or records. */
export async function recordedExplanation(deps: Pick<ExplanationDependencies, 'store'>, request: Pick<ExplainRequest, 'modelId' | 'version' | 'method' | 'rows' | 'background' | 'params'>): Promise<StoredEvent | null> {
  const [stored] = await deps.store.readStream(explanationStreamId(explanationRequestKey(request)), { limit: 1 });
  return stored ?? null;
}

/**
 * Answers an explanation request: from the ledger when an identical one was computed before,
 * otherwise computes it and records `explanation.computed` (once, even under concurrency).
 */
export async function explain(deps: ExplanationDependencies, request: ExplainRequest): Promise<RecordedExplanation> {
  const requestKey = explanationRequestKey(request);
  const streamId = explanationStreamId(requestKey);
  const [stored] = await deps.store.readStream(streamId, { limit: 1 });
  if (stored) return { event: stored, cached: true };

  const declaration = await versionDeclaration(deps.store, request.modelId, request.version);
  if (!declaration) throw new ExplanationRequestError('version', `model ${request.modelId} has no version ${request.version}`);
  const width = declaration.inputSchema.length;
  const model = await deps.scoringModels.get(request.modelId, request.version, declaration);
  const started = performance.now();
  const computed = await computeExplanation(model, {
    method: resolveMethod(model, request.method),
    rows: matrix(request.rows, width),
    background: request.background ? matrix(request.background, width) : null,
    params: request.params,
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  const elapsedMs = performance.now() - started;
  const data = {
    requestKey,
    jobId: request.jobId ?? null,
    modelId: request.modelId,
    modelVersion: request.version,
    method: computed.method,
    params: { ...request.params, requested: request.method },
    rowsHash: contentDigest(request.rows),
    backgroundHash: request.background ? contentDigest(request.background) : null,
    datasetHash: request.datasetHash ?? null,
    codeVersion: EXPLANATION_CODE_VERSION,
    outputSpace: computed.outputSpace,
    featureNames: [...model.featureNames],
    result: computed.result,
    failedChecks: computed.failedChecks,
    elapsedMs,
  };
  await handleCommand(deps, explanationRecordDecider, streamId, { type: 'RecordExplanation', data: JSON.parse(JSON.stringify(data)) as JsonObject }, {
    actor: request.actor,
    ...(request.causationId ? { causationId: request.causationId } : {}),
    ...(request.correlationId ? { correlationId: request.correlationId } : {}),
  });
  const [recorded] = await deps.store.readStream(streamId, { limit: 1 });
  return { event: recorded!, cached: false };
}

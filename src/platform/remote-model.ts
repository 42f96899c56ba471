/**
 * A model that lives behind an HTTP endpoint, scored like any local model (structurally a
 * `ScoringModel`; platform may not import analytics, so the shapes are declared here).
 *
 * Protocol, one request per batch of at most `maxBatchRows` rows:
 *
 *   POST <url>
 *   content-type: application/json          (plus any configured `headers`, e.g. authorization)
 *   {"featureNames": ["age", "income"], "instances": [[42, 1200.5], [37, null]]}
 *
 * `instances` are rows in `featureNames` order; a missing value (NaN) is sent as null. Infinite
 * values cannot be sent (JSON has none) and are refused before any request.
 *
 * A 2xx answer is JSON:
 *
 *   {"predictions": [...], "probabilities": [[...], ...]}
 *
 * - `predictions`: one entry per instance, in order. Regression: finite numbers.
 *   Classification: a class label or a class index. A string must be one of `classes`; a number
 *   (or boolean) is taken as a label when its text is one of `classes` (servers usually answer
 *   with the labels the model was trained on, e.g. 0/1), otherwise as an index into `classes`.
 * - `probabilities`: optional, classification only (ignored for regression): one row per
 *   instance of `classes.length` numbers in [0, 1] summing to 1 (±1e-3, for float32 servers), in
 *   `classes` order. Either every batch sends them or none does; without them the scores carry
 *   no probabilities.
 *
 * Batches go out two at a time. Each attempt is bounded by `timeoutMs` (AbortSignal.timeout,
 * covering the whole response). A 502, a 503 or a connection reset is retried once after a short
 * pause; scoring has no side effects, so repeating a POST is safe. Any other failure (another
 * status, a timeout, a malformed answer) throws a `RemoteScoringError` naming the batch and,
 * when there was one, the HTTP status, and stops the batches not yet sent. Messages name the
 * endpoint by origin and path only, never its query string or headers, which may hold a key.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type RemoteModelTask = 'regression' | 'binary' | 'multiclass';

export type RemoteScoringOutput = {
  /** Regression: the value. Classification: the index of the predicted class in `classes`. */
  predictions: Float64Array;
  /** Classification with probabilities: rows × classes.length, row-major; otherwise null. */
  probabilities: Float64Array | null;
};

/** Structurally identical to analytics' `ScoringModel`. */
export interface RemoteScoringModel {
  readonly task: RemoteModelTask;
  readonly featureNames: readonly string[];
  readonly classes: readonly string[] | null;
  score(features: Float64Array, nRows: number): Promise<RemoteScoringOutput>;
  /** Aborts requests in flight; later calls to `score` fail. */
  close(): Promise<void>;
}

export type RemoteModelOptions = {
  url: string;
  task: RemoteModelTask;
  featureNames: readonly string[];
  /** Required for classification (binary: exactly two, the negative class first). */
  classes?: readonly string[] | null;
  headers?: Record<string, string>;
  /** Per attempt, default 30 000. */
  timeoutMs?: number;
  /** Default 1000. */
  maxBatchRows?: number;
};

export class RemoteScoringError extends Error {
  readonly code = 'REMOTE_SCORING_FAILED';
  constructor(
    message: string,
    /** The HTTP status the endpoint answered with, when the failure is one. */
    public readonly status: number | null = null,
    /** 0-based index of the failed batch (messages count from 1). */
    public readonly batch: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RemoteScoringError';
  }
}

export const REMOTE_SCORING_CONCURRENCY = 2;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BATCH_ROWS = 1000;
const RETRY_PAUSE_MS = 100;
const RETRY_STATUSES = new Set([502, 503]);
// undici reports a peer that closed the socket mid-exchange as UND_ERR_SOCKET rather than ECONNRESET.
const RETRY_ERROR_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET']);
const PROBABILITY_SUM_TOLERANCE = 1e-3;

type Batch = { index: number; count: number; start: number; rows: number };

export function remoteScoringModel(options: RemoteModelOptions): RemoteScoringModel {
  const { task } = options;
  const featureNames = [...options.featureNames];
  const classes = task === 'regression' ? null : [...(options.classes ?? [])];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBatchRows = options.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS;
  const endpoint = parseEndpoint(options.url);
  validateOptions(task, featureNames, classes, timeoutMs, maxBatchRows);
  const where = `${endpoint.origin}${endpoint.pathname}`;
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
  const p = featureNames.length;
  const k = classes?.length ?? 0;
  const classIndex = new Map((classes ?? []).map((label, c) => [label, c]));
  const lifetime = new AbortController();

  async function score(features: Float64Array, nRows: number): Promise<RemoteScoringOutput> {
    if (lifetime.signal.aborted) throw new RemoteScoringError(`remote model ${where} is closed`);
    if (!Number.isInteger(nRows) || nRows < 0) throw new RemoteScoringError(`nRows must be a non-negative integer, got ${nRows}`);
    if (features.length !== nRows * p) throw new RemoteScoringError(`${features.length} feature values for ${nRows} rows of ${p} features`);
    for (let i = 0; i < features.length; i++) {
      const v = features[i]!;
      if (v === Infinity || v === -Infinity) {
        throw new RemoteScoringError(`row ${Math.floor(i / p)}, feature "${featureNames[i % p]}" is ${v}; JSON carries only finite numbers and null (missing)`);
      }
    }

    const predictions = new Float64Array(nRows);
    const probabilities = task === 'regression' ? null : new Float64Array(nRows * k);
    const count = Math.ceil(nRows / maxBatchRows);
    const sentProbabilities: boolean[] = [];
    const stop = new AbortController();
    const signal = AbortSignal.any([lifetime.signal, stop.signal]);
    let next = 0;
    let failure: unknown = null;

    const worker = async () => {
      while (next < count && !signal.aborted) {
        const index = next++;
        const start = index * maxBatchRows;
        const batch = { index, count, start, rows: Math.min(maxBatchRows, nRows - start) };
        try {
          const answer = await post(batch, instancesOf(features, batch), signal);
          sentProbabilities[index] = readAnswer(answer, batch, predictions, probabilities);
        } catch (error) {
          failure ??= error;
          stop.abort();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(REMOTE_SCORING_CONCURRENCY, count) }, worker));
    if (lifetime.signal.aborted && !(failure instanceof RemoteScoringError)) {
      throw new RemoteScoringError(`remote model ${where} was closed while scoring`, null, null, { cause: failure });
    }
    if (failure !== null) throw failure;

    const withProbabilities = sentProbabilities.filter(Boolean).length;
    if (withProbabilities > 0 && withProbabilities < count) {
      throw new RemoteScoringError(`${where} sent probabilities for ${withProbabilities} of ${count} batches; it must send them for all or none`);
    }
    return { predictions, probabilities: withProbabilities > 0 ? probabilities : null };
  }

  function instancesOf(features: Float64Array, { start, rows }: Batch): (number | null)[][] {
    const instances = new Array<(number | null)[]>(rows);
    for (let r = 0; r < rows; r++) {
      const row = new Array<number | null>(p);
      const base = (start + r) * p;
      for (let j = 0; j < p; j++) {
        const v = features[base + j]!;
        row[j] = Number.isNaN(v) ? null : v;
      }
      instances[r] = row;
    }
    return instances;
  }

  /** The parsed JSON answer to one batch, after at most one retry. */
  async function post(batch: Batch, instances: (number | null)[][], signal: AbortSignal): Promise<unknown> {
    const body = JSON.stringify({ featureNames, instances });
    const label = describeBatch(batch);
    for (let attempt = 1; ; attempt++) {
      const canRetry = attempt === 1;
      const deadline = AbortSignal.timeout(timeoutMs);
      let status: number;
      let statusText: string;
      let text: string;
      try {
        const response = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.any([signal, deadline]) });
        status = response.status;
        statusText = response.statusText;
        text = await response.text();
      } catch (error) {
        if (signal.aborted) throw error; // another batch failed or the model was closed: that error is the one reported
        if (deadline.aborted) {
          throw new RemoteScoringError(`${where} did not answer ${label} within ${timeoutMs} ms`, null, batch.index, { cause: error });
        }
        if (canRetry && RETRY_ERROR_CODES.has(errorCode(error) ?? '')) {
          await sleep(RETRY_PAUSE_MS, undefined, { signal });
          continue;
        }
        const reason = `${errorCode(error) ?? (error as Error).message}${attempt > 1 ? ', after one retry' : ''}`;
        throw new RemoteScoringError(`could not reach ${where} for ${label}: ${reason}`, null, batch.index, { cause: error });
      }
      if (status < 200 || status > 299) {
        if (canRetry && RETRY_STATUSES.has(status)) {
          await sleep(RETRY_PAUSE_MS, undefined, { signal });
          continue;
        }
        const retried = attempt > 1 ? ' after one retry' : '';
        throw new RemoteScoringError(`${where} answered ${status} ${statusText} for ${label}${retried}: ${excerpt(text)}`, status, batch.index);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new RemoteScoringError(`${where} answered ${label} with a body that is not JSON: ${excerpt(text)}`, status, batch.index, { cause: error });
      }
    }
  }

  /** Copies one batch's answer into the outputs; returns whether it carried probabilities. */
  function readAnswer(answer: unknown, batch: Batch, predictions: Float64Array, probabilities: Float64Array | null): boolean {
    const malformed = (detail: string) => new RemoteScoringError(`${where} answered ${describeBatch(batch)} malformed: ${detail}`, null, batch.index);
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw malformed('the body is not a JSON object');
    const { predictions: predicted, probabilities: probable } = answer as Record<string, unknown>;
    if (!Array.isArray(predicted)) throw malformed('"predictions" is not an array');
    if (predicted.length !== batch.rows) throw malformed(`"predictions" has ${predicted.length} entries for ${batch.rows} instances`);

    for (let r = 0; r < batch.rows; r++) {
      const value: unknown = predicted[r];
      if (task === 'regression') {
        if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`predictions[${r}] is ${JSON.stringify(value)}, not a finite number`);
        predictions[batch.start + r] = value;
      } else {
        const c = classOf(value);
        if (c === null) throw malformed(`predictions[${r}] is ${JSON.stringify(value)}, neither one of the classes [${classes!.join(', ')}] nor an index below ${k}`);
        predictions[batch.start + r] = c;
      }
    }

    if (task === 'regression' || probable === undefined || probable === null) return false;
    if (!Array.isArray(probable) || probable.length !== batch.rows) throw malformed(`"probabilities" must be an array of ${batch.rows} rows`);
    for (let r = 0; r < batch.rows; r++) {
      const row: unknown = probable[r];
      if (!Array.isArray(row) || row.length !== k) throw malformed(`probabilities[${r}] must be an array of ${k} numbers (one per class)`);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const q: unknown = row[c];
        if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw malformed(`probabilities[${r}][${c}] is ${JSON.stringify(q)}, not a number in [0, 1]`);
        probabilities![(batch.start + r) * k + c] = q;
        sum += q;
      }
      if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) throw malformed(`probabilities[${r}] sums to ${sum}, not 1`);
    }
    return true;
  }

  function classOf(value: unknown): number | null {
    if (typeof value === 'string') return classIndex.get(value) ?? null;
    if (typeof value === 'boolean') return classIndex.get(String(value)) ?? null;
    if (typeof value !== 'number') return null;
    const asLabel = classIndex.get(String(value));
    if (asLabel !== undefined) return asLabel;
    return Number.isInteger(value) && value >= 0 && value < k ? value : null;
  }

  return {
    task,
    featureNames,
    classes,
    score,
    close: async () => lifetime.abort(),
  };
}

function parseEndpoint(url: string): URL {
  let endpoint: URL;
  try {
    endpoint = new URL(url);
  } catch {
    throw new RemoteScoringError('invalid remote model options: url is not a valid URL');
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new RemoteScoringError(`invalid remote model options: url must be http or https, got ${endpoint.protocol}`);
  }
  return endpoint;
}

function validateOptions(task: RemoteModelTask, featureNames: string[], classes: string[] | null, timeoutMs: number, maxBatchRows: number): void {
  const reasons: string[] = [];
  if (task !== 'regression' && task !== 'binary' && task !== 'multiclass') reasons.push(`unknown task ${String(task)}`);
  if (featureNames.length === 0) reasons.push('featureNames is empty');
  if (new Set(featureNames).size !== featureNames.length) reasons.push('featureNames has duplicates');
  if (classes !== null) {
    if (task === 'binary' && classes.length !== 2) reasons.push(`a binary model has exactly 2 classes, got ${classes.length}`);
    if (task === 'multiclass' && classes.length < 2) reasons.push(`a multiclass model needs at least 2 classes, got ${classes.length}`);
    if (new Set(classes).size !== classes.length) reasons.push('classes has duplicates');
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) reasons.push(`timeoutMs must be a positive number, got ${timeoutMs}`);
  if (!(Number.isInteger(maxBatchRows) && maxBatchRows > 0)) reasons.push(`maxBatchRows must be a positive integer, got ${maxBatchRows}`);
  if (reasons.length > 0) throw new RemoteScoringError(`invalid remote model options: ${reasons.join('; ')}`);
}

function describeBatch({ index, count, start, rows }: Batch): string {
  return `batch ${index + 1} of ${count} (rows ${start}–${start + rows - 1})`;
}

/** The first system error code in an error's cause chain (fetch wraps socket errors in a TypeError). */
function errorCode(error: unknown): string | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return '(empty body)';
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

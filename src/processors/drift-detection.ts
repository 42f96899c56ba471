import type { ColumnDriftOptions } from '../analytics/drift/column-drift.js';
import { DriftTestSpecError, runDriftTests, type DriftTestSpec } from '../analytics/drift/drift-test-suite.js';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { datasetDrift, type DatasetDriftResult } from '../analytics/drift/dataset-drift.js';
import { handleCommand } from '../commands/command-handler.js';
import { datasetStreamId } from '../commands/dataset/dataset.decider.js';
import { driftReportDecider, driftReportStreamId } from '../commands/drift/drift-report.decider.js';
import { modelDecider, modelStreamId } from '../commands/model/model.decider.js';
import type { Actor, JsonObject } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import type { EventStore } from '../events/event-store.js';
import type { BlobStorage } from '../platform/blob-storage.js';
import type { DatasetFormat } from './dataset-files.js';
import { readDriftColumnPair } from './drift-columns-pair.js';
import { resultEventId } from './result-event-id.js';

/** Bumped when detection could give other numbers for the same inputs (stored reports name it). */
export const DRIFT_CODE_VERSION = 'raia-drift/1';
export const DRIFT_TESTS = ['ks', 'wasserstein', 'chisquare', 'z', 'jensenshannon', 'psi'] as const;
export type DriftTestName = (typeof DRIFT_TESTS)[number];

export type DriftDetectionDeps = { store: EventStore; catalogue: EventCatalogue; blobs: BlobStorage };

export type DatasetRef = { datasetId: string; version?: number };

export type DriftRequest = {
  /** A model whose training data is the reference, when no reference is given; named in the report either way. */
  modelId?: string;
  reference?: DatasetRef;
  current: DatasetRef;
  columns?: string[];
  driftShare: number;
  tests: Record<string, DriftTestName>;
  thresholds: Record<string, number>;
  /** Column options applied to every column (test, threshold, thresholds, psiBins, jsBase, smallReferenceLimit). */
  defaults?: ColumnDriftOptions;
  /** The same options per column, over `defaults` (and under `tests` / `thresholds`). */
  columnOptions?: Record<string, ColumnDriftOptions>;
  /** Extra tests run on every column beside the verdict's test, each reported with its parameters. */
  additionalTests?: DriftTestSpec[];
  /** Extra tests per column. */
  columnTests?: Record<string, DriftTestSpec[]>;
  actor: Actor;
  causationId?: string;
  correlationId?: string;
  /**
   * Names the report after its inputs: the report id is UUID v5 of this key and the resolved
   * (reference, current) versions, so asking again for a pair already checked records nothing new
   * and answers the stored report. Without it every request is a fresh report.
   */
  idempotencyKey?: string;
};

/** A request that cannot be served; `field` is the request field at fault (`reference`, `columns`, `tests.x`…). */
export class DriftRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
    /** 404 when a dataset or model the request names does not exist (or was deleted), else 400. */
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
    this.name = 'DriftRequestError';
  }
}

type ColumnDescription = { name: string; type: string; nullable: boolean; hints: string[] };
export type ResolvedDatasetVersion = { datasetId: string; version: number; sha256: string; format: DatasetFormat; columns: ColumnDescription[] };

export type DriftInputs = {
  reference: ResolvedDatasetVersion;
  current: ResolvedDatasetVersion;
  /** The model version whose training data is the reference, when the reference came from the model. */
  modelVersion: number | null;
  compared: { name: string; kind: 'numeric' | 'categorical' }[];
};

export type DriftAlert = { alertId: string; reportId: string; modelId: string | null; datasetId: string; severity: 'low' | 'medium' | 'high'; driftedColumns: string[]; driftShare: number; message: string };

export type DriftReport = {
  reportId: string;
  modelId: string | null;
  modelVersion: number | null;
  reference: { datasetId: string; version: number };
  current: { datasetId: string; version: number };
  options: {
    driftShare: number;
    tests: Record<string, string>;
    thresholds: Record<string, number>;
    columns: string[];
    defaults?: ColumnDriftOptions;
    columnOptions?: Record<string, ColumnDriftOptions>;
    additionalTests?: DriftTestSpec[];
    columnTests?: Record<string, DriftTestSpec[]>;
  };
  result: DatasetDriftResult;
  datasetDrift: boolean;
  driftShare: number;
  elapsedMs: number;
  codeVersion: string;
};

export type DriftDetection = {
  report: DriftReport;
  alert: DriftAlert | null;
  /** The `drift.detected` event. */
  eventId: string;
  /** The position of the last event recorded (the alert when there is one): wait for it to read your write. */
  position: number;
  /** False when an idempotent request found its pair already checked and recorded nothing. */
  recorded: boolean;
};

/** Alert severity from the share of drifted columns: any drift low, dataset drift medium, three quarters or more high. */
export function driftSeverity(share: number, datasetDrifted: boolean): DriftAlert['severity'] | null {
  if (share === 0) return null;
  if (!datasetDrifted) return 'low';
  return share >= 0.75 ? 'high' : 'medium';
}

type DatasetLedgerState = { exists: boolean; deleted: boolean; versions: ResolvedDatasetVersion[] };

/** A dataset as its stream tells it: versions with file, format and schema; deleted or not. */
async function datasetFromLedger(deps: DriftDetectionDeps, datasetId: string): Promise<DatasetLedgerState> {
  const state: DatasetLedgerState = { exists: false, deleted: false, versions: [] };
  for (const stored of await deps.store.readStream(datasetStreamId(datasetId))) {
    const e = deps.catalogue.upcast(stored);
    if (e.type === 'dataset.registered') state.exists = true;
    else if (e.type === 'dataset.deleted') state.deleted = true;
    else if (e.type === 'dataset.version-uploaded') {
      const d = e.data as unknown as { version: number; blob: { sha256: string }; format: DatasetFormat; columns: ColumnDescription[] };
      state.versions.push({ datasetId, version: d.version, sha256: d.blob.sha256, format: d.format, columns: d.columns });
    }
  }
  return state;
}

function usable(dataset: DatasetLedgerState, datasetId: string, field: string): DatasetLedgerState {
  if (!dataset.exists) throw new DriftRequestError(field, `dataset ${datasetId} does not exist`, 404);
  if (dataset.deleted) throw new DriftRequestError(field, `dataset ${datasetId} was deleted`, 404);
  return dataset;
}

/** The version named, else the latest, read from the ledger (a version just uploaded counts at once). */
export async function resolveDatasetVersion(deps: DriftDetectionDeps, ref: DatasetRef, field: string): Promise<ResolvedDatasetVersion> {
  const dataset = usable(await datasetFromLedger(deps, ref.datasetId), ref.datasetId, field);
  const found = ref.version === undefined ? dataset.versions.at(-1) : dataset.versions.find((v) => v.version === ref.version);
  if (!found) throw new DriftRequestError(field, ref.version === undefined ? `dataset ${ref.datasetId} has no version` : `version ${ref.version} of dataset ${ref.datasetId} does not exist`, 404);
  return found;
}

/** The reference of a model: the training dataset its deployed (else latest) version names, from the ledger. */
async function modelReference(deps: DriftDetectionDeps, modelId: string): Promise<{ ref: ResolvedDatasetVersion; modelVersion: number }> {
  let state = modelDecider.initialState();
  const trainingData = new Map<number, { datasetId: string; contentHash: string } | null>();
  for (const stored of await deps.store.readStream(modelStreamId(modelId))) {
    const e = deps.catalogue.upcast(stored);
    state = modelDecider.evolve(state, e as never);
    if (e.type === 'model.version-added') {
      const d = e.data as unknown as { version: number; trainingData: { datasetId: string; contentHash: string } | null };
      trainingData.set(d.version, d.trainingData);
    }
  }
  if (state.status !== 'active') throw new DriftRequestError('modelId', 'is not a registered model');
  const chosen = state.versions.find((v) => v.status === 'deployed') ?? state.versions.at(-1);
  const named = chosen ? trainingData.get(chosen.version) : null;
  if (!chosen || !named) throw new DriftRequestError('reference', 'the model names no training dataset; give a reference dataset');
  const dataset = await datasetFromLedger(deps, named.datasetId);
  // The latest version holding the very file the model was trained on.
  const version = dataset.exists && !dataset.deleted ? dataset.versions.filter((v) => v.sha256 === named.contentHash).at(-1) : undefined;
  if (!version) throw new DriftRequestError('reference', 'the training dataset the model names is not registered here; give a reference dataset');
  return { ref: version, modelVersion: chosen.version };
}

/** Resolves and checks what a drift request compares, without reading any file. */
export async function resolveDriftInputs(deps: DriftDetectionDeps, request: Omit<DriftRequest, 'actor' | 'causationId' | 'correlationId' | 'idempotencyKey'>): Promise<DriftInputs> {
  if (!request.reference && !request.modelId) throw new DriftRequestError('reference', 'give a reference dataset, or a modelId whose training data is the reference');
  const fromModel = request.reference ? null : await modelReference(deps, request.modelId!);
  const reference = fromModel?.ref ?? (await resolveDatasetVersion(deps, request.reference!, 'reference'));
  const current = await resolveDatasetVersion(deps, request.current, 'current');
  // Identifiers say nothing about distributions, and personal columns are sealed in the file.
  const shared = reference.columns.filter((c) => current.columns.some((k) => k.name === c.name) && !c.hints.includes('id') && !c.hints.includes('personal'));
  const wantedNames = request.columns ?? shared.map((c) => c.name);
  const unknown = wantedNames.filter((n) => !shared.some((c) => c.name === n));
  if (unknown.length > 0) throw new DriftRequestError('columns', `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a column of both datasets`);
  for (const name of [...Object.keys(request.tests), ...Object.keys(request.thresholds)]) if (!wantedNames.includes(name)) throw new DriftRequestError(`tests.${name}`, 'is not a compared column');
  for (const name of Object.keys(request.columnOptions ?? {})) if (!wantedNames.includes(name)) throw new DriftRequestError(`columnOptions.${name}`, 'is not a compared column');
  for (const name of Object.keys(request.columnTests ?? {})) if (!wantedNames.includes(name)) throw new DriftRequestError(`columnTests.${name}`, 'is not a compared column');
  const compared = wantedNames.map((name) => ({ name, kind: ['integer', 'number'].includes(shared.find((c) => c.name === name)!.type) ? ('numeric' as const) : ('categorical' as const) }));
  return { reference, current, modelVersion: fromModel?.modelVersion ?? null, compared };
}

/**
 * Drift of a current dataset version against a reference (given, or the model's training data):
 * per column as `datasetDrift` decides, recorded as `drift.detected` with a `drift.alert-raised`
 * when any column drifted. Datasets and models are read from the ledger, not from read models, so a
 * version uploaded a moment ago is seen and a deleted dataset is refused.
 */
export async function detectDrift(deps: DriftDetectionDeps, request: DriftRequest): Promise<DriftDetection> {
  const inputs = await resolveDriftInputs(deps, request);
  const { reference, current, compared } = inputs;
  const reportId = request.idempotencyKey
    ? resultEventId(request.idempotencyKey, `drift:${reference.datasetId}@${reference.version}/${current.datasetId}@${current.version}`)
    : randomUUID();
  if (request.idempotencyKey) {
    const existing = await recordedReport(deps, reportId);
    if (existing) return existing;
  }
  const started = performance.now();
  const [ref, cur] = await readDriftColumnPair(deps.blobs, reference, current, compared);
  const { tests, thresholds, driftShare } = request;
  const perColumn = Object.fromEntries(compared.map(({ name }) => [name, { ...request.columnOptions?.[name], ...(tests[name] ? { test: tests[name] } : {}), ...(thresholds[name] ? { threshold: thresholds[name] } : {}) }]));
  let result: DatasetDriftResult;
  try {
    result = datasetDrift(compared.map((w) => ({ name: w.name, reference: ref.get(w.name)!, current: cur.get(w.name)! })), { driftShare, columns: perColumn, ...(request.defaults ? { defaults: request.defaults } : {}) });
  } catch (error) {
    throw new DriftRequestError('tests', error instanceof Error ? error.message : String(error));
  }
  const extra = (name: string) => [...(request.additionalTests ?? []), ...(request.columnTests?.[name] ?? [])];
  if (compared.some(({ name }) => extra(name).length > 0)) {
    result = {
      ...result,
      columns: result.columns.map((column) => {
        try {
          return { ...column, tests: runDriftTests(ref.get(column.column)!, cur.get(column.column)!, extra(column.column)) };
        } catch (error) {
          if (error instanceof DriftTestSpecError) throw new DriftRequestError(request.columnTests?.[column.column] ? `columnTests.${column.column}` : 'additionalTests', `${column.column}: ${error.message}`);
          throw error;
        }
      }),
    };
  }
  const modelId = request.modelId ?? null;
  const severity = driftSeverity(result.shareOfDriftedColumns, result.datasetDrift);
  const drifted = result.columns.filter((c) => c.drifted).map((c) => c.column);
  const report: DriftReport = {
    reportId,
    modelId,
    modelVersion: inputs.modelVersion,
    reference: { datasetId: reference.datasetId, version: reference.version },
    current: { datasetId: current.datasetId, version: current.version },
    options: {
      driftShare,
      tests,
      thresholds,
      columns: compared.map((c) => c.name),
      ...(request.defaults ? { defaults: request.defaults } : {}),
      ...(request.columnOptions ? { columnOptions: request.columnOptions } : {}),
      ...(request.additionalTests ? { additionalTests: request.additionalTests } : {}),
      ...(request.columnTests ? { columnTests: request.columnTests } : {}),
    },
    result,
    datasetDrift: result.datasetDrift,
    driftShare: result.shareOfDriftedColumns,
    elapsedMs: performance.now() - started,
    codeVersion: DRIFT_CODE_VERSION,
  };
  const alert: DriftAlert | null = severity
    ? {
        alertId: request.idempotencyKey ? resultEventId(reportId, 'drift-alert') : randomUUID(),
        reportId,
        modelId,
        datasetId: current.datasetId,
        severity,
        driftedColumns: drifted,
        driftShare: result.shareOfDriftedColumns,
        message: `${drifted.length} of ${result.numberOfColumns} columns drifted (${drifted.slice(0, 5).join(', ')}${drifted.length > 5 ? '…' : ''})`,
      }
    : null;
  const recorded = await handleCommand(
    deps,
    driftReportDecider,
    driftReportStreamId(reportId),
    { type: 'RecordDrift', report: { ...(JSON.parse(JSON.stringify(report)) as JsonObject), reportId }, alert: alert as unknown as JsonObject | null },
    {
      actor: request.actor,
      correlationId: request.correlationId,
      causationId: request.causationId,
      // Deterministic ids for idempotent requests: two schedulers racing on one pair store it once.
      ...(request.idempotencyKey ? { eventIds: [resultEventId(reportId, 'drift.detected'), resultEventId(reportId, 'drift.alert-raised')] } : {}),
    },
  );
  // Empty when another process recorded this very report between our check and our append.
  if (recorded.events.length === 0) return (await recordedReport(deps, reportId)) ?? Promise.reject(new Error(`drift report ${reportId} vanished`));
  return { report, alert, eventId: recorded.events[0]!.id, position: recorded.position, recorded: true };
}

async function recordedReport(deps: DriftDetectionDeps, reportId: string): Promise<DriftDetection | null> {
  const events = await deps.store.readStream(driftReportStreamId(reportId));
  const detected = events.find((e) => e.type === 'drift.detected');
  if (!detected) return null;
  const alert = events.find((e) => e.type === 'drift.alert-raised');
  return {
    report: deps.catalogue.upcast(detected).data as unknown as DriftReport,
    alert: alert ? (deps.catalogue.upcast(alert).data as unknown as DriftAlert) : null,
    eventId: detected.id,
    position: events.at(-1)!.position,
    recorded: false,
  };
}

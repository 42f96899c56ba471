import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  assessFairness,
  assessRegressionFairness,
  combineAttributes,
  detectBias,
  FairnessInputError,
  optimizeThresholds,
  reweigh,
  type BiasDetectionResult,
  type ProtectedAttribute,
} from '../../analytics/fairness/index.js';
import { detectRegressionBias } from '../../analytics/fairness/regression-bias-detection.js';
import type { RegressionMetricName } from '../../analytics/fairness/regression-fairness.js';
import { ScoringInputError } from '../../analytics/scoring/linear-model.js';
import { ModelArtifactError } from '../../analytics/scoring/scoring-model.js';
import { THRESHOLD_WRAPPER_FORMAT, type ThresholdWrapper } from '../../analytics/scoring/threshold-wrapper-model.js';
import type { FairnessAssessedData, MitigationComputedData } from '../../commands/fairness/fairness.decider.js';
import { fairnessStreamId } from '../../commands/fairness/fairness.decider.js';
import { modelStreamId, type VersionSpec } from '../../commands/model/model.decider.js';
import { classificationReportSchema, regressionReportSchema, type reweighingResultSchema } from '../../events/catalogue/fairness.events.js';
import { versionDeclaration } from '../../processors/explanation-service.js';
import { loadScoringModel } from '../../processors/model-scoring.js';
import { artifactInUse } from '../../projections/model-registry.projection.js';
import type { Runtime } from '../../runtime.js';
import { streamEventsAt, type LedgerPoint } from '../../projections/as-of/ledger-point.js';
import { asOfQuery, ledgerPointOf } from '../as-of-query.js';
import { principalOf } from '../auth/access-control.js';
import { roleHas } from '../permissions.js';
import { HttpProblem, notFound, problemSchema } from '../problem-details.js';
import { loadFairnessDataset } from './fairness-dataset-input.js';
import {
  assessmentOptionsBody,
  binaryColumn,
  checkGroupingNames,
  classLabels,
  enginePolicy,
  FAIRNESS_CODE_VERSION,
  featureMatrix,
  FieldErrors,
  invalidInput,
  MAX_ROWS,
  MIN_ROWS,
  normaliseOptions,
  normalisePolicy,
  numericColumn,
  policyBody,
  protectedAttributes,
  protectedAttributesSchema,
  rowValue,
  sameLength,
  sha256Of,
  type AssessmentOptions,
  type ProtectedInput,
  type RecordedPolicy,
} from './fairness-inputs.js';
import {
  assessmentSchema,
  findAssessment,
  mitigationRecordSchema,
  modelExists,
  presentAssessment,
  presentMitigation,
  recordAssessment,
  recordMitigation,
  resolveModelVersion,
  type AssessedVersion,
} from './fairness-records.js';
import { runModelCommand } from './model-commands.js';
import { modelStateFromLedger } from './model-read.js';
import { pageFields, pageOf, pageQuery } from '../pagination.js';
import { ledgerSortQuery } from '../ledger-page.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const BODY_LIMIT = 32 * 1024 * 1024;
const modelParams = z.strictObject({ modelId: z.uuid() });

const labelValue = z.union([z.string().max(200), z.number(), z.boolean()]);
const inputRows = z.array(z.record(z.string().max(200), rowValue)).min(MIN_ROWS).max(MAX_ROWS);

/** Inline rows of a labelled dataset for a registered model, or (later) a registered dataset. */
const modelDataBody = {
  version: z.number().int().positive().optional().describe('Default: the deployed version, else the newest'),
  rows: inputRows.optional().describe("Objects keyed by the model's input features (null = missing); may also hold protected columns"),
  labels: z.array(labelValue).min(MIN_ROWS).max(MAX_ROWS).optional().describe("Observed outcomes, one per row: the model's class labels (binary) or numbers (regression)"),
  protectedAttributes: protectedAttributesSchema,
  datasetId: z.uuid().optional().describe('A registered dataset (its latest version) instead of inline rows'),
  labelColumn: z.string().min(1).max(200).optional().describe('With datasetId: the column holding the labels'),
};

const analyzeBody = z.strictObject({ ...modelDataBody, options: assessmentOptionsBody, policy: policyBody });

const detectBiasBody = z.strictObject({
  task: z.enum(['classification', 'regression']).default('classification'),
  modelId: z.uuid().optional().describe('Attach the assessment to a registered model (e.g. one scored outside RAIA); it then counts for the deploy gate'),
  version: z.number().int().positive().optional().describe('With modelId: the version that made the predictions (default: deployed, else newest)'),
  yTrue: z.array(z.union([z.number(), z.boolean()])).min(MIN_ROWS).max(MAX_ROWS).optional(),
  yPred: z.array(z.union([z.number(), z.boolean()])).min(MIN_ROWS).max(MAX_ROWS).optional(),
  yScore: z.array(z.number()).max(MAX_ROWS).optional().describe('Positive-class scores in [0, 1] (enables calibration, and decisionThreshold)'),
  protectedAttributes: protectedAttributesSchema,
  datasetId: z.uuid().optional().describe('A registered prediction-log dataset (its latest version) instead of inline columns'),
  labelColumn: z.string().min(1).max(200).optional(),
  predictionColumn: z.string().min(1).max(200).optional(),
  scoreColumn: z.string().min(1).max(200).optional(),
  options: assessmentOptionsBody,
  policy: policyBody,
});

const mitigationBody = z.strictObject({
  method: z.enum(['reweighing', 'threshold-optimizer']),
  ...modelDataBody,
  attributes: z.array(z.string().min(1).max(100)).min(1).max(10).optional().describe('Protected attributes to mitigate over (intersected when several); default all given'),
  constraint: z.enum(['demographic_parity', 'equalized_odds']).default('demographic_parity').describe('threshold-optimizer only'),
  tolerance: z.number().min(0).max(1).default(0.01).describe('threshold-optimizer only'),
  register: z
    .boolean()
    .default(false)
    .describe(`threshold-optimizer: register the optimiser as a new version of the model (format ${THRESHOLD_WRAPPER_FORMAT}) wrapping the scored one; needs models:write and ownership of the model (or admin)`),
});

const mitigationResponse = z.object({
  record: mitigationRecordSchema,
  rowWeights: z.array(z.number()).nullable().describe('reweighing: the sample weight of each row, in input order'),
  registration: z
    .object({
      registered: z.boolean(),
      version: z.number().int().nullable().describe('The new version (or the existing one registered from the same mitigation)'),
      mitigationEventId: z.uuid().nullable().describe('The fairness.mitigation-computed event the version implements'),
      detail: z.string(),
    })
    .nullable(),
});

/** Column inputs after parsing: outcomes, decisions or model features, and protected attributes. */
type Columns = { rows: Record<string, unknown>[] | undefined; labels: (string | number | boolean)[] | undefined; protectedInput: ProtectedInput; inputsHash: string; datasetId: string | null };

/** Inline columns, or the dataset's rows turned into the same columns (dataset seam). */
async function columnsOf(runtime: Runtime, body: { rows?: Record<string, unknown>[]; labels?: (string | number | boolean)[]; protectedAttributes: ProtectedInput; datasetId?: string; labelColumn?: string }): Promise<Columns> {
  if (body.datasetId === undefined) {
    return { rows: body.rows, labels: body.labels, protectedInput: body.protectedAttributes, datasetId: null, inputsHash: sha256Of({ rows: body.rows ?? null, labels: body.labels ?? null, protectedAttributes: body.protectedAttributes }) };
  }
  const dataset = await loadFairnessDataset(runtime, body.datasetId, MAX_ROWS);
  const errs = new FieldErrors();
  if (!Array.isArray(body.protectedAttributes)) errs.add('body.protectedAttributes', 'with datasetId, name the protected columns');
  if (!body.labelColumn) errs.add('body.labelColumn', 'is required with datasetId');
  errs.throwIfAny();
  const labelColumn = body.labelColumn!;
  const rows = dataset.rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== labelColumn)));
  const labels = dataset.rows.map((r) => r[labelColumn] as string | number | boolean);
  return { rows, labels, protectedInput: body.protectedAttributes, datasetId: body.datasetId, inputsHash: sha256Of({ datasetId: body.datasetId, contentHash: dataset.contentHash, labelColumn, protectedAttributes: body.protectedAttributes }) };
}

function binaryTask(version: AssessedVersion): 'binary' | 'regression' {
  const task = version.record.task;
  if (task === 'multiclass') throw new HttpProblem(422, 'unsupported-task', 'Unsupported task', 'fairness metrics are defined for binary classifiers and regressors; this version is multiclass', { code: 'UNSUPPORTED_TASK' });
  return task as 'binary' | 'regression';
}

/** The engine's input errors (e.g. an unknown reference group) as a 400 on the options. */
function engineCall<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof FairnessInputError) throw invalidInput(error.reasons.map((message) => ({ field: 'body.options', message })));
    throw error;
  }
}

async function scoreRows(runtime: Runtime, version: AssessedVersion, features: Float64Array, n: number) {
  const model = await runtime.scoringModels.get(version.record.modelId, version.record.version, version.record);
  try {
    return await model.score(features, n);
  } catch (error) {
    if (error instanceof ScoringInputError) throw invalidInput([{ field: `body.rows${error.row === null ? '' : `.${error.row}`}${error.feature === null ? '' : `.${error.feature}`}`, message: error.message }]);
    throw error;
  }
}

type Outcomes = { task: 'binary'; yTrue: Uint8Array; yPred: Uint8Array; yScore?: Float64Array } | { task: 'regression'; yTrue: Float64Array; yPred: Float64Array };

/** The report and bias checks of one request: pure computation over the parsed columns. */
function assess(outcomes: Outcomes, attributes: ProtectedAttribute[], options: AssessmentOptions, policy: RecordedPolicy) {
  const common = {
    minGroupSize: options.minGroupSize,
    includeSmallGroups: options.includeSmallGroups,
    intersections: options.intersections,
    bootstrap: options.bootstrap ?? (false as const),
  };
  const named = (checks: BiasDetectionResult['checks'] | ReturnType<typeof detectRegressionBias>['checks']) => checks.map((c) => ({ id: `${c.metric}[${c.grouping}]`, ...c }));
  if (outcomes.task === 'binary') {
    const report = engineCall(() =>
      assessFairness(
        { yTrue: outcomes.yTrue, yPred: outcomes.yPred, ...(outcomes.yScore ? { yScore: outcomes.yScore } : {}), attributes },
        { ...common, referenceGroups: options.referenceGroups, calibrationBins: options.calibrationBins, ...(options.privilegedGroups ? { privilegedGroups: options.privilegedGroups } : {}) },
      ),
    );
    const result = detectBias(report, enginePolicy(policy));
    return { report: { task: 'binary' as const, ...report }, biasChecks: { policy, ...result, checks: named(result.checks) } };
  }
  const report = engineCall(() => assessRegressionFairness({ yTrue: outcomes.yTrue, yPred: outcomes.yPred, attributes }, common));
  const result = detectRegressionBias(report, { rules: policy.rules.map((r) => ({ metric: r.metric as RegressionMetricName, threshold: r.threshold })), severity: policy.severity, ...(policy.groupings ? { groupings: policy.groupings } : {}) });
  return { report: { task: 'regression' as const, ...report }, biasChecks: { policy, ...result, checks: named(result.checks) } };
}

/**
 * Fairness and bias (issue 7; definitions in docs/fairness.md): assessments of a registered
 * model version on labelled rows or of a prediction log, recorded as `fairness.assessed` events
 * (which the deploy gate reads), reports, and mitigations.
 */
export function fairnessRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    /** Answers from the ledger when an identical request was recorded, else computes and records. */
    async function assessAndRecord(
      request: FastifyRequest,
      key: { modelId: string | null; modelVersion: number | null; source: FairnessAssessedData['source']; datasetId: string | null; inputsHash: string; options: AssessmentOptions; policy: RecordedPolicy },
      causationId: string | null,
      compute: () => Promise<ReturnType<typeof assess>>,
    ) {
      const requestHash = sha256Of({ ...key, codeVersion: FAIRNESS_CODE_VERSION });
      const stored = await findAssessment(runtime, fairnessStreamId(key.modelId, key.inputsHash), requestHash);
      if (stored) return presentAssessment(stored, true);
      const started = performance.now();
      const { report, biasChecks } = await compute();
      const data = {
        modelId: key.modelId,
        modelVersion: key.modelVersion,
        source: key.source,
        datasetId: key.datasetId,
        inputsHash: key.inputsHash,
        requestHash,
        options: key.options,
        codeVersion: FAIRNESS_CODE_VERSION,
        report,
        biasChecks,
        failedChecks: biasChecks.checks.filter((c) => c.passed === false).map((c) => c.id),
        elapsedMs: performance.now() - started,
      };
      // Through JSON: the stored event is plain JSON (no undefined members, no typed arrays).
      const recorded = await recordAssessment(runtime, request, JSON.parse(JSON.stringify(data)) as FairnessAssessedData, causationId);
      return presentAssessment(recorded.event, recorded.reused);
    }

    app.post('/api/v1/fairness/analyze/:modelId', {
      config: { permission: 'assessments:run' },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['fairness'],
        summary: 'Assess a model version on labelled rows: the model scores them through the registry; group, intersectional and across-group metrics with bootstrap intervals, and bias checks against a policy',
        description:
          'Recorded as a `fairness.assessed` event (stream `fairness-<modelId>`) caused by the version\'s `model.version-added` event; the deploy gate counts it (failedChecks empty = passing). An identical request (same version, inputs hash, options, policy) is answered from the recorded event (`reused: true`). Metric definitions: docs/fairness.md.',
        params: modelParams,
        body: analyzeBody,
        response: { 200: assessmentSchema, ...errors },
      },
    }, async (request) => {
      const { modelId } = request.params;
      const body = request.body;
      const version = await resolveModelVersion(runtime, modelId, body.version);
      const task = binaryTask(version);
      const columns = await columnsOf(runtime, body);
      const errs = new FieldErrors();
      if (!columns.rows) errs.add('body.rows', 'is required (or datasetId)');
      if (!columns.labels) errs.add('body.labels', 'is required');
      errs.throwIfAny();
      const rows = columns.rows!;
      const labels = columns.labels!;
      sameLength(labels.length, rows.length, 'body.labels', errs);
      const { attributes, columns: protectedColumns } = protectedAttributes(columns.protectedInput, rows.length, rows, errs);
      const options = normaliseOptions(body.options);
      const policy = normalisePolicy(body.policy, task, errs);
      checkGroupingNames(options, policy, attributes.map((a) => a.name), errs);
      if (task === 'regression' && options.decisionThreshold !== null) errs.add('body.options.decisionThreshold', 'applies to classifiers only');
      const classes = version.record.classes ?? ['0', '1'];
      const yTrueBinary = task === 'binary' ? classLabels(labels, classes, 'body.labels', errs) : null;
      const yTrueNumeric = task === 'regression' ? numericColumn(labels, 'body.labels', errs) : null;
      const features = featureMatrix(rows, version.record.inputSchema, protectedColumns, errs);
      errs.throwIfAny();

      return assessAndRecord(
        request,
        { modelId, modelVersion: version.record.version, source: 'model-rows', datasetId: columns.datasetId, inputsHash: columns.inputsHash, options, policy },
        version.versionEventId,
        async () => {
          const out = await scoreRows(runtime, version, features, rows.length);
          if (task === 'regression') return assess({ task, yTrue: yTrueNumeric!, yPred: out.predictions }, attributes, options, policy);
          const n = rows.length;
          const yScore = new Float64Array(n);
          for (let i = 0; i < n; i++) yScore[i] = out.probabilities ? out.probabilities[i * 2 + 1]! : out.predictions[i]!;
          const t = options.decisionThreshold;
          const yPred = t === null ? Uint8Array.from(out.predictions, (p) => (p === 1 ? 1 : 0)) : Uint8Array.from(yScore, (s) => (s >= t ? 1 : 0));
          return assess({ task, yTrue: yTrueBinary!, yPred, ...(out.probabilities ? { yScore } : {}) }, attributes, options, policy);
        },
      );
    });

    app.post('/api/v1/fairness/detect-bias', {
      config: { permission: 'assessments:run' },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['fairness'],
        summary: 'Detect bias in a prediction log (yTrue, yPred, optional yScore, protected attributes): no registered model needed',
        description:
          'Checks the metrics against a policy (default: demographic parity ratio >= 0.8, equalized odds difference <= 0.1) and lists the failed checks with severity and recommendations. Recorded as a `fairness.assessed` event: in `fairness-<modelId>` with modelId (it then counts for that version\'s deploy gate), else in `fairness-adhoc-<inputsHash>` with modelId null.',
        body: detectBiasBody,
        response: { 200: assessmentSchema, ...errors },
      },
    }, async (request) => {
      const body = request.body;
      const task = body.task === 'classification' ? 'binary' : 'regression';
      if (body.version !== undefined && body.modelId === undefined) throw invalidInput([{ field: 'body.version', message: 'needs modelId' }]);
      const version = body.modelId ? await resolveModelVersion(runtime, body.modelId, body.version) : null;
      if (version && binaryTask(version) !== task) throw invalidInput([{ field: 'body.task', message: `the model version's task is ${version.record.task}` }]);
      let yTrueRaw = body.yTrue;
      let yPredRaw = body.yPred;
      let yScoreRaw = body.yScore;
      let protectedInput: ProtectedInput = body.protectedAttributes;
      let rows: Record<string, unknown>[] | undefined;
      let inputsHash = sha256Of({ task, yTrue: body.yTrue ?? null, yPred: body.yPred ?? null, yScore: body.yScore ?? null, protectedAttributes: body.protectedAttributes });
      if (body.datasetId !== undefined) {
        const dataset = await loadFairnessDataset(runtime, body.datasetId, MAX_ROWS);
        const pick = (column: string | undefined) => (column ? dataset.rows.map((r) => r[column]) : undefined);
        yTrueRaw = pick(body.labelColumn) as typeof yTrueRaw;
        yPredRaw = pick(body.predictionColumn) as typeof yPredRaw;
        yScoreRaw = pick(body.scoreColumn) as typeof yScoreRaw;
        rows = dataset.rows;
        protectedInput = body.protectedAttributes;
        inputsHash = sha256Of({ task, datasetId: body.datasetId, contentHash: dataset.contentHash, columns: [body.labelColumn, body.predictionColumn, body.scoreColumn], protectedAttributes: body.protectedAttributes });
      }
      const errs = new FieldErrors();
      if (!yTrueRaw) errs.add('body.yTrue', 'is required');
      // Without decisions, a classifier's come from its scores: score >= decisionThreshold (default 0.5).
      const fromScores = !yPredRaw && task === 'binary' && yScoreRaw !== undefined;
      if (!yPredRaw && !fromScores) errs.add('body.yPred', task === 'binary' ? 'is required, or send yScore (decisions are then score >= options.decisionThreshold, default 0.5)' : 'is required');
      errs.throwIfAny();
      const n = yTrueRaw!.length;
      if (yPredRaw) sameLength(yPredRaw.length, n, 'body.yPred', errs);
      if (yScoreRaw) sameLength(yScoreRaw.length, n, 'body.yScore', errs);
      if (yScoreRaw && task === 'regression') errs.add('body.yScore', 'applies to classification only');
      const { attributes } = protectedAttributes(protectedInput, n, rows, errs);
      const options = normaliseOptions(body.options);
      if (fromScores && options.decisionThreshold === null) options.decisionThreshold = 0.5;
      const policy = normalisePolicy(body.policy, task, errs);
      checkGroupingNames(options, policy, attributes.map((a) => a.name), errs);
      if (options.decisionThreshold !== null && !yScoreRaw) errs.add('body.options.decisionThreshold', 'needs yScore');
      let outcomes: Outcomes;
      if (task === 'binary') {
        const yTrue = binaryColumn(yTrueRaw!, 'body.yTrue', errs);
        const yScore = yScoreRaw ? numericColumn(yScoreRaw, 'body.yScore', errs, [0, 1]) : undefined;
        const t = options.decisionThreshold;
        const yPred = t !== null && yScore ? Uint8Array.from(yScore, (s) => (s >= t ? 1 : 0)) : binaryColumn(yPredRaw!, 'body.yPred', errs);
        outcomes = { task, yTrue, yPred, ...(yScore ? { yScore } : {}) };
      } else {
        outcomes = { task, yTrue: numericColumn(yTrueRaw!, 'body.yTrue', errs), yPred: numericColumn(yPredRaw!, 'body.yPred', errs) };
      }
      errs.throwIfAny();
      return assessAndRecord(
        request,
        { modelId: version?.record.modelId ?? null, modelVersion: version?.record.version ?? null, source: 'prediction-log', datasetId: body.datasetId ?? null, inputsHash, options, policy },
        version?.versionEventId ?? null,
        async () => assess(outcomes, attributes, options, policy),
      );
    });

    app.get('/api/v1/fairness/reports/:modelId', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['fairness'],
        summary: "A model's fairness assessments (fairness.assessed events), newest first unless sorted otherwise",
        params: modelParams,
        querystring: z.strictObject({
          version: z.coerce.number().int().positive().optional(),
          ...pageQuery(20),
          ...ledgerSortQuery('desc'),
          ...asOfQuery,
        }),
        response: { 200: z.object({ modelId: z.uuid(), reports: z.array(assessmentSchema), ...pageFields }), ...errors },
      },
    }, async (request, reply) => {
      const { modelId } = request.params;
      const { version, asOf, atPosition, ...page } = request.query;
      const point = await ledgerPointOf(runtime, { asOf, atPosition }, reply);
      if (!(await modelExists(runtime, modelId, point))) throw notFound(point ? `model ${modelId} as of position ${point.position}` : `model ${modelId}`);
      // One model's assessments are one ledger stream, read whole: paged here, not by a table.
      const newestFirst = await assessmentsOf(runtime, modelId, version, point);
      const events = page.order === 'desc' ? newestFirst : newestFirst.reverse();
      return { modelId, reports: events.slice(page.offset, page.offset + page.limit).map((e) => presentAssessment(e, false)), ...pageOf(page, events.length) };
    });

    app.get('/api/v1/bias/metrics/:modelId', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['fairness'],
        summary: "The metrics of a model's latest fairness assessment (optionally of one version)",
        params: modelParams,
        querystring: z.strictObject({ version: z.coerce.number().int().positive().optional(), ...asOfQuery }),
        response: {
          200: z.object({
            modelId: z.uuid(),
            modelVersion: z.number().int().nullable(),
            assessmentId: z.uuid(),
            recordedAt: z.string(),
            source: z.string(),
            report: z.discriminatedUnion('task', [classificationReportSchema, regressionReportSchema]),
            failedChecks: z.array(z.string()),
            passed: z.boolean(),
          }),
          ...errors,
        },
      },
    }, async (request, reply) => {
      const { modelId } = request.params;
      const { version, ...at } = request.query;
      const point = await ledgerPointOf(runtime, at, reply);
      if (!(await modelExists(runtime, modelId, point))) throw notFound(point ? `model ${modelId} as of position ${point.position}` : `model ${modelId}`);
      const [latest] = await assessmentsOf(runtime, modelId, version, point);
      if (!latest) throw notFound(`a fairness assessment of model ${modelId}${version ? ` version ${version}` : ''}`);
      const a = presentAssessment(latest, false);
      return { modelId, modelVersion: a.modelVersion, assessmentId: a.id, recordedAt: a.recordedAt, source: a.source, report: a.report, failedChecks: a.failedChecks, passed: a.passed };
    });

    app.post('/api/v1/bias/mitigation/:modelId', {
      config: { permission: 'assessments:run' },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['fairness'],
        summary: 'Mitigate bias for a binary classifier: reweighing (Kamiran & Calders 2012) sample weights for retraining, or per-group thresholds (Hardt et al. 2016) meeting demographic parity or equalized odds',
        description:
          `Reweighing needs labels and protected attributes only; the threshold optimiser scores the rows with the model. Every mitigation reports before/after figures (weighted base rates; selection rates, TPR/FPR and accuracy cost) and is recorded as a \`fairness.mitigation-computed\` event. With \`register: true\` the optimiser becomes a new draft version of the model (format ${THRESHOLD_WRAPPER_FORMAT}): its inputs are the scored version's features plus the protected attribute as an integer column (the index of the row's group in the artifact's labels); it reports the scored version's probabilities and decides with the group thresholds. Registering needs models:write and, like any new version, ownership of the model or the admin role.`,
        params: modelParams,
        body: mitigationBody,
        response: { 200: mitigationResponse, ...errors },
      },
    }, async (request) => {
      const { modelId } = request.params;
      const body = request.body;
      const registering = body.register && body.method === 'threshold-optimizer';
      if (registering) await checkMayRegister(runtime, request, modelId);
      const version = await resolveModelVersion(runtime, modelId, body.version);
      if (binaryTask(version) !== 'binary') throw new HttpProblem(422, 'unsupported-task', 'Unsupported task', 'mitigation is available for binary classifiers only', { code: 'UNSUPPORTED_TASK' });
      const columns = await columnsOf(runtime, body);
      const errs = new FieldErrors();
      if (!columns.labels) errs.add('body.labels', 'is required');
      if (body.method === 'threshold-optimizer' && !columns.rows) errs.add('body.rows', 'is required: the threshold optimiser scores the rows with the model');
      errs.throwIfAny();
      const labels = columns.labels!;
      const rows = columns.rows;
      if (rows) sameLength(labels.length, rows.length, 'body.labels', errs);
      const { attributes, columns: protectedColumns } = protectedAttributes(columns.protectedInput, labels.length, rows, errs);
      const names = body.attributes ?? attributes.map((a) => a.name);
      names.forEach((name, i) => {
        if (!attributes.some((a) => a.name === name) && errs.errors.length === 0) errs.add(`body.attributes.${i}`, `is not a given protected attribute (given: ${attributes.map((a) => a.name).join(', ')})`);
      });
      const yTrue = classLabels(labels, version.record.classes ?? ['0', '1'], 'body.labels', errs);
      const features = rows && body.method === 'threshold-optimizer' ? featureMatrix(rows, version.record.inputSchema, protectedColumns, errs) : null;
      errs.throwIfAny();
      const selected = names.map((n) => attributes.find((a) => a.name === n)!);
      const wrapperColumn = selected.length === 1 ? selected[0]!.name : combineAttributes(selected).name;
      if (registering && version.record.inputSchema.some((f) => f.name === wrapperColumn)) {
        throw new HttpProblem(422, 'cannot-register', 'Cannot register', `version ${version.record.version} already has a feature named "${wrapperColumn}"; the wrapper adds the protected attribute as a column of that name`, { code: 'ATTRIBUTE_IS_FEATURE' });
      }

      const started = performance.now();
      let result: MitigationComputedData['result'];
      let rowWeights: number[] | null = null;
      if (body.method === 'reweighing') {
        const r = engineCall(() => reweigh(yTrue, selected));
        rowWeights = Array.from(r.rowWeights);
        result = { method: 'reweighing', attribute: r.attribute, baseRate: r.baseRate, cells: r.cells, groups: baseRatesByGroup(r.cells) };
      } else {
        const out = await scoreRows(runtime, version, features!, rows!.length);
        const yScore = Float64Array.from({ length: rows!.length }, (_, i) => out.probabilities![i * 2 + 1]!);
        const yPred = Uint8Array.from(out.predictions, (p) => (p === 1 ? 1 : 0));
        const attribute = selected.length === 1 ? selected[0]! : combineAttributes(selected);
        const r = engineCall(() => optimizeThresholds({ yTrue, yScore, yPred, attribute }, { constraint: body.constraint, tolerance: body.tolerance }));
        result = { method: 'threshold-optimizer', ...r };
      }
      const inputsHash = columns.inputsHash;
      const options = { attributes: names, constraint: body.method === 'threshold-optimizer' ? body.constraint : null, tolerance: body.method === 'threshold-optimizer' ? body.tolerance : null };
      const key = { modelId, modelVersion: version.record.version, method: body.method, datasetId: columns.datasetId, inputsHash, options, codeVersion: FAIRNESS_CODE_VERSION };
      const data = {
        modelId,
        modelVersion: version.record.version,
        source: 'model-rows' as const,
        datasetId: columns.datasetId,
        inputsHash,
        requestHash: sha256Of(key),
        options,
        codeVersion: FAIRNESS_CODE_VERSION,
        result,
        elapsedMs: performance.now() - started,
      };
      const recorded = await recordMitigation(runtime, request, JSON.parse(JSON.stringify(data)) as MitigationComputedData, version.versionEventId);
      const record = presentMitigation(recorded.event, recorded.reused);
      const registration = registering
        ? await registerThresholdWrapper(runtime, request, version, record)
        : body.register
          ? { registered: false, version: null, mitigationEventId: null, detail: 'reweighing produces sample weights for retraining; there is no model version to register' }
          : null;
      return { record, rowWeights, registration };
    });
  };
}

/** A model's fairness.assessed events (optionally of one version), newest first. */
/** A model's fairness assessments, newest first (those recorded by `point`, when given). */
async function assessmentsOf(runtime: Runtime, modelId: string, version: number | undefined, point: LedgerPoint | null) {
  const streamId = fairnessStreamId(modelId, '');
  const events = point ? (await streamEventsAt(runtime.store, streamId, point)).reverse() : await runtime.store.readStream(streamId, { direction: 'backwards' });
  return events.filter((e) => e.type === 'fairness.assessed' && (version === undefined || e.data.modelVersion === version)).map((e) => runtime.catalogue.upcast(e));
}

/** P(y = 1 | group) before (unweighted) and after reweighing (weighted), from the reweighing cells. */
function baseRatesByGroup(cells: z.infer<typeof reweighingResultSchema>['cells']) {
  const groups = new Map<string, { rows: number; mass: [number, number]; weighted: [number, number] }>();
  for (const c of cells) {
    const g = groups.get(c.group) ?? { rows: 0, mass: [0, 0], weighted: [0, 0] };
    g.rows += c.rows;
    g.mass[c.label] += c.mass;
    g.weighted[c.label] += c.mass * (c.weight ?? 0);
    groups.set(c.group, g);
  }
  return [...groups.entries()]
    .filter(([, g]) => g.rows > 0)
    .map(([group, g]) => ({ group, rows: g.rows, baseRateBefore: g.mass[1] / (g.mass[0] + g.mass[1]), baseRateAfter: g.weighted[1] / (g.weighted[0] + g.weighted[1]) }));
}

/**
 * Registering a mitigation adds a model version: the caller needs models:write (on top of the
 * route's assessments:run) and, as the model decider requires for any new version, to own the
 * model or be an administrator. Checked before anything is computed or recorded.
 */
async function checkMayRegister(runtime: Runtime, request: FastifyRequest, modelId: string): Promise<void> {
  const principal = principalOf(request);
  const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail);
  if (!roleHas(principal.role, 'models:write')) throw forbidden(`register: true adds a model version; the ${principal.role} role lacks the models:write permission`);
  if (principal.kind === 'api-key' && !principal.permissions.includes('models:write')) throw forbidden('register: true adds a model version; the API key was not granted the models:write permission');
  const state = await modelStateFromLedger(runtime, modelId);
  if (state.status === 'active' && state.ownerId !== principal.userId && principal.role !== 'admin') {
    throw forbidden("register: true adds a model version; only the model's owner or an administrator may do this");
  }
}

type MitigationRecord = ReturnType<typeof presentMitigation>;

/**
 * Stores the threshold optimiser of a recorded mitigation as a `raia-threshold-wrapper/v1`
 * artifact and adds it as a version of the same model (through the model decider, as the caller).
 * The wrapper's seed comes from the mitigation's request hash, so the same mitigation gives the
 * same bytes: when a version already holds them, that version is answered and none is added.
 */
async function registerThresholdWrapper(runtime: Runtime, request: FastifyRequest, wrapped: AssessedVersion, record: MitigationRecord) {
  const result = record.result;
  if (result.method !== 'threshold-optimizer') throw new Error('only a threshold optimiser can be registered');
  const { modelId } = wrapped.record;
  const artifact = result.artifact;
  const wrapper: ThresholdWrapper = {
    format: THRESHOLD_WRAPPER_FORMAT,
    wraps: { modelId, version: wrapped.record.version },
    attribute: { name: artifact.attribute, labels: artifact.labels },
    artifact,
    seed: Number.parseInt(record.requestHash.slice(0, 8), 16),
  };
  const blob = await runtime.blobs.put(Readable.from([JSON.stringify(wrapper)]), { maxBytes: runtime.config.RAIA_MAX_ARTIFACT_BYTES });
  const existing = (await runtime.store.readStream(modelStreamId(modelId))).find((e) => {
    const a = e.type === 'model.version-added' ? (e.data.artifact as { sha256: string; format: string } | null) : null;
    return a?.sha256 === blob.sha256 && a.format === THRESHOLD_WRAPPER_FORMAT;
  });
  if (existing) {
    return { registered: true, version: existing.data.version as number, mitigationEventId: record.id, detail: `version ${String(existing.data.version)} already holds this threshold optimiser; nothing was added` };
  }
  const after = result.afterExpected;
  const metrics: Record<string, number> = {
    accuracy: after.accuracy,
    accuracyRealised: result.afterRealised.accuracy,
    accuracyBefore: result.before.accuracy,
    accuracyCost: result.accuracyCost,
    ...(after.demographicParityDifference === null ? {} : { demographicParityDifference: after.demographicParityDifference }),
    ...(after.equalizedOddsDifference === null ? {} : { equalizedOddsDifference: after.equalizedOddsDifference }),
  };
  const spec: VersionSpec = {
    task: 'binary',
    classes: wrapped.record.classes ?? ['0', '1'],
    artifact: { sha256: blob.sha256, size: blob.size, format: THRESHOLD_WRAPPER_FORMAT, filename: 'threshold-wrapper.json' },
    endpoint: null,
    inputSchema: [...wrapped.record.inputSchema, { name: artifact.attribute, type: 'integer' }],
    trainingData: null,
    metrics,
    notes:
      `Threshold optimiser (${artifact.constraint}, tolerance ${artifact.tolerance}) over "${artifact.attribute}" wrapping version ${wrapped.record.version}, ` +
      `from mitigation event ${record.id} (fairness.mitigation-computed, inputs ${record.inputsHash}). ` +
      `Input "${artifact.attribute}" is the index of the row's group in [${artifact.labels.map((l) => JSON.stringify(l)).join(', ')}]. ` +
      'Probabilities are the wrapped version\'s; decisions are the group thresholds\' (metrics: expected after mitigation on the mitigation rows).',
  };
  spec.notes = spec.notes.slice(0, 5000);
  try {
    // The wrapper must load over the version it wraps before it is registered.
    await (await loadScoringModel(runtime.blobs, spec, (id, v) => versionDeclaration(runtime.store, id, v))).close();
    const added = await runModelCommand(runtime, request, modelId, { type: 'AddVersion', spec });
    const version = added.state.status === 'none' ? 0 : added.state.versions.length;
    return { registered: true, version, mitigationEventId: record.id, detail: `registered as version ${version} (draft, format ${THRESHOLD_WRAPPER_FORMAT}) wrapping version ${wrapped.record.version}` };
  } catch (error) {
    if (blob.created && !(await artifactInUse(runtime.db.knex, blob.sha256))) await runtime.blobs.delete(blob.sha256);
    if (error instanceof ModelArtifactError) throw new HttpProblem(422, 'cannot-register', 'Cannot register', `the threshold wrapper does not load: ${error.message}`, { code: 'WRAPPER_INVALID' });
    throw error;
  }
}

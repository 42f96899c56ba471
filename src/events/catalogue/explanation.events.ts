import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';
import { explanationResultSchemas } from './explanation-results.js';

export const EXPLANATION_METHODS = ['tree-path-dependent', 'tree-interventional', 'kernel', 'exact', 'permutation', 'lime', 'importance', 'partial-dependence', 'what-if'] as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const request = {
  modelId: z.uuid(),
  modelVersion: z.number().int().positive(),
  method: z.enum(EXPLANATION_METHODS),
  /** Method parameters as given (nsamples, seed, background size, feature, grid…). */
  params: z.record(z.string(), z.json()),
  /** SHA-256 of the canonical JSON of the explained rows (and of the background, when one is used). */
  rowsHash: sha256,
  backgroundHash: sha256.nullable(),
  /** The dataset the rows came from (content hash), when they came from one. */
  datasetHash: sha256.nullable(),
};

export const explanationRequested = defineEvent({
  type: 'explanation.requested',
  schemaVersion: 1,
  schema: z.object({ jobId: z.uuid(), requestKey: sha256, ...request, method: z.enum([...EXPLANATION_METHODS, 'auto']), rows: z.array(z.array(z.number().nullable())), background: z.array(z.array(z.number().nullable())).nullable() }),
  description: 'An explanation was asked for asynchronously; a processor computes it and records explanation.computed (or explanation.failed) caused by this event.',
});

export const explanationComputed = defineEvent({
  type: 'explanation.computed',
  schemaVersion: 1,
  schema: z.object({
    requestKey: sha256,
    jobId: z.uuid().nullable(),
    ...request,
    codeVersion: z.string(),
    /** margin: raw score before the link (TreeSHAP); output: the probability or value the model returns. */
    outputSpace: z.enum(['margin', 'output']),
    featureNames: z.array(z.string()),
    /** The method's result, shaped per method (explanation-results.ts): Shapley values, importance, LIME surrogates, partial dependence. */
    result: z.record(z.string(), z.json()),
    /** Checks of the result's own soundness (e.g. additivity); the deploy gate refuses a failed one. */
    failedChecks: z.array(z.string()),
    elapsedMs: z.number().nonnegative(),
  }).superRefine((data, ctx) => {
    // The result's shape follows the method (explanation-results.ts): checked here so the ledger
    // never holds a result the routes could not describe. What-if analyses are answered, not recorded:
    // the type names them only so that a record of one, if ever made, is not refused.
    if (data.method === 'what-if') return;
    const parsed = explanationResultSchemas[data.method].safeParse(data.result);
    for (const issue of parsed.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: ['result', ...issue.path], message: `${issue.message} (a ${data.method} result)` });
  }),
  description: 'An explanation of a model version on given rows, with everything needed to reproduce it; identical requests are answered from it.',
});

export const explanationFailed = defineEvent({
  type: 'explanation.failed',
  schemaVersion: 1,
  schema: z.object({ jobId: z.uuid(), requestKey: sha256, reason: z.string().max(2000) }),
  description: 'An asynchronous explanation could not be computed.',
});

export const explanationEvents = [explanationRequested, explanationComputed, explanationFailed];

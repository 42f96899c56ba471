import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { handleCommand } from '../../commands/command-handler.js';
import { DEPLOYMENT_POLICY_STREAM, deploymentPolicyDecider } from '../../commands/model/deployment-policy.js';
import { ASSESSMENT_KINDS } from '../../events/catalogue/model.events.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { assembleModelCard, modelCardMarkdown, modelCardSchema } from '../model-card.js';
import { notFound, problemSchema } from '../problem-details.js';
import { asOfQuery, ledgerPointOf } from '../as-of-query.js';
import { deploymentPolicyWithVersion } from './model-commands.js';
import { etagResponseHeader, ifMatchHeaders, preconditionOf, setETag } from '../conditional-request.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 406: problemSchema, 409: problemSchema, 412: problemSchema };
const evidenceMinimums = z
  .strictObject({
    minGroupSize: z.number().int().min(1).optional().describe('Every grouping of a fairness assessment needs two groups of at least this many rows'),
    minExplanationRows: z.number().int().min(1).optional().describe('An explanation must cover at least this many rows'),
  })
  .describe('Below these minimums an assessment is inconclusive and the deploy gate refuses it');
const evaluationRequirement = z
  .strictObject({ metric: z.string().min(1).max(100).describe('A metric id of GET /api/v1/evaluations metrics (docs/evaluations.md)'), min: z.number().optional(), max: z.number().optional() })
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'give min, max or both' });
const policySchema = z.object({
  requireFourEyes: z.boolean(),
  approverRoles: z.array(z.string()),
  requiredAssessments: z.array(z.string()),
  evidence: evidenceMinimums.optional(),
  requiredEvaluationMetrics: z.array(z.object({ metric: z.string(), min: z.number().optional(), max: z.number().optional() })).optional(),
});

/** Model cards, and the deployment policy that gates the lifecycle. */
export function modelCardRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/v1/models/:id/card', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['models'],
        summary: 'The model card, assembled from the ledger: JSON, or Markdown with Accept: text/markdown',
        params: z.strictObject({ id: z.uuid() }),
        querystring: z.strictObject(asOfQuery),
        response: { 200: z.union([modelCardSchema, z.string().describe('The card as Markdown (Accept: text/markdown)')]), ...errors },
      },
    }, async (request, reply) => {
      const point = await ledgerPointOf(runtime, request.query, reply);
      const card = await assembleModelCard(runtime, request.params.id, point);
      if (!card) throw notFound(point ? `model ${request.params.id} as of position ${point.position}` : `model ${request.params.id}`);
      const wanted = reply.request.headers.accept ?? '';
      if (/text\/markdown/.test(wanted) && !/application\/json/.test(wanted)) {
        void reply.type('text/markdown; charset=utf-8');
        return modelCardMarkdown(card);
      }
      return card;
    });

    app.get('/api/v1/policies/deployment', {
      config: { permission: 'models:read' },
      schema: { tags: ['models'], summary: 'The deployment policy in force (version 0 is the built-in default, which has no ETag)', response: { 200: z.object({ policyVersion: z.number().int(), policy: policySchema }).meta({ headers: etagResponseHeader }), ...errors } },
    }, async (_request, reply) => {
      const { policy, streamVersion } = await deploymentPolicyWithVersion(runtime);
      setETag(reply, streamVersion);
      return policy;
    });

    app.put('/api/v1/policies/deployment', {
      config: { permission: 'policies:manage' },
      schema: {
        tags: ['models'],
        summary: 'Set a new version of the deployment policy (administrators)',
        headers: ifMatchHeaders,
        body: z.strictObject({
          requireFourEyes: z.boolean(),
          approverRoles: z.array(z.enum(['admin', 'risk_officer', 'data_scientist', 'auditor', 'viewer'])).min(1),
          requiredAssessments: z.array(z.enum(ASSESSMENT_KINDS)),
          evidence: evidenceMinimums.optional(),
          requiredEvaluationMetrics: z.array(evaluationRequirement).max(50).optional().describe('Models of type llm: metrics a completed evaluation of the version must report, its mean within [min, max]'),
          rationale: z.string().trim().min(1).max(2000),
        }),
        response: { 200: z.object({ policyVersion: z.number().int(), policy: policySchema, position: z.number().int() }).meta({ headers: etagResponseHeader }), ...errors },
      },
    }, async (request, reply) => {
      const { rationale, ...policy } = request.body;
      const precondition = preconditionOf(request);
      const result = await handleCommand(runtime, deploymentPolicyDecider, DEPLOYMENT_POLICY_STREAM, { type: 'SetDeploymentPolicy', policy, rationale }, { actor: actorOf(principalOf(request)), ...(precondition ? { precondition } : {}) });
      setETag(reply, result.streamVersion);
      return { ...result.state, position: result.position };
    });
  };
}

import fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { v7 } from 'uuid';
import { loggerOptions } from '../platform/logger.js';
import { createMetrics, type Metrics } from '../platform/metrics.js';
import type { Runtime } from '../runtime.js';
import { HttpProblem, clientErrorHandler, frameworkErrors, registerProblemDetails } from './problem-details.js';
import { registerStorableInputCheck } from './storable-input.js';
import { healthRoutes } from './routes/health.routes.js';
import { metricsRoutes } from './routes/metrics.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { adminUserRoutes } from './routes/admin-users.routes.js';
import { registerAccessControl } from './auth/access-control.js';
import { ApiKeyAuthentication } from './auth/api-key-authentication.js';
import { apiKeyRoutes } from './routes/api-keys.routes.js';
import { ssoRoutes } from './routes/sso.routes.js';
import { modelRoutes } from './routes/models.routes.js';
import { modelVersionRoutes } from './routes/model-versions.routes.js';
import { modelPredictionRoutes } from './routes/model-predictions.routes.js';
import { modelCardRoutes } from './routes/model-card.routes.js';
import { explainabilityRoutes } from './routes/explainability.routes.js';
import { datasetRoutes } from './routes/datasets.routes.js';
import { dataQualityRoutes } from './routes/data-quality.routes.js';
import { driftRoutes } from './routes/drift.routes.js';
import { streamRoutes } from './routes/streams.routes.js';
import { fairnessRoutes } from './routes/fairness.routes.js';
import { privacyRoutes } from './routes/privacy.routes.js';
import { complianceRoutes } from './routes/compliance.routes.js';
import { incidentRoutes } from './routes/incidents.routes.js';
import { exportRoutes } from './routes/exports.routes.js';
import { eventRoutes } from './routes/events.routes.js';
import { notificationRoutes } from './routes/notifications.routes.js';
import { cacheRoutes } from './routes/cache.routes.js';
import { llmRoutes } from './routes/llm.routes.js';
import { chatRoutes } from './routes/chat.routes.js';
import { evaluationRoutes } from './routes/evaluations.routes.js';
import { documentRoutes } from './routes/documents.routes.js';
import { liveChannelRoutes } from './routes/live-channels.routes.js';
import { liveAnalyticsRoutes } from './routes/live-analytics.routes.js';
import { createLiveNode } from './live/live-node.js';
import { API_VERSION } from './api-version.js';
import { registerIdempotencyKeys } from './idempotency-keys.js';
import { IdempotencyStore } from '../platform/idempotency-store.js';
import { DOCS_CSP, registerSecurityHeaders } from './security-headers.js';
import { openApiTransforms } from './openapi-document.js';
import { artifactFormatRoutes } from './routes/artifact-formats.routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    runtime: Runtime;
    metrics: Metrics;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type App = FastifyInstance;

/** The HTTP API over a started runtime. Routes are registered per domain (src/api/routes). */
export async function buildApp(runtime: Runtime, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = fastify({
    logger: options.logger === false ? false : loggerOptions(runtime.config.LOG_LEVEL),
    // Accept a caller's request id for tracing across services; mint a UUID v7 otherwise.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : v7();
    },
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false } },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('runtime', runtime);
  app.decorate('metrics', createMetrics());
  registerProblemDetails(app);
  await registerSecurityHeaders(app, runtime.config);
  registerStorableInputCheck(app);
  const liveNode = createLiveNode(runtime);
  // Live connections end first: the server's close would otherwise wait on them.
  app.addHook('preClose', async () => liveNode.close());
  // Before any route is registered: each route must declare its access (onRoute check).
  registerAccessControl(app, {
    redeemTicket: (ticket) => liveNode.tickets.redeem(ticket),
    accessTokens: runtime.accessTokens,
    sessionIsActive: (id) => runtime.identity.sessions.isActive(id),
    apiKeys: new ApiKeyAuthentication(runtime.db.knex, runtime.apiKeyUsage, runtime.identity.clock),
  });

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Read-your-writes: a query may ask to wait, bounded, until the read models include a position.
  app.addHook('preHandler', async (request) => {
    const header = request.headers['x-min-position'];
    if (request.method !== 'GET' || header === undefined) return;
    const minPosition = Number(header);
    if (!Number.isSafeInteger(minPosition) || minPosition < 0) {
      throw new HttpProblem(400, 'validation-error', 'Invalid request', 'headers.x-min-position: must be a non-negative integer', {
        errors: [{ field: 'headers.x-min-position', message: 'must be a non-negative integer' }],
      });
    }
    if (!(await runtime.projections.waitFor(minPosition, runtime.config.RAIA_MIN_POSITION_WAIT_MS))) {
      throw new HttpProblem(503, 'read-model-lagging', 'Read model not caught up', `read models did not reach position ${minPosition} within ${runtime.config.RAIA_MIN_POSITION_WAIT_MS} ms`);
    }
  });
  registerIdempotencyKeys(app, new IdempotencyStore(runtime.db.knex, runtime.keys.masterKey));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    app.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    app.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'RAIA governance API',
        version: API_VERSION,
        description: 'Responsible-AI governance backend on a hash-chained, event-sourced ledger. Errors are application/problem+json (RFC 9457).',
      },
      tags: [
        { name: 'health', description: 'Liveness and dependency health' },
        { name: 'metrics', description: 'System, application and database metrics' },
        { name: 'audit', description: 'The ledger as an audit trail: logs, search, chain verification, timelines' },
        { name: 'auth', description: 'Accounts, sign-in, sessions and tokens' },
        { name: 'models', description: 'Model registry: versions, artifacts, scoring, governed lifecycle, model cards' },
        { name: 'datasets', description: 'Datasets: streamed uploads (CSV, TSV, JSON, NDJSON, Parquet), versions, profiles, previews, rule checks' },
        { name: 'data-quality', description: 'Quality score, issues, rule sets and reports' },
        { name: 'streams', description: 'Data streams: NATS JetStream subjects, signed webhooks or Kafka topics monitored in windows for quality and drift against a reference dataset' },
        { name: 'drift', description: 'Data drift detection (KS, Wasserstein, chi-square, Jensen–Shannon, PSI), reports and alerts' },
        { name: 'explainability', description: 'SHAP (tree, kernel, exact, permutation), LIME, importance, partial dependence, what-if; results recorded in the ledger' },
        { name: 'fairness', description: 'Fairness and bias: group and intersectional metrics, bias detection against a policy, mitigation (docs/fairness.md)' },
        { name: 'privacy', description: 'Data-subject rights: a person\'s data export and erasure with its impact report (docs/privacy.md)' },
        { name: 'compliance', description: 'Compliance as code: control packs (EU AI Act, NIST AI RMF, ISO/IEC 42001, custom), statements of applicability, status per model version with evidence and gaps, as of any position (docs/compliance.md)' },
        { name: 'events', description: 'External events published into the ledger; webhook subscriptions to ledger events (Standard Webhooks), their delivery log and replay (docs/webhooks.md)' },
        { name: 'notifications', description: 'Each user\'s notifications raised by rules (drift alerts, refused transitions, approvals, finished jobs), channels per kind (docs/notifications.md)' },
        { name: 'cache', description: 'The query cache (Redis or in-process): statistics, clearing a category, flushing (docs/cache.md)' },
        { name: 'incidents', description: 'Serious incidents (EU AI Act Art. 73): report, update, close; reporting deadlines and overdue flags' },
        { name: 'llm', description: 'LLM providers (OpenAI-compatible, Anthropic, offline raia-extractive) and configurations; keys sealed and masked, usage and cost (docs/llm.md)' },
        { name: 'chat', description: 'Governed chat: retrieval, prompt templates, streaming answers with citations, every turn recorded (docs/chat.md)' },
        { name: 'documents', description: 'Documents for retrieval: upload (text, Markdown, HTML, PDF, DOCX), token chunks, embeddings, hybrid search (docs/documents.md)' },
        { name: 'real-time', description: 'Live channels (WebSockets, server-sent events) fed by the ledger, and live analytics (docs/real-time.md)' },
        { name: 'evaluations', description: 'LLM and RAG evaluations: resumable runs, offline and judge metrics with receipts, cached judges, dry runs and budgets, paired comparisons (docs/evaluations.md)' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT access token, or an API key raia_<prefix>_<secret>' } } },
      security: [{ bearer: [] }],
    },
    ...openApiTransforms(runtime.config.RAIA_PUBLIC_URL),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });

  // Limits are declared per route (auth routes); the store is per process, which bounds guessing
  // per node; account lockout (user decider) bounds it per account across nodes.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new HttpProblem(429, 'rate-limited', 'Too many requests', `at most ${context.max} requests per ${context.after}; retry later`), { statusCode: 429 }),
  });
  await app.register(authRoutes(runtime.identity, runtime.accessTokens, { perMinute: runtime.config.RAIA_AUTH_RATE_LIMIT_PER_MINUTE, failedSignInFloorMs: runtime.config.RAIA_FAILED_SIGN_IN_FLOOR_MS }));
  await app.register(apiKeyRoutes(runtime.identity, runtime.apiKeyUsage, runtime.projections, { readWaitMs: runtime.config.RAIA_MIN_POSITION_WAIT_MS }));
  await app.register(
    ssoRoutes(runtime.identity, runtime.oidc, runtime.accessTokens, { perMinute: runtime.config.RAIA_AUTH_RATE_LIMIT_PER_MINUTE, secureCookies: runtime.config.RAIA_PUBLIC_URL.startsWith('https:') }),
  );
  await app.register(adminUserRoutes(runtime.identity));
  await app.register(modelRoutes(runtime));
  await app.register(modelVersionRoutes(runtime));
  await app.register(modelPredictionRoutes(runtime));
  await app.register(modelCardRoutes(runtime));
  await app.register(explainabilityRoutes(runtime));
  await app.register(datasetRoutes(runtime));
  await app.register(dataQualityRoutes(runtime));
  await app.register(driftRoutes(runtime));
  await app.register(streamRoutes(runtime));
  await app.register(fairnessRoutes(runtime));
  await app.register(privacyRoutes(runtime, runtime.exportsForSubject));
  await app.register(complianceRoutes(runtime));
  await app.register(incidentRoutes(runtime));
  await app.register(exportRoutes(runtime));
  await app.register(eventRoutes(runtime));
  await app.register(notificationRoutes(runtime));
  await app.register(cacheRoutes(runtime));
  await app.register(llmRoutes(runtime));
  await app.register(chatRoutes(runtime));
  await app.register(documentRoutes(runtime));
  await app.register(liveChannelRoutes(runtime, liveNode));
  await app.register(liveAnalyticsRoutes(runtime, liveNode));
  await app.register(evaluationRoutes(runtime));
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(auditRoutes);
  await app.register(artifactFormatRoutes);
  return app;
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { llmParametersSchema, llmPricingSchema } from '../../events/catalogue/llm.events.js';
import { createConfiguration, deleteConfiguration, presentConfiguration, testConfiguration, updateConfiguration, type LlmDependencies } from '../../processors/llm/llm-configurations.js';
import { InvalidLlmInput } from '../../processors/llm/llm-errors.js';
import { PROVIDERS } from '../../processors/llm/provider-catalogue.js';
import { chatUsage } from '../../projections/chat-sessions.projection.js';
import { listLlmConfigurations, llmConfigurationListOrder } from '../../projections/llm-configurations.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { answeringLlmProblems } from '../llm-problems.js';
import { notFound, problemSchema } from '../problem-details.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema, 502: problemSchema, 504: problemSchema };
const idParams = z.strictObject({ id: z.uuid() });

const usageTotals = z.object({ turns: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int(), costUsd: z.number() });
const configurationSchema = z
  .object({
    configurationId: z.uuid(),
    name: z.string(),
    provider: z.string(),
    model: z.string(),
    baseUrl: z.string().nullable(),
    parameters: llmParametersSchema,
    promptTemplate: z.string(),
    active: z.boolean(),
    pricing: llmPricingSchema.nullable(),
    isLanguageModel: z.boolean(),
    apiKey: z.discriminatedUnion('source', [
      z.object({ source: z.literal('none') }),
      z.object({ source: z.literal('stored'), masked: z.string().describe('The last four characters; the key itself is never returned') }),
      z.object({ source: z.literal('env'), variable: z.string() }),
    ]),
    createdBy: z.string().optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    usage: usageTotals.optional().describe('Every chat turn with this configuration, all users'),
  })
  .meta({ id: 'LlmConfiguration' });

const apiKeyField = z.string().min(8).max(1000).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const configurationFields = {
  name: z.string().trim().min(1).max(100),
  provider: z.string().min(1).max(50).describe('An id from GET /api/v1/llm/providers'),
  model: z.string().min(1).max(200),
  baseUrl: z.string().max(2000).nullable().optional().describe('Default: the provider\'s; private, loopback, link-local and metadata addresses are refused unless RAIA_LLM_ALLOWED_ADDRESSES allows them'),
  parameters: llmParametersSchema.optional(),
  promptTemplate: z.string().min(1).max(20_000).optional().describe('Placeholders {{question}} (required), {{passages}}, {{history}}'),
  active: z.boolean().optional(),
  pricing: llmPricingSchema.nullable().optional().describe('USD per million tokens; overrides the shipped price table'),
  apiKey: apiKeyField.optional().describe('Sealed at once; never returned, logged or recorded'),
  apiKeyEnv: z.string().max(100).optional().describe('Instead of apiKey: OPENAI_API_KEY, ANTHROPIC_API_KEY or RAIA_LLM_KEY_<NAME>'),
};

/** LLM providers and configurations (docs/llm.md). */
export function llmRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const deps = (): LlmDependencies => ({ store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex, apiKeys: runtime.llm.apiKeys, connections: runtime.llm.connections, env: process.env });
    const meta = (request: Parameters<typeof principalOf>[0]) => {
      const principal = principalOf(request);
      return { actor: actorOf(principal), userId: principal.userId, correlationId: request.id };
    };

    app.get('/api/v1/llm/providers', {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: 'Providers a configuration may use: wire format, default base URL, whether a key is needed, streaming, embeddings',
        response: {
          200: z.object({
            providers: z.array(
              z.object({
                id: z.string(), name: z.string(), wireFormat: z.enum(['openai', 'anthropic', 'extractive']), defaultBaseUrl: z.string().nullable(), apiKey: z.enum(['required', 'optional', 'none']),
                streaming: z.boolean(), embeddings: z.boolean(), isLanguageModel: z.boolean(), exampleModels: z.array(z.string()), notes: z.string(),
              }),
            ),
          }),
          ...errors,
        },
      },
    }, async () => ({ providers: PROVIDERS.map((p) => ({ ...p, exampleModels: [...p.exampleModels] })) }));

    app.get('/api/v1/llm/configurations', {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: 'LLM configurations (keys masked) by name unless sorted otherwise, each with its usage and cost; `usage` lists usage and cost per configuration and user',
        querystring: z.strictObject({ userId: z.string().max(100).optional().describe('Narrow `usage` to one user'), configurationId: z.uuid().optional().describe('Narrow `usage` to one configuration'), ...pageQuery(100), ...sortQueryOf(llmConfigurationListOrder) }),
        response: {
          200: z.object({
            configurations: z.array(configurationSchema),
            ...pageFields,
            usage: z.array(usageTotals.extend({ configurationId: z.uuid().nullable().describe('null: the built-in raia-extractive default'), userId: z.string() })),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const { userId, configurationId, ...page } = request.query;
      const [{ configurations: records, total }, usage] = await Promise.all([listLlmConfigurations(runtime.db.knex, page), chatUsage(runtime.db.knex, { ...(userId ? { userId } : {}), ...(configurationId ? { configurationId } : {}) })]);
      const perConfiguration = new Map<string | null, { turns: number; inputTokens: number; outputTokens: number; costUsd: number }>();
      for (const u of await chatUsage(runtime.db.knex)) {
        const total = perConfiguration.get(u.configurationId) ?? { turns: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
        perConfiguration.set(u.configurationId, { turns: total.turns + u.turns, inputTokens: total.inputTokens + u.inputTokens, outputTokens: total.outputTokens + u.outputTokens, costUsd: total.costUsd + u.costUsd });
      }
      return {
        configurations: records.map((r) => ({ ...presentConfiguration(r), usage: perConfiguration.get(r.configurationId) ?? { turns: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } })),
        ...pageOf(page, total),
        usage,
      };
    });

    app.post('/api/v1/llm/configurations', {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Create an LLM configuration (recorded as llm.configuration-created; the API key is sealed outside the ledger)',
        body: z.strictObject(configurationFields),
        response: { 201: z.object({ configurationId: z.uuid(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const created = await answeringLlmProblems(() => createConfiguration(deps(), request.body, meta(request)));
      void reply.status(201).header('location', `/api/v1/llm/configurations/${created.configurationId}`);
      return created;
    });

    app.put('/api/v1/llm/configurations/:id', {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Change an LLM configuration: only the fields given; `apiKey` replaces the key (the old one is destroyed), null removes it',
        description: 'Changing the provider or base URL of a configuration that has a key needs the key (or its variable) given again.',
        params: idParams,
        body: z.strictObject({ ...configurationFields, name: configurationFields.name.optional(), provider: configurationFields.provider.optional(), model: configurationFields.model.optional(), apiKey: apiKeyField.nullable().optional() }),
        response: { 200: z.object({ configurationId: z.uuid(), changed: z.boolean(), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const updated = await answeringLlmProblems(() => updateConfiguration(deps(), request.params.id, request.body, meta(request)));
      if (!updated) throw notFound(`configuration ${request.params.id}`);
      return updated;
    });

    app.delete('/api/v1/llm/configurations/:id', {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Delete an LLM configuration (recorded; its stored key is destroyed); turns that used it keep naming it',
        params: idParams,
        response: { 200: z.object({ configurationId: z.uuid(), deleted: z.literal(true), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const deleted = await answeringLlmProblems(() => deleteConfiguration(deps(), request.params.id, meta(request)));
      if (!deleted) throw notFound(`configuration ${request.params.id}`);
      return { ...deleted, deleted: true as const };
    });

    app.post('/api/v1/llm/test-configuration', {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Call a provider for real, with a saved configuration (`configurationId`) or an unsaved one: latency, resolved model, usage and cost, or the provider\'s error',
        description: 'Records nothing. A provider failure answers 502 (504 on timeout) with `failure` (rate-limited, upstream-error, rejected-request, malformed-response, unreachable…), `upstreamStatus` and the provider\'s message.',
        body: z.strictObject({
          configurationId: z.uuid().optional(),
          ...configurationFields,
          name: configurationFields.name.optional(),
          provider: configurationFields.provider.optional(),
          model: configurationFields.model.optional(),
        }),
        response: {
          200: z.object({
            ok: z.literal(true),
            provider: z.string(),
            model: z.string(),
            resolvedModel: z.string(),
            isLanguageModel: z.boolean(),
            latencyMs: z.number(),
            usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
            costUsd: z.number().nullable(),
            reply: z.string(),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const { configurationId, provider, model, ...rest } = request.body;
      const outcome = await answeringLlmProblems(async () => {
        if (configurationId) return testConfiguration(deps(), { configurationId });
        const missing = [...(provider ? [] : [{ field: 'body.provider', message: 'is required without configurationId' }]), ...(model ? [] : [{ field: 'body.model', message: 'is required without configurationId' }])];
        if (missing.length > 0) throw new InvalidLlmInput(missing);
        return testConfiguration(deps(), { ...rest, name: rest.name ?? 'test', provider: provider!, model: model! });
      });
      return { ok: true as const, ...outcome };
    });
  };
}

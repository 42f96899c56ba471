import { randomUUID } from 'node:crypto';
import type { Actor } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import { handleCommand } from '../../commands/command-handler.js';
import { CommandRefused } from '../../commands/decider.js';
import {
  llmConfigurationDecider,
  llmConfigurationStreamId,
  type ApiKeyReference,
  type LlmConfigurationEvent,
  type LlmConfigurationFields,
  type LlmConfigurationState,
  type LlmParameters,
  type LlmPricing,
} from '../../commands/llm-configuration/llm-configuration.decider.js';
import { llmConfigurationNamed, type LlmConfigurationRecord } from '../../projections/llm-configurations.projection.js';
import { DEFAULT_PROMPT_TEMPLATE, promptTemplateProblems } from '../chat/prompt-template.js';
import { InvalidLlmInput, LlmApiKeyUnavailable, LlmConfigurationNotFound } from './llm-errors.js';
import type { LlmApiKeyVault } from './llm-api-key-vault.js';
import { costOf, priceOf } from './llm-pricing.js';
import type { TokenUsage } from './llm-provider.js';
import { providerById } from './provider-catalogue.js';
import type { ProviderConnections } from './provider-connections.js';

export type LlmDependencies = {
  store: EventStore;
  catalogue: EventCatalogue;
  knex: Knex;
  apiKeys: LlmApiKeyVault;
  connections: ProviderConnections;
  /** Where `apiKeyEnv` names are looked up (process.env). */
  env: Readonly<Record<string, string | undefined>>;
};

/** What a caller gives; the key as itself (`apiKey`, sealed at once) or as an environment variable's name. */
export type ConfigurationInput = {
  name: string;
  provider: string;
  model: string;
  baseUrl?: string | null;
  parameters?: LlmParameters;
  promptTemplate?: string;
  active?: boolean;
  pricing?: LlmPricing | null;
  apiKey?: string | null;
  apiKeyEnv?: string;
};

/**
 * Environment variables a configuration may name for its key. Not any variable: a configuration
 * naming DATABASE_URL with a base URL of its author's would send that secret out.
 */
export const API_KEY_ENV_NAME = /^(OPENAI_API_KEY|ANTHROPIC_API_KEY|RAIA_LLM_KEY_[A-Z0-9_]{1,80})$/;

type Draft = Omit<LlmConfigurationFields, 'apiKey'> & { apiKey: ApiKeyReference | { source: 'new'; value: string } };

/** Every reason the draft cannot be saved, by field; resolves the base URL's addresses. */
async function problemsOf(deps: LlmDependencies, draft: Draft, checkAddress: boolean): Promise<{ field: string; message: string }[]> {
  const problems: { field: string; message: string }[] = [];
  const described = providerById(draft.provider);
  if (!described) return [{ field: 'body.provider', message: `unknown provider ${draft.provider}; see GET /api/v1/llm/providers` }];
  if (described.wireFormat === 'extractive') {
    if (draft.baseUrl !== null) problems.push({ field: 'body.baseUrl', message: `${draft.provider} runs in process and takes no base URL` });
    if (draft.apiKey.source !== 'none') problems.push({ field: 'body.apiKey', message: `${draft.provider} takes no API key` });
  } else {
    const baseUrl = draft.baseUrl ?? described.defaultBaseUrl;
    if (!baseUrl) problems.push({ field: 'body.baseUrl', message: `is required for provider ${draft.provider}` });
    else if (checkAddress) {
      const refusal = await deps.connections.baseUrlRefusal(baseUrl);
      if (refusal) problems.push({ field: 'body.baseUrl', message: refusal });
    }
    if (described.apiKey === 'required' && draft.apiKey.source === 'none') problems.push({ field: 'body.apiKey', message: `is required for provider ${draft.provider} (or name an environment variable in apiKeyEnv)` });
  }
  if (draft.apiKey.source === 'env' && !API_KEY_ENV_NAME.test(draft.apiKey.variable)) {
    problems.push({ field: 'body.apiKeyEnv', message: 'must be OPENAI_API_KEY, ANTHROPIC_API_KEY or RAIA_LLM_KEY_<NAME>' });
  }
  for (const message of promptTemplateProblems(draft.promptTemplate)) problems.push({ field: 'body.promptTemplate', message });
  return problems;
}

function keyOf(input: Pick<ConfigurationInput, 'apiKey' | 'apiKeyEnv'>): Draft['apiKey'] | undefined {
  if (input.apiKey !== undefined && input.apiKeyEnv !== undefined) throw new InvalidLlmInput([{ field: 'body.apiKeyEnv', message: 'give either apiKey or apiKeyEnv, not both' }]);
  if (input.apiKeyEnv !== undefined) return { source: 'env', variable: input.apiKeyEnv };
  if (input.apiKey === null) return { source: 'none' };
  if (input.apiKey !== undefined) return { source: 'new', value: input.apiKey };
  return undefined;
}

async function assertNameFree(deps: LlmDependencies, name: string, configurationId: string) {
  const taken = await llmConfigurationNamed(deps.knex, name);
  if (taken && taken.configurationId !== configurationId) throw new CommandRefused('CONFIGURATION_NAME_TAKEN', [`a configuration named ${name} exists`], 409, 'name');
}

/** The configuration as its stream says (not the read model, which may lag behind a write just made). */
export async function currentConfiguration(deps: Pick<LlmDependencies, 'store' | 'catalogue'>, configurationId: string): Promise<LlmConfigurationState> {
  let state = llmConfigurationDecider.initialState();
  for (const e of await deps.store.readStream(llmConfigurationStreamId(configurationId))) state = llmConfigurationDecider.evolve(state, deps.catalogue.upcast(e) as unknown as LlmConfigurationEvent);
  return state;
}

/** Seals a new key (if any) and gives the reference to record; `discard` undoes it when recording fails. */
async function sealKey(deps: LlmDependencies, configurationId: string, key: Draft['apiKey']): Promise<{ reference: ApiKeyReference; discard(): Promise<void> }> {
  if (key.source !== 'new') return { reference: key, discard: async () => undefined };
  const { secretId, hint } = await deps.apiKeys.store(configurationId, key.value);
  return { reference: { source: 'stored', secretId, hint }, discard: () => deps.apiKeys.destroySecret(secretId) };
}

export async function createConfiguration(deps: LlmDependencies, input: ConfigurationInput, meta: { actor: Actor; userId: string; correlationId?: string }) {
  const configurationId = randomUUID();
  const draft: Draft = {
    name: input.name.trim(),
    provider: input.provider,
    model: input.model,
    baseUrl: input.baseUrl ?? null,
    parameters: input.parameters ?? {},
    promptTemplate: input.promptTemplate ?? DEFAULT_PROMPT_TEMPLATE,
    active: input.active ?? true,
    pricing: input.pricing ?? null,
    apiKey: keyOf(input) ?? { source: 'none' },
  };
  const problems = await problemsOf(deps, draft, true);
  if (problems.length > 0) throw new InvalidLlmInput(problems);
  await assertNameFree(deps, draft.name, configurationId);
  const key = await sealKey(deps, configurationId, draft.apiKey);
  try {
    const result = await handleCommand(deps, llmConfigurationDecider, llmConfigurationStreamId(configurationId), { type: 'CreateConfiguration', configurationId, createdBy: meta.userId, ...draft, apiKey: key.reference }, meta);
    return { configurationId, position: result.position };
  } catch (error) {
    await key.discard();
    throw error;
  }
}

export async function updateConfiguration(deps: LlmDependencies, configurationId: string, input: Partial<ConfigurationInput>, meta: { actor: Actor; userId: string; correlationId?: string }) {
  const current = await currentConfiguration(deps, configurationId);
  if (current.status !== 'live') return null;
  const newKey = keyOf(input);
  const draft: Draft = {
    name: input.name?.trim() ?? current.name,
    provider: input.provider ?? current.provider,
    model: input.model ?? current.model,
    baseUrl: input.baseUrl !== undefined ? input.baseUrl : current.baseUrl,
    parameters: input.parameters ?? current.parameters,
    promptTemplate: input.promptTemplate ?? current.promptTemplate,
    active: input.active ?? current.active,
    pricing: input.pricing !== undefined ? input.pricing : current.pricing,
    apiKey: newKey ?? current.apiKey,
  };
  const redirected = draft.baseUrl !== current.baseUrl || draft.provider !== current.provider;
  const problems = await problemsOf(deps, draft, redirected);
  if (problems.length > 0) throw new InvalidLlmInput(problems);
  if (input.name !== undefined) await assertNameFree(deps, draft.name, configurationId);
  const key = newKey ? await sealKey(deps, configurationId, newKey) : null;
  const changes: Partial<LlmConfigurationFields> = {
    ...(input.name !== undefined ? { name: draft.name } : {}),
    ...(input.provider !== undefined ? { provider: draft.provider } : {}),
    ...(input.model !== undefined ? { model: draft.model } : {}),
    ...(input.baseUrl !== undefined ? { baseUrl: draft.baseUrl } : {}),
    ...(input.parameters !== undefined ? { parameters: draft.parameters } : {}),
    ...(input.promptTemplate !== undefined ? { promptTemplate: draft.promptTemplate } : {}),
    ...(input.active !== undefined ? { active: draft.active } : {}),
    ...(input.pricing !== undefined ? { pricing: draft.pricing } : {}),
    ...(key ? { apiKey: key.reference } : {}),
  };
  try {
    const result = await handleCommand(deps, llmConfigurationDecider, llmConfigurationStreamId(configurationId), { type: 'UpdateConfiguration', changes, updatedBy: meta.userId }, meta);
    // The replaced key is destroyed once the new reference is recorded.
    if (key) await deps.apiKeys.destroy(configurationId, key.reference.source === 'stored' ? key.reference.secretId : undefined);
    return { configurationId, position: result.position, changed: result.events.length > 0 };
  } catch (error) {
    await key?.discard();
    throw error;
  }
}

export async function deleteConfiguration(deps: LlmDependencies, configurationId: string, meta: { actor: Actor; userId: string; correlationId?: string }) {
  const current = await currentConfiguration(deps, configurationId);
  if (current.status !== 'live') return null;
  const result = await handleCommand(deps, llmConfigurationDecider, llmConfigurationStreamId(configurationId), { type: 'DeleteConfiguration', deletedBy: meta.userId }, meta);
  await deps.apiKeys.destroy(configurationId);
  return { configurationId, position: result.position };
}

/** The key to send, or null for none; never logged, never returned. */
export async function apiKeyOf(deps: Pick<LlmDependencies, 'apiKeys' | 'env'>, configurationId: string, reference: ApiKeyReference): Promise<string | null> {
  switch (reference.source) {
    case 'none':
      return null;
    case 'env': {
      const value = deps.env[reference.variable];
      if (!value) throw new LlmApiKeyUnavailable(`the environment variable ${reference.variable} holding this configuration's API key is not set`);
      return value;
    }
    case 'stored': {
      const value = await deps.apiKeys.open(configurationId, reference.secretId);
      if (!value) throw new LlmApiKeyUnavailable('this configuration\'s stored API key is gone; give it again');
      return value;
    }
  }
}

/** A configuration as responses show it: the key masked (its last four characters) or named by variable. */
export function presentConfiguration(record: LlmConfigurationRecord) {
  const { apiKey, position: _position, deletedAt: _deletedAt, ...rest } = record;
  const described = providerById(record.provider);
  return {
    ...rest,
    isLanguageModel: described?.isLanguageModel ?? true,
    apiKey: apiKey.source === 'stored' ? { source: 'stored' as const, masked: apiKey.hint } : apiKey.source === 'env' ? { source: 'env' as const, variable: apiKey.variable } : { source: 'none' as const },
  };
}

export type TestOutcome = { provider: string; model: string; resolvedModel: string; isLanguageModel: boolean; latencyMs: number; usage: TokenUsage; costUsd: number | null; reply: string };

/**
 * Calls the provider for real with a one-line request: its latency, the model that answered and
 * the usage, or its error (a ProviderError, which the route turns into problem+json). Records nothing.
 */
export async function testConfiguration(deps: LlmDependencies, target: { configurationId: string } | ConfigurationInput, signal?: AbortSignal): Promise<TestOutcome> {
  let fields: Omit<LlmConfigurationFields, 'apiKey' | 'active' | 'name'>;
  let apiKey: string | null;
  if ('configurationId' in target) {
    const current = await currentConfiguration(deps, target.configurationId);
    if (current.status !== 'live') throw new LlmConfigurationNotFound(target.configurationId);
    fields = current;
    apiKey = await apiKeyOf(deps, target.configurationId, current.apiKey);
  } else {
    const key = keyOf(target) ?? { source: 'none' as const };
    const draft: Draft = { name: target.name || 'test', provider: target.provider, model: target.model, baseUrl: target.baseUrl ?? null, parameters: target.parameters ?? {}, promptTemplate: target.promptTemplate ?? DEFAULT_PROMPT_TEMPLATE, active: true, pricing: target.pricing ?? null, apiKey: key };
    const problems = await problemsOf(deps, draft, true);
    if (problems.length > 0) throw new InvalidLlmInput(problems);
    fields = draft;
    apiKey = key.source === 'new' ? key.value : key.source === 'env' ? await apiKeyOf(deps, 'draft', key) : null;
  }
  const provider = deps.connections.chatProvider(fields, apiKey);
  const started = performance.now();
  const answer = await provider.complete({
    model: fields.model,
    messages: [{ role: 'user', content: 'Reply with the single word OK.' }],
    parameters: { ...fields.parameters, maxTokens: Math.min(fields.parameters.maxTokens ?? 16, 16) },
    grounding: { question: 'Is the configuration working?', passages: [{ documentId: 'test', chunkId: 'test', score: 1, text: 'The configuration is working.' }] },
    ...(signal ? { signal } : {}),
  });
  const latencyMs = Math.round((performance.now() - started) * 100) / 100;
  return {
    provider: fields.provider,
    model: fields.model,
    resolvedModel: answer.resolvedModel,
    isLanguageModel: providerById(fields.provider)?.isLanguageModel ?? true,
    latencyMs,
    usage: answer.usage,
    costUsd: costOf(answer.usage, priceOf(answer.resolvedModel, fields.pricing) ?? priceOf(fields.model, fields.pricing)),
    reply: answer.text.slice(0, 500),
  };
}

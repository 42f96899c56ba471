import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';
import { credential } from '../field-classification.js';

const configurationId = z.uuid();

/** Generation parameters, as each wire format maps them (src/processors/llm). */
export const llmParametersSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(200_000).optional(),
  topP: z.number().gt(0).max(1).optional(),
  stop: z.array(z.string().min(1).max(100)).max(4).optional(),
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
});

export const llmPricingSchema = z.strictObject({ inputPerMillion: z.number().min(0).max(10_000), outputPerMillion: z.number().min(0).max(10_000) });

/**
 * Where a configuration's API key is: nowhere, sealed outside the ledger (raia_llm_api_keys, under a
 * key derived from the master key) and named here by id, or in an environment variable named here.
 * The key itself is never in an event; `hint` (its last four characters) is a credential field, never disclosed.
 */
export const llmApiKeyReferenceSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('none') }),
  z.object({ source: z.literal('stored'), secretId: z.uuid(), hint: credential(z.string().max(8)) }),
  z.object({ source: z.literal('env'), variable: z.string().regex(/^[A-Z][A-Z0-9_]{0,99}$/) }),
]);

const configurationFields = {
  name: z.string().min(1).max(100),
  provider: z.string().min(1).max(50),
  model: z.string().min(1).max(200),
  baseUrl: z.url().nullable(),
  parameters: llmParametersSchema,
  /** Placeholders {{question}}, {{passages}}, {{history}} (src/processors/chat/prompt-template.ts). */
  promptTemplate: z.string().min(1).max(20_000),
  active: z.boolean(),
  /** Overrides the shipped price table for this configuration. */
  pricing: llmPricingSchema.nullable(),
  apiKey: llmApiKeyReferenceSchema,
};

export const llmConfigurationCreated = defineEvent({
  type: 'llm.configuration-created',
  schemaVersion: 1,
  schema: z.object({ configurationId, ...configurationFields, createdBy: z.string().min(1) }),
  description: 'An LLM configuration (provider, model, parameters, prompt template) was created; its API key is referenced, never included.',
});

export const llmConfigurationUpdated = defineEvent({
  type: 'llm.configuration-updated',
  schemaVersion: 1,
  schema: z.object({
    configurationId,
    ...Object.fromEntries(Object.entries(configurationFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof configurationFields]: z.ZodOptional<(typeof configurationFields)[K]> },
    updatedBy: z.string().min(1),
  }),
  description: 'Fields of an LLM configuration changed (only the changed fields are listed); a replaced API key shows as a new reference.',
});

export const llmConfigurationDeleted = defineEvent({
  type: 'llm.configuration-deleted',
  schemaVersion: 1,
  schema: z.object({ configurationId, deletedBy: z.string().min(1) }),
  description: 'An LLM configuration was deleted; its stored API key was destroyed. Chat turns that used it keep naming it.',
});

export const llmEvents = [llmConfigurationCreated, llmConfigurationUpdated, llmConfigurationDeleted];

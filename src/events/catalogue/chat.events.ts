import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';
import { personal } from '../field-classification.js';
import { llmParametersSchema } from './llm.events.js';
import { sealedField } from './user.events.js';

const sessionId = z.uuid();
/** null: the built-in offline configuration (raia-extractive), used when no configuration is named. */
const configurationId = z.uuid().nullable();

export const chatSessionStarted = defineEvent({
  type: 'chat.session-started',
  schemaVersion: 1,
  schema: z.object({ sessionId, userId: z.string().min(1), configurationId }),
  description: 'A user started a chat session with an LLM configuration.',
});

export const chatTurnRecorded = defineEvent({
  type: 'chat.turn-recorded',
  schemaVersion: 1,
  schema: z.object({
    sessionId,
    turnId: z.uuid(),
    userId: z.string().min(1),
    configurationId,
    provider: z.string(),
    model: z.string(),
    /** The model the provider says answered. */
    resolvedModel: z.string(),
    isLanguageModel: z.boolean(),
    parameters: llmParametersSchema,
    /** SHA-256 of the template the prompt was built from (the template itself is in the configuration's events). */
    promptTemplateSha256: z.string().regex(/^[0-9a-f]{64}$/),
    retrieval: z.object({
      k: z.number().int().min(0),
      filter: z.record(z.string(), z.string()).nullable(),
      passages: z.array(z.object({ documentId: z.string(), chunkId: z.string(), score: z.number() })),
    }),
    usage: z.object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() }),
    costUsd: z.number().nonnegative().nullable(),
    latencyMs: z.object({ total: z.number().nonnegative(), retrieval: z.number().nonnegative(), provider: z.number().nonnegative() }),
    streamed: z.boolean(),
    /** The user's words, the prompt sent and the answer: sealed under the user's key, so erasing the user erases them. */
    question: personal(sealedField),
    prompt: personal(sealedField),
    answer: personal(sealedField),
  }),
  description: 'One chat turn: the passages retrieved, the model and parameters used, usage, cost and latency; question, prompt and answer sealed for the user.',
});

export const chatSessionDeleted = defineEvent({
  type: 'chat.session-deleted',
  schemaVersion: 1,
  schema: z.object({ sessionId, userId: z.string().min(1), deletedBy: z.string().min(1), reason: z.enum(['deleted', 'cleared']) }),
  description: 'A chat session was deleted (alone, or with all of its user\'s sessions by a clear); its turns stay in the ledger for audit.',
});

export const chatEvents = [chatSessionStarted, chatTurnRecorded, chatSessionDeleted];

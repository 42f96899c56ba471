import { createHash, randomUUID } from 'node:crypto';
import type { Actor, StoredEvent } from '../../events/envelope.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import { handleCommand } from '../../commands/command-handler.js';
import { chatSessionDecider, chatSessionStreamId, type ChatSessionEvent, type ChatSessionState } from '../../commands/chat-session/chat-session.decider.js';
import type { LlmConfigurationFields } from '../../commands/llm-configuration/llm-configuration.decider.js';
import { EXTRACTIVE_MODEL } from '../llm/extractive-provider.js';
import { ChatSessionNotFound, InvalidLlmInput } from '../llm/llm-errors.js';
import { apiKeyOf, currentConfiguration, type LlmDependencies } from '../llm/llm-configurations.js';
import { costOf, priceOf } from '../llm/llm-pricing.js';
import type { ChatCompletion, ChatRequest, Passage } from '../llm/llm-provider.js';
import { providerById } from '../llm/provider-catalogue.js';
import type { PassageRetriever } from './passage-retriever.js';
import { DEFAULT_PROMPT_TEMPLATE, SYSTEM_PROMPT, renderPrompt } from './prompt-template.js';

export type ChatDependencies = LlmDependencies & { vault: PersonalDataVault; retriever: PassageRetriever };

/** Used when a turn names no configuration: works on a fresh machine, with no provider. */
export const BUILT_IN_CONFIGURATION: Omit<LlmConfigurationFields, 'name' | 'active'> = {
  provider: 'raia-extractive',
  model: EXTRACTIVE_MODEL,
  baseUrl: null,
  parameters: {},
  promptTemplate: DEFAULT_PROMPT_TEMPLATE,
  pricing: null,
  apiKey: { source: 'none' },
};

/** Turns of the session put into the prompt's {{history}}. */
const HISTORY_TURNS = 5;

export const NOT_A_LANGUAGE_MODEL = 'Answered by raia-extractive, which is not a language model: the answer quotes the retrieved passages.';
export const NO_PASSAGES = 'No passages were retrieved for this question.';

export type TurnInput = {
  userId: string;
  actor: Actor;
  correlationId?: string;
  message: string;
  sessionId?: string;
  /** For a new session; a continued session keeps its own. null or absent: the built-in offline configuration. */
  configurationId?: string | null;
  k: number;
  filter?: Record<string, string>;
  signal?: AbortSignal;
  /** Streams the answer: called with each piece as the provider sends it (and with the passages first). */
  stream?: { onPassages(sessionId: string, citations: Citation[]): void; onDelta(text: string): void };
};

export type Citation = { n: number; documentId: string; chunkId: string; score: number; cited: boolean };

export type TurnResult = {
  sessionId: string;
  turnId: string;
  answer: string;
  citations: Citation[];
  provider: string;
  model: string;
  resolvedModel: string;
  isLanguageModel: boolean;
  notices: string[];
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number | null;
  latencyMs: { total: number; retrieval: number; provider: number };
  position: number;
};

const ms = (from: number) => Math.round((performance.now() - from) * 100) / 100;

/**
 * The session's owner, configuration and last turns, from its stream (not the read model, which
 * may not have caught up with the turn just before); null when it does not exist or was deleted.
 */
async function sessionOf(deps: ChatDependencies, sessionId: string): Promise<{ userId: string; configurationId: string | null; history: { question: string; answer: string }[]; events: StoredEvent[] } | null> {
  const decider = chatSessionDecider(sessionId);
  let state: ChatSessionState = decider.initialState();
  const events = await deps.store.readStream(chatSessionStreamId(sessionId));
  for (const e of events) state = decider.evolve(state, deps.catalogue.upcast(e) as unknown as ChatSessionEvent);
  if (state.status !== 'open') return null;
  const recent = await deps.vault.reveal(events.filter((e) => e.type === 'chat.turn-recorded').slice(-HISTORY_TURNS));
  const history = recent.map((e) => ({ question: String((e.data as { question: unknown }).question), answer: String((e.data as { answer: unknown }).answer) }));
  return { userId: state.userId, configurationId: state.configurationId, history, events };
}

/**
 * One chat turn: retrieve passages, fill the configuration's prompt template, call its provider
 * (streaming when asked), and record the turn (model, parameters, passages, usage, cost, latency,
 * and question, prompt and answer sealed under the user's key) as chat.turn-recorded.
 * Everything the caller got wrong is refused before the provider is called; a provider failure
 * records nothing.
 */
export async function chatTurn(deps: ChatDependencies, input: TurnInput): Promise<TurnResult> {
  const started = performance.now();
  let sessionId = input.sessionId;
  let configurationId = input.configurationId ?? null;
  let history: { question: string; answer: string }[] = [];
  // The session's stream as read here, so recording the turn does not read it again (a new session's is empty).
  let stream: StoredEvent[] = [];
  if (sessionId) {
    const session = await sessionOf(deps, sessionId);
    if (!session || session.userId !== input.userId) throw new ChatSessionNotFound(sessionId);
    if (input.configurationId !== undefined && input.configurationId !== session.configurationId) {
      throw new InvalidLlmInput([{ field: 'body.configurationId', message: 'a session keeps the configuration it started with; start a new session for another' }]);
    }
    configurationId = session.configurationId;
    history = session.history;
    stream = session.events;
  } else sessionId = randomUUID();

  let configuration = BUILT_IN_CONFIGURATION;
  if (configurationId) {
    const current = await currentConfiguration(deps, configurationId);
    if (current.status !== 'live') throw new InvalidLlmInput([{ field: 'body.configurationId', message: `configuration ${configurationId} does not exist` }]);
    if (!current.active) throw new InvalidLlmInput([{ field: 'body.configurationId', message: `configuration ${current.name} is not active` }]);
    configuration = current;
  }
  const apiKey = await apiKeyOf(deps, configurationId ?? 'built-in', configuration.apiKey);
  const provider = deps.connections.chatProvider(configuration, apiKey);
  const isLanguageModel = providerById(configuration.provider)?.isLanguageModel ?? true;

  const retrievalStarted = performance.now();
  const passages: Passage[] = input.k === 0 ? [] : (await deps.retriever({ text: input.message, k: input.k, ...(input.filter ? { filter: input.filter } : {}) })).slice(0, input.k);
  const retrievalMs = ms(retrievalStarted);
  const prompt = renderPrompt(configuration.promptTemplate, { question: input.message, passages, history });
  const request: ChatRequest = {
    model: configuration.model,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: prompt },
    ],
    parameters: configuration.parameters,
    grounding: { question: input.message, passages },
    ...(input.signal ? { signal: input.signal } : {}),
  };
  const citationsFor = (answer: string) => passages.map((p, i) => ({ n: i + 1, documentId: p.documentId, chunkId: p.chunkId, score: p.score, cited: answer.includes(`[${i + 1}]`) }));

  const providerStarted = performance.now();
  let completion: ChatCompletion;
  if (input.stream) {
    input.stream.onPassages(sessionId, citationsFor(''));
    let done: ChatCompletion | null = null;
    for await (const event of provider.stream(request)) {
      if (event.type === 'delta') input.stream.onDelta(event.text);
      else done = event.completion;
    }
    if (!done) throw new Error('the provider stream ended without its completion');
    completion = done;
  } else completion = await provider.complete(request);
  const providerMs = ms(providerStarted);

  const costUsd = costOf(completion.usage, priceOf(configuration.model, configuration.pricing) ?? priceOf(completion.resolvedModel, configuration.pricing));
  const [question, sealedPrompt, answer] = await deps.vault.sealBatch([
    { subjectId: input.userId, value: input.message },
    { subjectId: input.userId, value: prompt },
    { subjectId: input.userId, value: completion.text },
  ]);
  const turnId = randomUUID();
  const latencyMs = { total: ms(started), retrieval: retrievalMs, provider: providerMs };
  const recorded = await handleCommand(
    deps,
    chatSessionDecider(sessionId),
    chatSessionStreamId(sessionId),
    {
      type: 'RecordTurn',
      userId: input.userId,
      configurationId,
      turn: {
        turnId,
        provider: configuration.provider,
        model: configuration.model,
        resolvedModel: completion.resolvedModel,
        isLanguageModel,
        parameters: configuration.parameters,
        promptTemplateSha256: createHash('sha256').update(configuration.promptTemplate).digest('hex'),
        retrieval: { k: input.k, filter: input.filter ?? null, passages: passages.map(({ documentId, chunkId, score }) => ({ documentId, chunkId, score })) },
        usage: completion.usage,
        costUsd,
        latencyMs,
        streamed: Boolean(input.stream),
        question: question!,
        prompt: sealedPrompt!,
        answer: answer!,
      },
    },
    { actor: input.actor, stream, ...(input.correlationId ? { correlationId: input.correlationId } : {}) },
  );
  return {
    sessionId,
    turnId,
    answer: completion.text,
    citations: citationsFor(completion.text),
    provider: configuration.provider,
    model: configuration.model,
    resolvedModel: completion.resolvedModel,
    isLanguageModel,
    notices: [...(isLanguageModel ? [] : [NOT_A_LANGUAGE_MODEL]), ...(passages.length === 0 ? [NO_PASSAGES] : [])],
    usage: completion.usage,
    costUsd,
    latencyMs,
    position: recorded.position,
  };
}

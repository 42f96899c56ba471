/** What every chat provider (remote wire format or the offline extractive one) takes and gives. */

export type ChatRole = 'system' | 'user' | 'assistant';
export type ChatMessage = { role: ChatRole; content: string };

/** Generation parameters a configuration may set; each wire format maps them to its own names. */
export type ChatParameters = {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
  /** Per-attempt time limit for this configuration, overriding RAIA_LLM_TIMEOUT_MS. */
  timeoutMs?: number;
};

/** A retrieved passage, as the chat service hands it to providers that answer from passages. */
export type Passage = { documentId: string; chunkId: string; text: string; score: number };

export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  parameters: ChatParameters;
  /** The question and its passages as such, for providers that do not read prompts (raia-extractive). */
  grounding?: { question: string; passages: Passage[] };
  signal?: AbortSignal;
};

export type TokenUsage = { inputTokens: number; outputTokens: number };

export type ChatCompletion = {
  text: string;
  /** The model the provider says answered (may differ from the one asked for: aliases, deployments). */
  resolvedModel: string;
  usage: TokenUsage;
  finishReason: string | null;
};

export type ChatStreamEvent = { type: 'delta'; text: string } | { type: 'done'; completion: ChatCompletion };

export type ChatProvider = {
  complete(request: ChatRequest): Promise<ChatCompletion>;
  /** Text deltas as the provider sends them, then one `done` with the whole completion and usage. */
  stream(request: ChatRequest): AsyncIterable<ChatStreamEvent>;
};

export type EmbeddingResult = { vectors: number[][]; resolvedModel: string; usage: { inputTokens: number } };

export type EmbeddingProvider = {
  embed(request: { model: string; input: string[]; signal?: AbortSignal }): Promise<EmbeddingResult>;
};

export type ProviderFailure =
  | 'timeout'
  | 'rate-limited'
  | 'upstream-error'
  | 'malformed-response'
  | 'unreachable'
  | 'refused-address'
  | 'cancelled'
  | 'rejected-request';

/**
 * A provider call that did not produce an answer. The message names the endpoint by origin and
 * path only and quotes at most the provider's own error text: never headers, so never a key.
 */
export class ProviderError extends Error {
  constructor(
    public readonly failure: ProviderFailure,
    message: string,
    public readonly upstreamStatus: number | null = null,
    public readonly attempts = 1,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

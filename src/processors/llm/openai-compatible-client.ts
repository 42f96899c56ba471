import { z } from 'zod';
import type { ChatCompletion, ChatProvider, ChatRequest, ChatStreamEvent, EmbeddingProvider, EmbeddingResult } from './llm-provider.js';
import { ProviderError } from './llm-provider.js';
import { endpointName, type ProviderHttp } from './provider-http.js';
import { providerJson } from './provider-json.js';
import { pushedStream } from './pushed-stream.js';
import { sseEvents } from './sse-events.js';

/**
 * The OpenAI chat completions and embeddings wire format, spoken by OpenAI and by Ollama, vLLM,
 * the llama.cpp server and Hugging Face TGI: `POST <base>/chat/completions`, `POST <base>/embeddings`,
 * with `<base>` ending in `/v1`.
 */
export type OpenAiCompatibleOptions = { baseUrl: string; apiKey: string | null };

const usageSchema = z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative().optional() }).nullish();
const completionSchema = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }), finish_reason: z.string().nullish() })).min(1),
  usage: usageSchema,
});
const chunkSchema = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ delta: z.object({ content: z.string().nullish() }).optional(), finish_reason: z.string().nullish() })).optional(),
  usage: usageSchema,
});
const embeddingsSchema = z.object({
  model: z.string().optional(),
  data: z.array(z.object({ index: z.number().int(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).nullish(),
});

const endpoint = (base: string, path: string) => new URL(`${base.replace(/\/+$/, '')}/${path}`);

export function openAiCompatibleClient(http: ProviderHttp, options: OpenAiCompatibleOptions): ChatProvider & EmbeddingProvider {
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
  const body = (request: ChatRequest, stream: boolean) =>
    JSON.stringify({
      model: request.model,
      messages: request.messages,
      ...(request.parameters.temperature !== undefined ? { temperature: request.parameters.temperature } : {}),
      ...(request.parameters.maxTokens !== undefined ? { max_tokens: request.parameters.maxTokens } : {}),
      ...(request.parameters.topP !== undefined ? { top_p: request.parameters.topP } : {}),
      ...(request.parameters.stop?.length ? { stop: request.parameters.stop } : {}),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });

  return {
    async complete(request) {
      const url = endpoint(options.baseUrl, 'chat/completions');
      return http.send(url, { method: 'POST', headers, body: body(request, false), signal: request.signal, timeoutMs: request.parameters.timeoutMs }, async (response) => {
        const answer = providerJson(completionSchema, await response.text(), url);
        const choice = answer.choices[0]!;
        return {
          text: choice.message.content ?? '',
          resolvedModel: answer.model ?? request.model,
          usage: { inputTokens: answer.usage?.prompt_tokens ?? 0, outputTokens: answer.usage?.completion_tokens ?? 0 },
          finishReason: choice.finish_reason ?? null,
        } satisfies ChatCompletion;
      });
    },

    stream(request): AsyncGenerator<ChatStreamEvent> {
      const url = endpoint(options.baseUrl, 'chat/completions');
      // The HTTP policy owns the attempt (time limits, retries before the first byte); deltas are handed over as they come.
      return pushedStream<ChatStreamEvent>((emit) =>
        http.send(url, { method: 'POST', headers: { ...headers, accept: 'text/event-stream' }, body: body(request, true), signal: request.signal, timeoutMs: request.parameters.timeoutMs }, async (response, idle) => {
          let text = '';
          let resolvedModel = request.model;
          let usage = { inputTokens: 0, outputTokens: 0 };
          let finishReason: string | null = null;
          for await (const event of sseEvents(response, idle)) {
            if (event.data === '[DONE]') break;
            const chunk = providerJson(chunkSchema, event.data, url);
            if (chunk.model) resolvedModel = chunk.model;
            if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens ?? 0 };
            for (const choice of chunk.choices ?? []) {
              if (choice.finish_reason) finishReason = choice.finish_reason;
              const piece = choice.delta?.content;
              if (piece) {
                text += piece;
                emit({ type: 'delta', text: piece });
              }
            }
          }
          emit({ type: 'done', completion: { text, resolvedModel, usage, finishReason } });
        }),
      );
    },

    async embed(request): Promise<EmbeddingResult> {
      const url = endpoint(options.baseUrl, 'embeddings');
      return http.send(url, { method: 'POST', headers, body: JSON.stringify({ model: request.model, input: request.input }), signal: request.signal }, async (response) => {
        const answer = providerJson(embeddingsSchema, await response.text(), url);
        if (answer.data.length !== request.input.length) throw new ProviderError('malformed-response', `${endpointName(url)} returned ${answer.data.length} embeddings for ${request.input.length} inputs`);
        const vectors = [...answer.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        return { vectors, resolvedModel: answer.model ?? request.model, usage: { inputTokens: answer.usage?.prompt_tokens ?? 0 } };
      });
    },
  };
}

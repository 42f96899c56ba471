import { z } from 'zod';
import type { ChatCompletion, ChatProvider, ChatRequest, ChatStreamEvent } from './llm-provider.js';
import { ProviderError } from './llm-provider.js';
import { endpointName, type ProviderHttp } from './provider-http.js';
import { providerJson } from './provider-json.js';
import { pushedStream } from './pushed-stream.js';
import { sseEvents } from './sse-events.js';

/** The Anthropic Messages wire format: `POST <base>/v1/messages`, `x-api-key`, `anthropic-version: 2023-06-01`. */
export type AnthropicOptions = { baseUrl: string; apiKey: string | null };

const ANTHROPIC_VERSION = '2023-06-01';
/** Messages requires max_tokens; this is used when a configuration sets none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

const messageSchema = z.object({
  model: z.string().optional(),
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullish(),
  usage: z.object({ input_tokens: z.number().int().nonnegative(), output_tokens: z.number().int().nonnegative() }).optional(),
});
const streamEventSchema = z.object({
  type: z.string(),
  message: z.object({ model: z.string().optional(), usage: z.object({ input_tokens: z.number().int().nonnegative().optional(), output_tokens: z.number().int().nonnegative().optional() }).optional() }).optional(),
  delta: z.object({ type: z.string().optional(), text: z.string().optional(), stop_reason: z.string().nullish() }).optional(),
  usage: z.object({ output_tokens: z.number().int().nonnegative().optional(), input_tokens: z.number().int().nonnegative().nullish() }).optional(),
  error: z.object({ type: z.string().optional(), message: z.string().optional() }).optional(),
});

export function anthropicMessagesClient(http: ProviderHttp, options: AnthropicOptions): ChatProvider {
  const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/v1/messages`);
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'anthropic-version': ANTHROPIC_VERSION, ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}) };
  const body = (request: ChatRequest, stream: boolean) => {
    // Messages takes the system prompt apart from the turns, which must be user/assistant only.
    const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
    return JSON.stringify({
      model: request.model,
      max_tokens: request.parameters.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      ...(system ? { system } : {}),
      messages: request.messages.filter((m) => m.role !== 'system'),
      ...(request.parameters.temperature !== undefined ? { temperature: request.parameters.temperature } : {}),
      ...(request.parameters.topP !== undefined ? { top_p: request.parameters.topP } : {}),
      ...(request.parameters.stop?.length ? { stop_sequences: request.parameters.stop } : {}),
      ...(stream ? { stream: true } : {}),
    });
  };

  return {
    async complete(request) {
      return http.send(url, { method: 'POST', headers, body: body(request, false), signal: request.signal, timeoutMs: request.parameters.timeoutMs }, async (response) => {
        const answer = providerJson(messageSchema, await response.text(), url);
        return {
          text: answer.content.filter((b) => b.type === 'text').map((b) => b.text ?? '').join(''),
          resolvedModel: answer.model ?? request.model,
          usage: { inputTokens: answer.usage?.input_tokens ?? 0, outputTokens: answer.usage?.output_tokens ?? 0 },
          finishReason: answer.stop_reason ?? null,
        } satisfies ChatCompletion;
      });
    },

    stream(request): AsyncGenerator<ChatStreamEvent> {
      return pushedStream<ChatStreamEvent>((emit) =>
        http.send(url, { method: 'POST', headers: { ...headers, accept: 'text/event-stream' }, body: body(request, true), signal: request.signal, timeoutMs: request.parameters.timeoutMs }, async (response, idle) => {
          let text = '';
          let resolvedModel = request.model;
          let inputTokens = 0;
          let outputTokens = 0;
          let finishReason: string | null = null;
          for await (const sse of sseEvents(response, idle)) {
            if (sse.event === 'ping') continue;
            const event = providerJson(streamEventSchema, sse.data, url);
            switch (event.type) {
              case 'message_start':
                resolvedModel = event.message?.model ?? resolvedModel;
                inputTokens = event.message?.usage?.input_tokens ?? 0;
                outputTokens = event.message?.usage?.output_tokens ?? 0;
                break;
              case 'content_block_delta':
                if (event.delta?.type === 'text_delta' && event.delta.text) {
                  text += event.delta.text;
                  emit({ type: 'delta', text: event.delta.text });
                }
                break;
              case 'message_delta':
                // Cumulative counts (the API reference: usage in message_delta is the running total).
                if (event.usage?.output_tokens !== undefined) outputTokens = event.usage.output_tokens;
                if (event.usage?.input_tokens != null) inputTokens = event.usage.input_tokens;
                finishReason = event.delta?.stop_reason ?? finishReason;
                break;
              case 'error':
                throw new ProviderError(event.error?.type === 'overloaded_error' ? 'upstream-error' : 'rejected-request', `${endpointName(url)} stream failed: ${event.error?.message ?? 'error event'}`);
              default:
                break;
            }
          }
          emit({ type: 'done', completion: { text, resolvedModel, usage: { inputTokens, outputTokens }, finishReason } });
        }),
      );
    },
  };
}

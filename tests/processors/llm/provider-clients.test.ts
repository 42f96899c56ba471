import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anthropicMessagesClient } from '../../../src/processors/llm/anthropic-messages-client.js';
import { extractiveAnswer, extractiveProvider, EXTRACTIVE_LABEL } from '../../../src/processors/llm/extractive-provider.js';
import { costOf, priceOf } from '../../../src/processors/llm/llm-pricing.js';
import { ProviderError, type ChatProvider, type ChatRequest, type ChatStreamEvent } from '../../../src/processors/llm/llm-provider.js';
import { openAiCompatibleClient } from '../../../src/processors/llm/openai-compatible-client.js';
import { OutboundAddressPolicy } from '../../../src/platform/outbound-address-policy.js';
import { createProviderHttp, retryAfterMs, type ProviderHttp, type ProviderHttpPolicy } from '../../../src/processors/llm/provider-http.js';
import { MOCK, MockLlmProvider } from '../../support/mock-llm-provider.js';

const loopback = new OutboundAddressPolicy(['127.0.0.0/8']);
const policy: ProviderHttpPolicy = { timeoutMs: 2000, maxRetries: 2, backoffMs: 10, maxWaitMs: 5000 };

const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Answer from the passages.' },
    { role: 'user', content: 'How long are records kept?' },
  ],
  parameters: { temperature: 0.2, maxTokens: 64 },
  ...over,
});

async function collect(stream: AsyncIterable<ChatStreamEvent>) {
  const deltas: string[] = [];
  let done: ChatStreamEvent | null = null;
  for await (const e of stream) if (e.type === 'delta') deltas.push(e.text); else done = e;
  return { deltas, done: done as Extract<ChatStreamEvent, { type: 'done' }> };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('LLM provider clients against a mock provider on loopback', () => {
  const mock = new MockLlmProvider();
  let http: ProviderHttp;
  let openai: ReturnType<typeof openAiCompatibleClient>;
  let anthropic: ChatProvider;

  beforeAll(async () => {
    await mock.start();
    http = createProviderHttp(policy, loopback);
    openai = openAiCompatibleClient(http, { baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-test-openai' });
    anthropic = anthropicMessagesClient(http, { baseUrl: mock.baseUrl, apiKey: 'sk-ant-test' });
  });
  afterEach(() => mock.reset());
  afterAll(async () => {
    await http.close();
    await mock.close();
  });

  it('OpenAI format: sends model, messages and mapped parameters with a bearer key; reads text, resolved model and usage', async () => {
    const answer = await openai.complete(request({ parameters: { temperature: 0.2, maxTokens: 64, topP: 0.9, stop: ['END'] } }));
    expect(answer).toEqual({ text: MOCK.text, resolvedModel: MOCK.openAiModel, usage: { inputTokens: 11, outputTokens: 7 }, finishReason: 'stop' });
    expect(mock.requests).toHaveLength(1);
    const sent = mock.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test-openai');
    expect(sent.body).toEqual({ model: 'gpt-4o-mini', messages: request().messages, temperature: 0.2, max_tokens: 64, top_p: 0.9, stop: ['END'] });
  });

  it('OpenAI format: streams the deltas as sent and takes usage from the include_usage chunk', async () => {
    const { deltas, done } = await collect(openai.stream(request()));
    expect(deltas).toEqual(MOCK.pieces);
    expect(done.completion).toEqual({ text: MOCK.text, resolvedModel: MOCK.openAiModel, usage: { inputTokens: 11, outputTokens: 7 }, finishReason: 'stop' });
    expect(mock.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('OpenAI format: embeddings come back in input order whatever order the server lists them in', async () => {
    const result = await openai.embed({ model: 'text-embedding-3-small', input: ['one two three', 'x'] });
    expect(result.vectors).toEqual([[13, 2, 1], [1, 0, 1]]);
    expect(result.usage.inputTokens).toBe(4);
    expect(mock.requests[0]!.path).toBe('/v1/embeddings');
  });

  it('Anthropic format: system prompt apart, x-api-key and version headers, max_tokens always sent', async () => {
    const answer = await anthropic.complete(request({ parameters: {} }));
    expect(answer).toEqual({ text: MOCK.text, resolvedModel: MOCK.anthropicModel, usage: { inputTokens: 11, outputTokens: 7 }, finishReason: 'end_turn' });
    const sent = mock.requests[0]!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({ model: 'gpt-4o-mini', max_tokens: 1024, system: 'Answer from the passages.', messages: [{ role: 'user', content: 'How long are records kept?' }] });
  });

  it('Anthropic format: streams text deltas, skips pings, output tokens from message_delta', async () => {
    const { deltas, done } = await collect(anthropic.stream(request()));
    expect(deltas).toEqual(MOCK.pieces);
    expect(done.completion).toEqual({ text: MOCK.text, resolvedModel: MOCK.anthropicModel, usage: { inputTokens: 11, outputTokens: 7 }, finishReason: 'end_turn' });
  });

  it('429 with retry-after: waits that long, then succeeds on the retry', async () => {
    mock.enqueue({ status: 429, headers: { 'retry-after': '1' } });
    const started = performance.now();
    const answer = await openai.complete(request());
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(answer.text).toBe(MOCK.text);
    expect(mock.requests).toHaveLength(2);
  });

  it('429 asking for a longer wait than the policy allows fails at once as rate-limited', async () => {
    mock.enqueue({ status: 429, headers: { 'retry-after': '120' } });
    const error = await failure(openai.complete(request()));
    expect(error.failure).toBe('rate-limited');
    expect(error.upstreamStatus).toBe(429);
    expect(mock.requests).toHaveLength(1);
  });

  it('500s are retried with backoff up to the limit, then reported with the provider message', async () => {
    mock.enqueue({ status: 500 }, { status: 503 });
    expect((await anthropic.complete(request())).text).toBe(MOCK.text);
    expect(mock.requests).toHaveLength(3);
    mock.reset();
    mock.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
    const error = await failure(openai.complete(request()));
    expect(error).toMatchObject({ failure: 'upstream-error', upstreamStatus: 500, attempts: 3 });
    expect(error.message).toContain('scripted 500');
    expect(mock.requests).toHaveLength(3);
  });

  it('a 400 or 401 is not retried, and the key never appears in the error', async () => {
    mock.enqueue({ status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided' } }) });
    const error = await failure(openai.complete(request()));
    expect(error).toMatchObject({ failure: 'rejected-request', upstreamStatus: 401 });
    expect(error.message).toContain('Incorrect API key provided');
    expect(error.message).not.toContain('sk-test-openai');
    expect(mock.requests).toHaveLength(1);
  });

  it('malformed JSON, or JSON of another shape, is a malformed-response error', async () => {
    mock.enqueue({ status: 200, body: '{"choices": [ oops' });
    expect((await failure(openai.complete(request()))).failure).toBe('malformed-response');
    mock.enqueue({ status: 200, body: JSON.stringify({ choices: [] }) });
    expect((await failure(openai.complete(request()))).failure).toBe('malformed-response');
    mock.enqueue({ status: 200, body: JSON.stringify({ content: 'not an array' }) });
    expect((await failure(anthropic.complete(request()))).failure).toBe('malformed-response');
  });

  it('a slow answer times out per attempt and is retried; past the retries it is a timeout', async () => {
    mock.enqueue({ delayMs: 400 }, { delayMs: 400 }, { delayMs: 400 });
    const started = performance.now();
    const error = await failure(openai.complete(request({ parameters: { timeoutMs: 100 } })));
    expect(error).toMatchObject({ failure: 'timeout', attempts: 3 });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('a stream that stalls between chunks longer than the limit times out', async () => {
    mock.enqueue({ chunkDelayMs: 300 }, { chunkDelayMs: 300 }, { chunkDelayMs: 300 });
    const error = await failure(collect(openai.stream(request({ parameters: { timeoutMs: 150 } }))));
    expect(error.failure).toBe('timeout');
  });

  it('a stream whose chunks keep coming within the limit completes although the whole takes longer', async () => {
    mock.enqueue({ chunkDelayMs: 60 });
    const { done } = await collect(anthropic.stream(request({ parameters: { timeoutMs: 150 } })));
    expect(done.completion.text).toBe(MOCK.text);
  });

  it('an AbortSignal cancels the call in flight and no retry follows', async () => {
    mock.enqueue({ delayMs: 1000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(openai.complete(request({ signal: controller.signal })));
    expect(error.failure).toBe('cancelled');
    expect(mock.requests).toHaveLength(1);
  });

  it('refuses loopback unless allowed, before sending anything', async () => {
    const strict = createProviderHttp(policy, new OutboundAddressPolicy([]));
    try {
      const client = openAiCompatibleClient(strict, { baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-test-openai' });
      expect((await failure(client.complete(request()))).failure).toBe('refused-address');
      const byName = openAiCompatibleClient(strict, { baseUrl: `${mock.baseUrl.replace('127.0.0.1', 'localhost')}/v1`, apiKey: 'sk-test-openai' });
      expect((await failure(byName.complete(request()))).failure).toBe('refused-address');
      expect(mock.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});

describe('address guard', () => {
  const guard = new OutboundAddressPolicy([]);
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'], // AWS/GCP/Azure metadata
    ['100.100.100.200', 'carrierGradeNat'], // Alibaba metadata
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00:ec2::254', 'uniqueLocal'], // AWS IPv6 metadata
    ['fe80::1', 'linkLocal'],
    ['::ffff:127.0.0.1', 'loopback'], // v4-mapped
  ])('refuses %s (%s)', (address, range) => {
    expect(guard.addressRefusal(address)).toContain(range);
  });
  it('lets public addresses through', () => {
    expect(guard.addressRefusal('93.184.216.34')).toBeNull();
    expect(guard.addressRefusal('2606:2800:220:1:248:1893:25c8:1946')).toBeNull();
  });
  it('lets the operator allow a private range', () => {
    const allowing = new OutboundAddressPolicy(['10.0.0.0/8']);
    expect(allowing.addressRefusal('10.1.2.3')).toBeNull();
    expect(allowing.addressRefusal('192.168.1.1')).not.toBeNull();
  });
  it('checks what a name resolves to', async () => {
    expect(await guard.hostRefusal('localhost')).toMatch(/^localhost resolves to .*loopback/);
    expect(await guard.hostRefusal('[::1]')).toContain('loopback');
  });
});

describe('retry-after', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});

describe('price table', () => {
  it('prices a call by the published per-million rates (gpt-4o-mini: $0.15 in, $0.60 out)', () => {
    // 11 × 0.15 + 7 × 0.60 = 5.85 millionths of a dollar.
    expect(costOf({ inputTokens: 11, outputTokens: 7 }, priceOf('gpt-4o-mini', null))).toBe(0.00000585);
    expect(priceOf('gpt-4o-mini-2024-07-18', null)).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
    expect(priceOf('gpt-4o-2024-08-06', null)).toEqual({ inputPerMillion: 2.5, outputPerMillion: 10 });
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 0 }, priceOf('my-local-model', { inputPerMillion: 1, outputPerMillion: 2 }))).toBe(1);
    expect(costOf({ inputTokens: 5, outputTokens: 5 }, priceOf('unknown-model', null))).toBeNull();
  });
});

describe('raia-extractive', () => {
  const passages = [
    { documentId: 'd1', chunkId: 'c1', score: 0.9, text: 'Records are kept for five years. Backups run nightly.' },
    { documentId: 'd2', chunkId: 'c7', score: 0.5, text: 'Retention of records ends after five years of inactivity.\nThe office is in Paris.' },
  ];
  it('quotes the sentences sharing most question terms, with passage numbers, and says it is not a language model', () => {
    // Terms of the question: records, kept, five, years. Sentence 1 of passage 1 has all four; passage 2's first sentence
    // has records, five, years (3); the others share none.
    expect(extractiveAnswer('How long are records kept? Five years?', passages)).toBe(
      `${EXTRACTIVE_LABEL}\nRecords are kept for five years. [1]\nRetention of records ends after five years of inactivity. [2]`,
    );
  });
  it('is deterministic and streams the same text it completes', async () => {
    const req = request({ grounding: { question: 'records kept', passages } });
    const a = await extractiveProvider.complete(req);
    const { deltas, done } = await collect(extractiveProvider.stream(req));
    expect(deltas.join('')).toBe(a.text);
    expect(done.completion).toEqual(a);
    expect(a.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });
  it('says so when there are no passages', () => {
    expect(extractiveAnswer('anything', [])).toBe(`${EXTRACTIVE_LABEL}\nNo passages were retrieved for this question, so there is nothing to answer from.`);
  });
});

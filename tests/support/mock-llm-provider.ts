import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer; unset fields take the default answer of the path asked. */
export type MockReply = {
  status?: number;
  headers?: Record<string, string>;
  /** A raw body (e.g. malformed JSON); otherwise the default answer for the path. */
  body?: string;
  /** Wait before sending the status line. */
  delayMs?: number;
  /** Wait between streamed events (after the first). */
  chunkDelayMs?: number;
};

export type RecordedRequest = { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> };

/** Fixed answers, so tests can state expected text, usage and cost by hand. */
export const MOCK = {
  openAiModel: 'mock-gpt-2024-01-01',
  anthropicModel: 'mock-claude-2024-01-01',
  text: 'Retention is five years [1].',
  pieces: ['Retention', ' is five', ' years [1].'],
  inputTokens: 11,
  outputTokens: 7,
};

/**
 * A provider on loopback speaking both wire formats (OpenAI chat completions + embeddings,
 * Anthropic Messages), streaming or not, with a script of replies for failures (429 with
 * retry-after, 500, malformed JSON, slow answers). The real HTTP path of the clients is what runs.
 */
export class MockLlmProvider {
  readonly requests: RecordedRequest[] = [];
  private readonly script: MockReply[] = [];
  private server!: Server;
  baseUrl = '';
  /**
   * Answers OpenAI chat completions (not streamed) by content when it returns text: judges and
   * answerers scripted by what they are asked, whatever order concurrent calls arrive in.
   */
  chatReply: ((body: Record<string, unknown>) => string | undefined) | null = null;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next requests get these replies, in order; then the default answers again. */
  enqueue(...replies: MockReply[]): void {
    this.script.push(...replies);
  }

  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push({ path, headers: req.headers, body });
    const reply = this.script.shift() ?? {};
    if (reply.delayMs) await pause(reply.delayMs);
    if (res.destroyed) return;
    if (reply.status !== undefined || reply.body !== undefined) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? JSON.stringify({ error: { message: `scripted ${reply.status}` } }));
      return;
    }
    const stream = body.stream === true;
    if (path.endsWith('/embeddings')) return json(res, embeddings(body));
    if (path.endsWith('/chat/completions')) return stream ? sse(res, openAiEvents(), reply.chunkDelayMs) : json(res, openAiCompletion(this.chatReply?.(body) ?? MOCK.text));
    if (path.endsWith('/v1/messages')) return stream ? sse(res, anthropicEvents(), reply.chunkDelayMs) : json(res, anthropicMessage());
    void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${path}` } }));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (res: ServerResponse, value: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));

async function sse(res: ServerResponse, events: { event?: string; data: string }[], chunkDelayMs = 0) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [i, e] of events.entries()) {
    if (i > 0 && chunkDelayMs) await pause(chunkDelayMs);
    if (res.destroyed) return;
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`);
  }
  res.end();
}

const openAiCompletion = (text: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: MOCK.openAiModel,
  choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  usage: { prompt_tokens: MOCK.inputTokens, completion_tokens: MOCK.outputTokens, total_tokens: MOCK.inputTokens + MOCK.outputTokens },
});

function openAiEvents() {
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({ data: JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: MOCK.openAiModel, choices: [{ index: 0, delta, finish_reason: finish }] }) });
  return [
    chunk({ role: 'assistant', content: '' }, null),
    ...MOCK.pieces.map((p) => chunk({ content: p }, null)),
    chunk({}, 'stop'),
    // stream_options.include_usage: a last chunk with no choices and the usage.
    { data: JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: MOCK.openAiModel, choices: [], usage: { prompt_tokens: MOCK.inputTokens, completion_tokens: MOCK.outputTokens, total_tokens: 18 } }) },
    { data: '[DONE]' },
  ];
}

const anthropicMessage = () => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: MOCK.anthropicModel,
  content: [{ type: 'text', text: MOCK.text }],
  stop_reason: 'end_turn',
  usage: { input_tokens: MOCK.inputTokens, output_tokens: MOCK.outputTokens },
});

function anthropicEvents() {
  const e = (event: string, data: Record<string, unknown>) => ({ event, data: JSON.stringify({ type: event, ...data }) });
  return [
    e('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: MOCK.anthropicModel, content: [], usage: { input_tokens: MOCK.inputTokens, output_tokens: 1 } } }),
    e('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    { event: 'ping', data: JSON.stringify({ type: 'ping' }) },
    ...MOCK.pieces.map((p) => e('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } })),
    e('content_block_stop', { index: 0 }),
    e('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: MOCK.outputTokens } }),
    e('message_stop', {}),
  ];
}

function embeddings(body: Record<string, unknown>) {
  const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
  // A vector anyone can recompute: [length, number of spaces, 1].
  return {
    object: 'list',
    model: String(body.model),
    // Out of order on purpose: clients must place each by its index.
    data: input.map((s, index) => ({ object: 'embedding', index, embedding: [s.length, s.split(' ').length - 1, 1] })).reverse(),
    usage: { prompt_tokens: input.reduce((n, s) => n + s.split(' ').length, 0), total_tokens: 0 },
  };
}

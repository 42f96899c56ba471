import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eraseSubject } from '../../src/commands/privacy/erase-subject.js';
import type { Role } from '../../src/api/permissions.js';
import type { PassageQuery, PassageRetriever } from '../../src/processors/chat/passage-retriever.js';
import { EXTRACTIVE_LABEL } from '../../src/processors/llm/extractive-provider.js';
import { MOCK, MockLlmProvider } from '../support/mock-llm-provider.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Real passages and a small retriever of the test's own over them (the documents capability is
 * not on this branch): score = distinct question words the passage shares / distinct question
 * words, stop words left out; passages sharing none are not returned; `filter` matches metadata.
 */
const CORPUS = [
  { documentId: 'policy-retention', chunkId: 'c1', department: 'legal', text: 'Personal records are kept for five years after the contract ends. Paper copies are shredded.' },
  { documentId: 'policy-security', chunkId: 'c4', department: 'it', text: 'Access to records requires two-factor authentication. Logs are kept for one year.' },
  { documentId: 'handbook', chunkId: 'c9', department: 'hr', text: 'The cafeteria opens at eight.' },
];
const STOP = new Set(['how', 'are', 'the', 'a', 'for', 'to', 'is', 'of', 'at', 'what']);
const words = (s: string) => new Set((s.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOP.has(w)));
const queries: PassageQuery[] = [];
const testRetriever: PassageRetriever = async (query) => {
  queries.push(query);
  const q = words(query.text);
  return CORPUS.filter((p) => !query.filter || Object.entries(query.filter).every(([k, v]) => (p as Record<string, string>)[k] === v))
    .map((p) => ({ documentId: p.documentId, chunkId: p.chunkId, text: p.text, score: [...words(p.text)].filter((w) => q.has(w)).length / q.size }))
    .filter((p) => p.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, query.k);
};

const QUESTION = 'How long are personal records kept?';

async function sseEvents(res: Response) {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      return { event: event!, data: JSON.parse(data!) as Json };
    });
}

describe.each(['postgres', 'pglite'] as const)('chat over HTTP on %s', (dialect) => {
  const mock = new MockLlmProvider();
  let server: TestServer;
  let base: string;
  let alice: { userId: string; headers: Record<string, string> };
  let bob: { userId: string; headers: Record<string, string> };
  let scientist: Record<string, string>;
  let openaiConfig: string;
  let anthropicConfig: string;

  const userWith = async (role: Role) => {
    const userId = randomUUID();
    const { sessionId } = await server.runtime.identity.sessions.create(userId, 'vitest');
    return { userId, headers: { authorization: `Bearer ${await server.runtime.accessTokens.issue({ userId, role, sessionId })}` } };
  };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = alice.headers) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as Json };
  };
  const head = async () => (await server.runtime.store.head()).position;
  const after = (position: number, headers = alice.headers) => ({ ...headers, 'x-min-position': String(position) });

  beforeAll(async () => {
    await mock.start();
    server = await startTestServer(dialect, { RAIA_LLM_ALLOWED_ADDRESSES: '127.0.0.1/32', RAIA_LLM_MAX_RETRIES: '1', RAIA_LLM_TIMEOUT_MS: '2000' });
    server.runtime.llm.retriever = testRetriever;
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    alice = await userWith('data_scientist');
    bob = await userWith('risk_officer');
    scientist = (await userWith('data_scientist')).headers;
    const a = await call('POST', '/api/v1/llm/configurations', { name: 'Mock OpenAI', provider: 'openai-compatible', model: 'llama', baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-chat-test-key-0001', pricing: { inputPerMillion: 1, outputPerMillion: 2 }, parameters: { temperature: 0 } }, scientist);
    const b = await call('POST', '/api/v1/llm/configurations', { name: 'Mock Claude', provider: 'anthropic', model: 'claude-3-5-haiku-latest', baseUrl: mock.baseUrl, apiKey: 'sk-chat-test-key-0002' }, scientist);
    expect([a.status, b.status]).toEqual([201, 201]);
    openaiConfig = a.body.configurationId;
    anthropicConfig = b.body.configurationId;
  });
  afterEach(() => {
    mock.reset();
    queries.length = 0;
    server.runtime.llm.retriever = testRetriever;
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
    await mock.close();
  });

  it('answers offline with the built-in raia-extractive: quoted sentences, citations, labelled as not a language model', async () => {
    const res = await call('POST', '/api/v1/chat', { message: QUESTION });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Passages: retention (3 of 4 question words: 0.75), security (records, kept: 0.5); the handbook shares none.
    // Sentences by shared words with the question (long, personal, records, kept): 3, then 1 and 1; in reading order.
    expect(res.body.answer).toBe(`${EXTRACTIVE_LABEL}\nPersonal records are kept for five years after the contract ends. [1]\nAccess to records requires two-factor authentication. [2]\nLogs are kept for one year. [2]`);
    expect(res.body.citations).toEqual([
      { n: 1, documentId: 'policy-retention', chunkId: 'c1', score: 0.75, cited: true },
      { n: 2, documentId: 'policy-security', chunkId: 'c4', score: 0.5, cited: true },
    ]);
    expect(res.body).toMatchObject({ provider: 'raia-extractive', model: 'raia-extractive-1', isLanguageModel: false, usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0 });
    expect(res.body.notices.join(' ')).toContain('not a language model');
    expect(queries).toEqual([{ text: QUESTION, k: 5 }]);
  });

  it('says so when no passages were retrieved (the runtime default until documents are wired)', async () => {
    server.runtime.llm.retriever = async () => [];
    const res = await call('POST', '/api/v1/chat', { message: QUESTION });
    expect(res.body.citations).toEqual([]);
    expect(res.body.notices).toContain('No passages were retrieved for this question.');
    expect(res.body.answer).toContain('No passages were retrieved');
  });

  it('a turn with a configured provider: prompt from the template with passages and history, answer, usage and cost; the session continues', async () => {
    const first = await call('POST', '/api/v1/chat', { message: QUESTION, configurationId: openaiConfig, filter: { department: 'legal' } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    // 11 × $1/M + 7 × $2/M.
    expect(first.body).toMatchObject({ answer: MOCK.text, provider: 'openai-compatible', model: 'llama', resolvedModel: MOCK.openAiModel, isLanguageModel: true, usage: { inputTokens: 11, outputTokens: 7 }, costUsd: 0.000025, notices: [] });
    expect(first.body.citations).toEqual([{ n: 1, documentId: 'policy-retention', chunkId: 'c1', score: 0.75, cited: true }]);
    expect(queries[0]).toEqual({ text: QUESTION, k: 5, filter: { department: 'legal' } });
    const sent = mock.requests[0]!.body as { messages: { role: string; content: string }[]; temperature: number };
    expect(sent.temperature).toBe(0);
    const prompt = sent.messages.find((m) => m.role === 'user')!.content;
    expect(prompt).toContain('[1] (document policy-retention, chunk c1, score 0.750)\nPersonal records are kept for five years');
    expect(prompt).toContain(`Question: ${QUESTION}`);
    expect(prompt).toContain('Conversation so far:\n(none)');

    const second = await call('POST', '/api/v1/chat', { message: 'And paper copies?', sessionId: first.body.sessionId }, after(first.body.position));
    expect(second.body.sessionId).toBe(first.body.sessionId);
    const followUp = (mock.requests[1]!.body as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === 'user')!.content;
    expect(followUp).toContain(`User: ${QUESTION}\nAssistant: ${MOCK.text}`);

    const history = await call('GET', `/api/v1/chat/sessions/${first.body.sessionId}/history`, undefined, after(second.body.position));
    expect(history.status).toBe(200);
    expect(history.body.turns.map((t: Json) => [t.question, t.answer])).toEqual([[QUESTION, MOCK.text], ['And paper copies?', MOCK.text]]);
    expect(history.body.turns[0]).toMatchObject({ model: 'llama', resolvedModel: MOCK.openAiModel, citations: [{ documentId: 'policy-retention', chunkId: 'c1', score: 0.75 }], usage: { inputTokens: 11, outputTokens: 7 }, costUsd: 0.000025 });
    expect(history.body.session).toMatchObject({ sessionId: first.body.sessionId, configurationId: openaiConfig, turns: 2 });

    // Someone else's session is not there for them.
    expect((await call('GET', `/api/v1/chat/sessions/${first.body.sessionId}/history`, undefined, bob.headers)).status).toBe(404);
    const before = await head();
    expect((await call('POST', '/api/v1/chat', { message: 'hi', sessionId: first.body.sessionId }, bob.headers)).status).toBe(404);
    expect(await head()).toBe(before);
  });

  it('concurrent turns on one session are all recorded, one after another on its stream; a turn whose session is deleted while the provider answers records nothing', async () => {
    const first = await call('POST', '/api/v1/chat', { message: QUESTION, configurationId: openaiConfig });
    expect(first.status).toBe(200);
    const sessionId = first.body.sessionId as string;
    const messages = ['paper copies?', 'logs?', 'two-factor?', 'cafeteria?'];
    const turns = await Promise.all(messages.map((message) => call('POST', '/api/v1/chat', { message, sessionId })));
    expect(turns.map((t) => t.status)).toEqual([200, 200, 200, 200]);
    const events = await server.runtime.store.readStream(`chat-${sessionId}`);
    expect(events.map((e) => e.streamVersion)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(events.slice(1).map((e) => e.type)).toEqual(Array(5).fill('chat.turn-recorded'));
    expect(new Set(events.slice(2).map((e) => e.data.turnId))).toEqual(new Set(turns.map((t) => t.body.turnId)));
    const revealed = await server.runtime.vault.reveal(events.slice(2));
    expect(revealed.map((e) => e.data.question).sort()).toEqual([...messages].sort());
    const history = await call('GET', `/api/v1/chat/sessions/${sessionId}/history`, undefined, after(Math.max(...turns.map((t) => t.body.position as number))));
    expect(history.body.turns).toHaveLength(5);

    // The turn read the session before the provider answered; the deletion in between must refuse it.
    mock.enqueue({ delayMs: 400 });
    const slow = call('POST', '/api/v1/chat', { message: 'one more?', sessionId });
    for (let i = 0; i < 200 && mock.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await call('DELETE', `/api/v1/chat/sessions/${sessionId}`)).status).toBe(200);
    const refused = await slow;
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect((await server.runtime.store.readStream(`chat-${sessionId}`)).map((e) => e.type).slice(-2)).toEqual(['chat.turn-recorded', 'chat.session-deleted']);
  });

  it('every turn is an event: model, parameters, passages, usage, cost, latency; question, prompt and answer sealed for the user', async () => {
    const res = await call('POST', '/api/v1/chat', { message: 'Is there a secret question about records?', configurationId: openaiConfig });
    const events = await server.runtime.store.readStream(`chat-${res.body.sessionId}`);
    expect(events.map((e) => e.type)).toEqual(['chat.session-started', 'chat.turn-recorded']);
    const turn = events[1]!.data as Json;
    expect(turn).toMatchObject({
      userId: alice.userId, configurationId: openaiConfig, provider: 'openai-compatible', model: 'llama', resolvedModel: MOCK.openAiModel, parameters: { temperature: 0 },
      retrieval: { k: 5, filter: null, passages: [{ documentId: 'policy-retention', chunkId: 'c1' }, { documentId: 'policy-security', chunkId: 'c4' }] },
      usage: { inputTokens: 11, outputTokens: 7 }, costUsd: 0.000025, streamed: false, isLanguageModel: true,
    });
    expect(turn.latencyMs.total).toBeGreaterThanOrEqual(turn.latencyMs.provider);
    for (const field of ['question', 'prompt', 'answer']) expect(turn[field]).toMatchObject({ $pii: 'v1', subject: alice.userId });
    expect(JSON.stringify(events)).not.toContain('secret question');
    const [revealed] = await server.runtime.vault.reveal([events[1]!]);
    expect((revealed!.data as Json).question).toBe('Is there a secret question about records?');
    expect((revealed!.data as Json).prompt).toContain('Is there a secret question about records?');
    expect((revealed!.data as Json).answer).toBe(MOCK.text);
  });

  it('streams the answer as server-sent events when asked, and records the turn as streamed', async () => {
    const res = await fetch(`${base}/api/v1/chat`, { method: 'POST', headers: { ...alice.headers, 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ message: QUESTION, configurationId: anthropicConfig }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await sseEvents(res);
    expect(events.map((e) => e.event)).toEqual(['passages', 'delta', 'delta', 'delta', 'done']);
    expect(events[0]!.data.citations.map((c: Json) => c.chunkId)).toEqual(['c1', 'c4']);
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data.text)).toEqual(MOCK.pieces);
    const done = events.at(-1)!.data;
    // claude-3-5-haiku list price: 11 × 0.80 + 7 × 4.00 = 36.8 millionths of a dollar.
    expect(done).toMatchObject({ answer: MOCK.text, resolvedModel: MOCK.anthropicModel, usage: { inputTokens: 11, outputTokens: 7 } });
    expect(done.costUsd).toBeCloseTo(0.0000368, 12);
    expect(mock.requests[0]!.body.stream).toBe(true);
    const stored = await server.runtime.store.readStream(`chat-${done.sessionId}`);
    expect((stored[1]!.data as Json).streamed).toBe(true);

    const offline = await fetch(`${base}/api/v1/chat`, { method: 'POST', headers: { ...alice.headers, 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ message: QUESTION }) });
    const offlineEvents = await sseEvents(offline);
    expect(offlineEvents.filter((e) => e.event === 'delta').map((e) => e.data.text).join('')).toBe(offlineEvents.at(-1)!.data.answer);
  });

  it('bad input and provider failures answer 4xx/5xx problem+json and record nothing', async () => {
    const before = await head();
    const cases: [Json, number, string | null][] = [
      [{ message: '' }, 400, 'body.message'],
      [{ message: 'hi', configurationId: randomUUID() }, 400, 'body.configurationId'],
      [{ message: 'hi', configurationId: 'not-a-uuid' }, 400, 'body.configurationId'],
      [{ message: 'hi', sessionId: randomUUID() }, 404, null],
      [{ message: 'hi', k: 1000 }, 400, 'body.k'],
      [{ message: 'hi', extra: true }, 400, 'body'],
    ];
    for (const [body, status, field] of cases) {
      const res = await call('POST', '/api/v1/chat', body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.type).toContain('application/problem+json');
      if (field) expect(res.body.errors.some((e: Json) => e.field.startsWith(field)), JSON.stringify(res.body)).toBe(true);
    }
    mock.enqueue({ status: 500 }, { status: 500 });
    const failed = await call('POST', '/api/v1/chat', { message: QUESTION, configurationId: openaiConfig });
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ failure: 'upstream-error', upstreamStatus: 500 });
    mock.enqueue({ status: 429, headers: { 'retry-after': '600' } });
    const streamed = await fetch(`${base}/api/v1/chat`, { method: 'POST', headers: { ...alice.headers, 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ message: QUESTION, configurationId: openaiConfig }) });
    expect(streamed.status).toBe(502);
    expect(streamed.headers.get('content-type')).toContain('application/problem+json');
    expect(((await streamed.json()) as Json).failure).toBe('rate-limited');
    expect(await head()).toBe(before);

    const inactive = await call('PUT', `/api/v1/llm/configurations/${anthropicConfig}`, { active: false }, scientist);
    const refused = await call('POST', '/api/v1/chat', { message: 'hi', configurationId: anthropicConfig }, after(inactive.body.position));
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].field).toBe('body.configurationId');
    await call('PUT', `/api/v1/llm/configurations/${anthropicConfig}`, { active: true }, scientist);
  });

  it('usage and cost per configuration and user; sessions listed, deleted and cleared, each recorded', async () => {
    const carol = await userWith('data_scientist');
    const turns = [];
    for (const message of ['one records', 'two records']) turns.push(await call('POST', '/api/v1/chat', { message, configurationId: openaiConfig }, carol.headers));
    const offline = await call('POST', '/api/v1/chat', { message: 'three records' }, carol.headers);
    const last = offline.body.position as number;

    const mine = await call('GET', '/api/v1/chat/sessions', undefined, after(last, carol.headers));
    expect(mine.body.sessions).toHaveLength(3);
    const byConfiguration = Object.fromEntries(mine.body.usage.map((u: Json) => [u.configurationId ?? 'built-in', u]));
    // Two turns at 11 + 7 tokens, $25/M each.
    expect(byConfiguration[openaiConfig]).toEqual({ configurationId: openaiConfig, turns: 2, inputTokens: 22, outputTokens: 14, costUsd: 0.00005 });
    expect(byConfiguration['built-in']).toEqual({ configurationId: null, turns: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 });

    const all = await call('GET', `/api/v1/llm/configurations?userId=${carol.userId}`, undefined, after(last, scientist));
    expect(all.body.usage.find((u: Json) => u.configurationId === openaiConfig)).toEqual({ configurationId: openaiConfig, userId: carol.userId, turns: 2, inputTokens: 22, outputTokens: 14, costUsd: 0.00005 });
    expect(all.body.configurations.find((c: Json) => c.configurationId === openaiConfig).usage.turns).toBeGreaterThanOrEqual(2);

    const deleted = await call('DELETE', `/api/v1/chat/sessions/${turns[0]!.body.sessionId}`, undefined, carol.headers);
    expect(deleted.body).toMatchObject({ sessionId: turns[0]!.body.sessionId, deleted: true });
    expect((await call('GET', `/api/v1/chat/sessions/${turns[0]!.body.sessionId}/history`, undefined, after(deleted.body.position, carol.headers))).status).toBe(404);
    expect((await call('DELETE', `/api/v1/chat/sessions/${turns[1]!.body.sessionId}`, undefined, alice.headers)).status).toBe(404);
    const cleared = await call('POST', '/api/v1/chat/clear', undefined, carol.headers);
    expect(cleared.body.deleted).toBe(2);
    const remaining = await call('GET', '/api/v1/chat/sessions', undefined, after(cleared.body.position, carol.headers));
    expect(remaining.body.sessions).toEqual([]);
    // What was spent stays counted.
    expect(remaining.body.usage.find((u: Json) => u.configurationId === openaiConfig).turns).toBe(2);
    const reasons = [];
    for (const t of [...turns, offline]) reasons.push(((await server.runtime.store.readStream(`chat-${t.body.sessionId}`)).at(-1)!.data as Json).reason);
    expect(reasons).toEqual(['deleted', 'cleared', 'cleared']);
  });

  it('erasing the user redacts their chat text in the read model and the ledger', async () => {
    const dave = await userWith('data_scientist');
    const res = await call('POST', '/api/v1/chat', { message: 'Dave asks about records', configurationId: openaiConfig }, dave.headers);
    await server.runtime.projections.waitFor(res.body.position, 5000);
    const erased = await eraseSubject({ ...server.runtime, sessions: server.runtime.identity.sessions }, dave.userId, 'test', { actor: { kind: 'system', id: 'test' } as never });
    await server.runtime.projections.waitFor(erased.position, 5000);
    const rows = await server.runtime.db.knex('chat_turns').where('user_id', dave.userId).select('question', 'answer');
    expect(rows).toEqual([{ question: '[redacted]', answer: '[redacted]' }]);
    const [revealed] = await server.runtime.vault.reveal([(await server.runtime.store.readStream(`chat-${res.body.sessionId}`))[1]!]);
    expect((revealed!.data as Json).question).toBe('[redacted]');
  });
});

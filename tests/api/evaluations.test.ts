import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/api/permissions.js';
import type { PassageRetriever } from '../../src/processors/chat/passage-retriever.js';
import { MOCK, MockLlmProvider } from '../support/mock-llm-provider.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { GENERATED_QUESTION, judgeReply, JUDGE_MODEL } from '../support/evaluation-judge-script.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Two passages anyone can read; the retriever returns both, the retention one first. */
const PASSAGES = [
  { documentId: 'policy-retention', chunkId: 'c1', score: 0.9, text: 'Personal records are kept for five years after the contract ends.' },
  { documentId: 'policy-security', chunkId: 'c4', score: 0.5, text: 'Access to records requires two-factor authentication.' },
];
const retriever: PassageRetriever = async (query) => PASSAGES.slice(0, query.k);

const QUESTION = 'How long are personal records kept?';
const ANSWER_MODEL = 'answer-model';

describe.each(['postgres', 'pglite'] as const)('evaluations over HTTP on %s', (dialect) => {
  const mock = new MockLlmProvider();
  let server: TestServer;
  let base: string;
  let scientist: Record<string, string>;
  let viewer: Record<string, string>;
  let answerer: string;
  let judge: string;

  const bearer = async (role: Role) => ({ authorization: `Bearer ${await server.tokenFor(role)}` });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = scientist) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as Json };
  };
  const head = async () => (await server.runtime.store.head()).position;
  const chatCalls = () => mock.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
  const answerCalls = () => mock.requests.filter((r) => r.body.model === ANSWER_MODEL).length;
  const judgeCalls = () => mock.requests.filter((r) => r.body.model === JUDGE_MODEL).length;

  /** Polls the evaluation until `done` holds (the runner works in the background). */
  const waitFor = async (id: string, done: (e: Json) => boolean, timeoutMs = 20_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const e = await call('GET', `/api/v1/evaluations/${id}`);
      if (done(e.body)) return e.body;
      if (Date.now() > until) throw new Error(`evaluation ${id} is still ${JSON.stringify(e.body.status)} ${JSON.stringify(e.body.progress)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const configuration = async (name: string, model: string, extra: Json = {}) => {
    const res = await call('POST', '/api/v1/llm/configurations', { name, provider: 'openai-compatible', model, baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-eval-test-key-0001', pricing: { inputPerMillion: 1, outputPerMillion: 2 }, parameters: { temperature: 0, maxTokens: 16 }, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.configurationId as string;
  };

  beforeAll(async () => {
    await mock.start();
    mock.chatReply = (body) => (body.model === JUDGE_MODEL ? judgeReply(body) : undefined);
    // Embeddings from the mock too (answer relevancy): [length, spaces, 1] of each text, normalised.
    server = await startTestServer(dialect, {
      RAIA_LLM_ALLOWED_ADDRESSES: '127.0.0.1/32', RAIA_LLM_MAX_RETRIES: '0', RAIA_LLM_TIMEOUT_MS: '5000',
      RAIA_EMBEDDINGS: 'openai-compatible', RAIA_EMBEDDINGS_URL: `${mock.baseUrl}/v1`, RAIA_EMBEDDINGS_MODEL: 'mock-embeddings', RAIA_EMBEDDINGS_DIMENSIONS: '3',
    });
    server.runtime.llm.retriever = retriever;
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    scientist = await bearer('data_scientist');
    viewer = await bearer('viewer');
    answerer = await configuration('answerer', ANSWER_MODEL);
    judge = await configuration('judge', JUDGE_MODEL);
  });
  afterEach(() => mock.reset());
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
    await mock.close();
  });

  const ragItems = [
    { question: QUESTION, referenceAnswer: MOCK.text, relevantDocumentIds: ['policy-retention'] },
    { question: 'UNPARSABLE How are records accessed?', referenceAnswer: 'With two-factor authentication.', relevantDocumentIds: ['policy-security'] },
  ];
  const ragEvaluation = (extra: Json = {}) => ({ name: 'rag faithfulness', type: 'rag', configurationIds: [answerer], judgeConfigurationId: judge, metrics: ['exact_match', 'hit_at_k', 'mrr', 'faithfulness'], items: ragItems, retrieval: { k: 2 }, seed: 7, ...extra });

  it('refuses bad input with problem+json naming each field, and records nothing', async () => {
    const before = await head();
    const unknownMetric = await call('POST', '/api/v1/evaluations', ragEvaluation({ metrics: ['exact_match', 'no_such_metric'] }));
    expect(unknownMetric.status).toBe(400);
    expect(unknownMetric.type).toContain('application/problem+json');
    expect(unknownMetric.body.errors).toContainEqual({ field: 'body.metrics', message: 'unknown metric no_such_metric' });
    const noJudge = await call('POST', '/api/v1/evaluations', ragEvaluation({ judgeConfigurationId: null }));
    expect(noJudge.status).toBe(400);
    expect(noJudge.body.errors.map((e: Json) => e.field)).toContain('body.judgeConfigurationId');
    const missingConfiguration = await call('POST', '/api/v1/evaluations', ragEvaluation({ configurationIds: ['00000000-0000-4000-8000-000000000000'] }));
    expect(missingConfiguration.body.errors).toContainEqual({ field: 'body.configurationIds.0', message: 'configuration 00000000-0000-4000-8000-000000000000 does not exist' });
    const both = await call('POST', '/api/v1/evaluations', ragEvaluation({ dataset: { datasetId: '00000000-0000-4000-8000-000000000000', mapping: { question: 'q' } } }));
    expect(both.body.errors.map((e: Json) => e.field)).toContain('body.items');
    const noRetrieval = await call('POST', '/api/v1/evaluations', ragEvaluation({ retrieval: null }));
    expect(noRetrieval.body.errors.map((e: Json) => e.field)).toContain('body.retrieval');
    const badShape = await call('POST', '/api/v1/evaluations', { ...ragEvaluation(), concurrency: 0 });
    expect(badShape.status).toBe(400);
    expect(badShape.type).toContain('application/problem+json');
    const forbidden = await call('POST', '/api/v1/evaluations', ragEvaluation(), viewer);
    expect(forbidden.status).toBe(403);
    const unknown = await call('POST', '/api/v1/evaluations/00000000-0000-4000-8000-000000000000/start', {});
    expect(unknown.status).toBe(404);
    expect(await head()).toBe(before);
    expect(chatCalls()).toBe(0);
  });

  it('a dry run estimates calls, tokens and cost and spends nothing: the provider gets no call, the ledger no event', async () => {
    const created = await call('POST', '/api/v1/evaluations', ragEvaluation());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const before = await head();
    const dry = await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, { dryRun: true });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    const e = dry.body.estimate;
    // 2 items: 1 answer each, plus the faithfulness judge calls of each item.
    expect(e.units).toBe(2);
    expect(e.unitsOpen).toBe(2);
    expect(e.calls).toBeGreaterThanOrEqual(2 + 2);
    // Every call's output is counted at the configurations' maxTokens (16); prices are $1/M in, $2/M out.
    expect(e.outputTokens).toBe(e.calls * 16);
    expect(e.costUsd).toBeCloseTo((e.inputTokens * 1 + e.outputTokens * 2) / 1e6, 12);
    expect(mock.requests).toHaveLength(0);
    expect(await head()).toBe(before);
    const viaGet = await call('GET', `/api/v1/evaluations/${created.body.evaluationId}?dryRun=true`);
    expect(viaGet.body.estimate).toEqual(e);
    expect(mock.requests).toHaveLength(0);
    expect((await call('GET', `/api/v1/evaluations/${created.body.evaluationId}`)).body.status).toBe('created');
  });

  it('runs a rag evaluation: known judge scores, an unparsable verdict counted as an abstention, receipts in the ledger; a second run is answered from the judge cache', async () => {
    const created = await call('POST', '/api/v1/evaluations', ragEvaluation());
    const id = created.body.evaluationId as string;
    const started = await call('POST', `/api/v1/evaluations/${id}/start`, {});
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const done = await waitFor(id, (x) => x.status === 'completed');
    expect(done.progress).toEqual({ total: 2, scored: 2, failed: 0, fraction: 1 });
    const results = await call('GET', `/api/v1/evaluations/${id}/results`);
    expect(results.status).toBe(200);
    const [first, second] = results.body.results as Json[];
    // Item 1: the mock answers MOCK.text, the reference is MOCK.text (exact match 1); the relevant
    // document is retrieved first (hit 1, reciprocal rank 1/1); the judge finds 3 statements, 2 supported: 2/3.
    expect(first).toMatchObject({ itemIndex: 0, status: 'scored', answer: MOCK.text, retrievedDocumentIds: ['policy-retention', 'policy-security'] });
    expect(first!.scores).toMatchObject({ exact_match: 1, hit_at_k: 1, mrr: 1 });
    expect(first!.scores.faithfulness).toBeCloseTo(2 / 3, 12);
    // Item 2: exact match 0; relevant document second (reciprocal rank 1/2); the judge's verdict is not JSON: an abstention, not a zero.
    expect(second!.scores).toMatchObject({ exact_match: 0, hit_at_k: 1, mrr: 0.5, faithfulness: null });
    expect(second!.abstentions.faithfulness).toMatch(/JSON|schema/);
    const faithfulness = done.aggregates[0].metrics.find((m: Json) => m.metric === 'faithfulness');
    expect(faithfulness).toMatchObject({ n: 1, abstentions: 1 });
    expect(faithfulness.mean).toBeCloseTo(2 / 3, 12);
    const exact = done.aggregates[0].metrics.find((m: Json) => m.metric === 'exact_match');
    expect(exact).toMatchObject({ n: 2, mean: 0.5 });
    expect(exact.ciLow).toBeLessThanOrEqual(0.5);
    expect(exact.ciHigh).toBeGreaterThanOrEqual(0.5);
    expect(answerCalls()).toBe(2);
    const judged = judgeCalls();
    expect(judged).toBeGreaterThan(0);
    expect(first!.judgeCalls.every((c: Json) => c.cached === false)).toBe(true);

    // The receipt: configuration version, items hash, metric versions, judge model, seed.
    const [completed] = await server.runtime.store.readAll({ filter: { types: ['evaluation.completed'], dataContains: { evaluationId: id } } });
    expect(completed!.data.receipt).toMatchObject({ configurations: [{ configurationId: answerer, version: 0 }], seed: 7, judge: { provider: 'openai-compatible', model: JUDGE_MODEL } });
    expect((completed!.data.receipt as Json).metrics).toEqual(expect.arrayContaining([{ id: 'faithfulness', version: expect.any(String) }]));
    const scored = await server.runtime.store.readAll({ filter: { types: ['evaluation.item-scored'], dataContains: { evaluationId: id } } });
    expect(scored).toHaveLength(2);
    expect((scored[0]!.data.judgeCalls as Json[])[0]).toMatchObject({ metric: 'faithfulness', cacheKey: expect.stringMatching(/^[0-9a-f]{64}$/), promptSha256: expect.stringMatching(/^[0-9a-f]{64}$/), cached: false });

    mock.reset();
    const again = await call('POST', '/api/v1/evaluations', ragEvaluation({ name: 'same again' }));
    await call('POST', `/api/v1/evaluations/${again.body.evaluationId}/start`, {});
    const redone = await waitFor(again.body.evaluationId, (x) => x.status === 'completed');
    // The answers are asked again; every judge call is answered from the cache.
    expect(answerCalls()).toBe(2);
    expect(judgeCalls()).toBe(0);
    const cachedResults = await call('GET', `/api/v1/evaluations/${again.body.evaluationId}/results`);
    expect((cachedResults.body.results as Json[]).flatMap((r) => r.judgeCalls).every((c: Json) => c.cached)).toBe(true);
    expect(redone.aggregates[0].metrics.find((m: Json) => m.metric === 'faithfulness').mean).toBeCloseTo(2 / 3, 12);
  });

  it('scores every judge metric to the value its scripted verdicts give by hand', async () => {
    const created = await call('POST', '/api/v1/evaluations', {
      name: 'all judges', type: 'rag', configurationIds: [answerer], judgeConfigurationId: judge, retrieval: { k: 2 }, seed: 3,
      metrics: ['faithfulness', 'answer_relevancy', 'context_precision', 'context_recall', 'hallucination', 'g_eval', 'toxicity', 'bias'],
      rubric: 'The answer states the retention period.',
      items: [{ question: QUESTION, referenceAnswer: 'Records are kept for five years.' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, {});
    await waitFor(created.body.evaluationId, (x) => x.status === 'completed');
    const [result] = (await call('GET', `/api/v1/evaluations/${created.body.evaluationId}/results`)).body.results as Json[];
    expect(result!.abstentions).toEqual({});
    // Answer relevancy: cosine of the mock's embeddings [length, spaces, 1] of the question
    // (35 characters, 5 spaces) and of the generated question (26, 4):
    // (35·26 + 5·4 + 1·1) / (√(35² + 5² + 1) · √(26² + 4² + 1)) = 931 / √(1251 · 693); the same for the 3 samples.
    const relevancy = 931 / Math.sqrt(1251 * 693);
    expect(GENERATED_QUESTION.length).toBe(26);
    const s = result!.scores;
    expect(s.faithfulness).toBeCloseTo(2 / 3, 12);
    expect(s.answer_relevancy).toBeCloseTo(relevancy, 6);
    // Ragas divides by (useful contexts + 1e-10): 0.5 / (1 + 1e-10).
    expect(s.context_precision).toBeCloseTo(0.5 / (1 + 1e-10), 12);
    expect(s.context_recall).toBeCloseTo(0.25, 12);
    expect(s.hallucination).toBeCloseTo(0.5, 12);
    expect(s.g_eval).toBeCloseTo(0.7, 12);
    expect(s.toxicity).toBeCloseTo(0.25, 12);
    expect(s.bias).toBeCloseTo(0.5, 12);
    // Calls: faithfulness 2, answer relevancy 3, context precision 2 (one per context), context recall 1,
    // hallucination 1, G-Eval 2, toxicity 2, bias 2 (its opinions prompt is toxicity's, answered from the cache).
    expect(result!.judgeCalls).toHaveLength(15);
    expect((result!.judgeCalls as Json[]).filter((c) => c.metric === 'bias').map((c) => c.cached)).toEqual([true, false]);
  });

  it('stops before the budget would be exceeded', async () => {
    // One unit: the question alone, ceil(35 / 4) + 4 = 13 input tokens estimated, 16 output tokens
    // at most: 13 × $1/M + 16 × $2/M = $0.000045 estimated. The mock really uses 11 in, 7 out: $0.000025.
    // Budget $0.00006: unit 1 (0 + 0.000045 <= 0.00006) runs; unit 2 (0.000025 + 0.000045 > 0.00006) does not.
    const created = await call('POST', '/api/v1/evaluations', { name: 'budget', type: 'llm', configurationIds: [answerer], metrics: ['exact_match'], items: [1, 2, 3].map(() => ({ question: QUESTION, referenceAnswer: MOCK.text })), budgetUsd: 0.00006, concurrency: 1 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, {});
    const stopped = await waitFor(created.body.evaluationId, (x) => x.status === 'stopped');
    expect(stopped).toMatchObject({ stopReason: 'budget', progress: { scored: 1 }, spentUsd: 0.000025 });
    expect(answerCalls()).toBe(1);
    const again = await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, {});
    expect(again.status).toBe(202);
    const stoppedAgain = await waitFor(created.body.evaluationId, (x) => x.status === 'stopped' && x.updatedAt !== stopped.updatedAt);
    // 0.000025 spent + 0.000045 > 0.00006: nothing more runs.
    expect(stoppedAgain.progress.scored).toBe(1);
    expect(answerCalls()).toBe(1);
  });

  it('stop halts a run cleanly; start resumes at the next unscored item', async () => {
    for (let i = 0; i < 40; i++) mock.enqueue({ delayMs: 150 });
    const items = Array.from({ length: 6 }, (_, i) => ({ question: `${QUESTION} (${i})`, referenceAnswer: MOCK.text }));
    const created = await call('POST', '/api/v1/evaluations', { name: 'stop', type: 'llm', configurationIds: [answerer], metrics: ['exact_match', 'token_f1'], items, concurrency: 1 });
    const id = created.body.evaluationId as string;
    await call('POST', `/api/v1/evaluations/${id}/start`, {});
    await waitFor(id, (x) => x.progress.scored >= 1);
    const stop = await call('POST', `/api/v1/evaluations/${id}/stop`);
    expect(stop.status, JSON.stringify(stop.body)).toBe(200);
    await server.runtime.evaluations.settled(id);
    const stopped = await waitFor(id, (x) => x.status === 'stopped');
    const scoredAtStop = stopped.progress.scored as number;
    expect(scoredAtStop).toBeLessThan(6);
    const callsAtStop = answerCalls();
    await new Promise((r) => setTimeout(r, 400));
    expect(answerCalls()).toBe(callsAtStop);
    expect((await call('GET', `/api/v1/evaluations/${id}`)).body.progress.scored).toBe(scoredAtStop);
    const twice = await call('POST', `/api/v1/evaluations/${id}/stop`);
    expect(twice.status).toBe(409);

    mock.reset();
    await call('POST', `/api/v1/evaluations/${id}/start`, {});
    const done = await waitFor(id, (x) => x.status === 'completed');
    expect(done.progress).toMatchObject({ total: 6, scored: 6 });
    expect(answerCalls()).toBe(6 - scoredAtStop);
    const scored = await server.runtime.store.readAll({ filter: { types: ['evaluation.item-scored'], dataContains: { evaluationId: id } } });
    expect(scored.map((e) => e.data.itemIndex).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('records a provider failure per item and goes on', async () => {
    mock.enqueue({ status: 500 });
    const created = await call('POST', '/api/v1/evaluations', { name: 'failures', type: 'llm', configurationIds: [answerer], metrics: ['exact_match'], items: [{ question: 'a?', referenceAnswer: MOCK.text }, { question: 'b?', referenceAnswer: MOCK.text }], concurrency: 1 });
    await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, {});
    const done = await waitFor(created.body.evaluationId, (x) => x.status === 'completed');
    expect(done.progress).toMatchObject({ total: 2, scored: 1, failed: 1 });
    const results = (await call('GET', `/api/v1/evaluations/${created.body.evaluationId}/results`)).body.results as Json[];
    expect(results.find((r) => r.status === 'failed')).toMatchObject({ itemIndex: 0, failure: 'upstream-error' });
  });

  it('compares two evaluations on the same items: paired difference, interval, McNemar, Holm; "better" only when the interval excludes zero', async () => {
    const other = await configuration('other answerer', 'other-model');
    mock.chatReply = (body) => (body.model === JUDGE_MODEL ? judgeReply(body) : body.model === 'other-model' ? 'I do not know.' : undefined);
    const items = Array.from({ length: 6 }, (_, i) => ({ question: `${QUESTION} [${i}]`, referenceAnswer: MOCK.text }));
    const run = async (configurationId: string) => {
      const created = await call('POST', '/api/v1/evaluations', { name: 'arm', type: 'llm', configurationIds: [configurationId], metrics: ['exact_match', 'token_f1'], items, seed: 11 });
      await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, {});
      await waitFor(created.body.evaluationId, (x) => x.status === 'completed');
      return created.body.evaluationId as string;
    };
    const [a, b] = [await run(answerer), await run(other)];
    const compared = await call('POST', '/api/v1/evaluations/compare', { evaluationIds: [a, b], metrics: ['exact_match'] });
    expect(compared.status, JSON.stringify(compared.body)).toBe(200);
    const exact = compared.body.comparisons[0].metrics[0];
    // A matches on all 6 items, B on none: every difference is -1, so is every bootstrap mean.
    // McNemar: 6 discordant pairs all one way, exact binomial two-sided p = 2 × (1/2)^6 = 0.03125; one metric, Holm changes nothing.
    expect(exact).toMatchObject({ metric: 'exact_match', n: 6, meanDifference: -1, ciLow: -1, ciHigh: -1, verdict: 'baseline-better' });
    expect(exact.pValue).toBeCloseTo(0.03125, 12);
    expect(exact.pValueHolm).toBeCloseTo(0.03125, 12);
    const both = await call('POST', '/api/v1/evaluations/compare', { evaluationIds: [a, b] });
    const ps = (both.body.comparisons[0].metrics as Json[]).map((m) => m.pValue as number);
    // Holm for two p-values: the smaller × 2, the larger × 1, kept monotone, capped at 1.
    const [low, high] = [Math.min(...ps), Math.max(...ps)];
    const holm = new Map([[low, Math.min(1, 2 * low)], [high, Math.min(1, Math.max(2 * low, high))]]);
    for (const m of both.body.comparisons[0].metrics as Json[]) expect(m.pValueHolm).toBeCloseTo(holm.get(m.pValue)!, 12);
    const different = await call('POST', '/api/v1/evaluations', { name: 'other items', type: 'llm', configurationIds: [answerer], metrics: ['exact_match'], items: [{ question: 'x', referenceAnswer: 'y' }] });
    const refused = await call('POST', '/api/v1/evaluations/compare', { evaluationIds: [a, different.body.evaluationId] });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].field).toBe('body.evaluationIds');
    mock.chatReply = (body) => (body.model === JUDGE_MODEL ? judgeReply(body) : undefined);
  });

  it('gates the deployment of an llm model on the recorded evaluation metrics: 409 listing what is missing, then 2xx', async () => {
    const officer = await bearer('risk_officer');
    const admin = await bearer('admin');
    const policy = await call('PUT', '/api/v1/policies/deployment', { requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: [], requiredEvaluationMetrics: [{ metric: 'exact_match', min: 0.9 }], rationale: 'llm models need evaluations' }, admin);
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    const model = await call('POST', '/api/v1/models', { name: 'assistant', type: 'llm', riskTier: 'limited' });
    const modelId = model.body.id as string;
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format: 'raia-linear/v1', task: 'binary', classes: ['no', 'yes'], inputSchema: [{ name: 'x', type: 'number' }] }));
    form.append('artifact', new Blob([JSON.stringify({ format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['x'], coefficients: [1], intercept: 0, classes: ['no', 'yes'] })], { type: 'application/json' }), 'model.json');
    expect((await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: scientist, body: form })).status).toBe(201);
    expect((await call('POST', `/api/v1/models/${modelId}/versions/1/validate`)).status).toBe(200);
    expect((await call('POST', `/api/v1/models/${modelId}/versions/1/approve`, { comment: 'ok' }, officer)).status).toBe(200);

    const refused = await call('POST', `/api/v1/models/${modelId}/deploy`, { version: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body.reasons).toContainEqual(expect.stringMatching(/^missing: no completed evaluation of version 1 measures exact_match \(required at least 0.9\)/));

    const evaluate = async (referenceAnswer: string) => {
      const created = await call('POST', '/api/v1/evaluations', { name: 'gate', type: 'llm', configurationIds: [answerer], metrics: ['exact_match'], items: [{ question: QUESTION, referenceAnswer }], model: { modelId, version: 1 } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, {});
      await waitFor(created.body.evaluationId, (x) => x.status === 'completed');
      return created.body.evaluationId as string;
    };
    const poor = await evaluate('Something else entirely.');
    const below = await call('POST', `/api/v1/models/${modelId}/deploy`, { version: 1 });
    expect(below.status).toBe(409);
    expect(below.body.reasons).toContainEqual(expect.stringContaining(`below: exact_match of version 1 is 0 (evaluation ${poor})`));
    await evaluate(MOCK.text);
    const deployed = await call('POST', `/api/v1/models/${modelId}/deploy`, { version: 1 });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    await call('PUT', '/api/v1/policies/deployment', { requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: ['explainability', 'fairness'], rationale: 'back to the default' }, admin);
  });

  it('reads items from a registered CSV dataset through a column mapping, hashes the file, and reports counterfactual fairness per group', async () => {
    // Two rows; the reference contexts column holds a JSON array per cell.
    const csv = 'q,ref,ctx,team\n"What does she keep?",She keeps records.,"[""records""]",a\n"Where does she work?",In the office.,"[""office""]",b\n';
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: 'eval questions' }));
    form.append('file', new Blob([csv]), 'questions.csv');
    const uploaded = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: scientist, body: form });
    const dataset = (await uploaded.json()) as Json;
    expect(uploaded.status, JSON.stringify(dataset)).toBe(201);
    const badColumn = await call('POST', '/api/v1/evaluations', { name: 'ds', type: 'llm', configurationIds: [answerer], metrics: ['exact_match'], dataset: { datasetId: dataset.id, mapping: { question: 'question' } } });
    expect(badColumn.status).toBe(400);
    expect(badColumn.body.errors[0].field).toBe('body.dataset.mapping.question');
    // The answerer repeats the question it was asked, so the answers differ by group exactly where the question does.
    mock.chatReply = (body) => (body.model === ANSWER_MODEL ? (body.messages as { content: string }[]).at(-1)!.content : undefined);
    const created = await call('POST', '/api/v1/evaluations', {
      name: 'ds', type: 'llm', configurationIds: [answerer], metrics: ['token_f1'],
      dataset: { datasetId: dataset.id, mapping: { question: 'q', referenceAnswer: 'ref', referenceContexts: 'ctx', group: ['team'] } },
      counterfactual: { groups: { female: ['she'], male: ['he'] } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // 2 items × (as given + 2 groups) × 1 configuration.
    expect(created.body.units).toBe(6);
    await call('POST', `/api/v1/evaluations/${created.body.evaluationId}/start`, {});
    const done = await waitFor(created.body.evaluationId, (x) => x.status === 'completed');
    expect(done.definition.source).toMatchObject({ kind: 'dataset', datasetId: dataset.id, datasetVersion: 1, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const [createdEvent] = await server.runtime.store.readStream(`evaluation-${created.body.evaluationId}`, { limit: 1 });
    expect((createdEvent!.data.items as Json[])[0]).toEqual({ question: 'What does she keep?', referenceAnswer: 'She keeps records.', referenceContexts: ['records'], relevantDocumentIds: [], group: { team: 'a' } });
    const asked = mock.requests.filter((r) => r.body.model === ANSWER_MODEL).map((r) => (r.body.messages as { content: string }[]).at(-1)!.content).sort();
    expect(asked).toEqual(['What does he keep?', 'What does she keep?', 'What does she keep?', 'Where does he work?', 'Where does she work?', 'Where does she work?']);
    // Token F1 (SQuAD) of the repeated question against the reference:
    // "What does she keep?" vs "She keeps records.": one shared token (she), P = 1/4, R = 1/3, F1 = 2/7;
    // "What does he keep?": none, 0; "Where does she/he work?" vs "In the office.": none, 0.
    // Means: female (2/7 + 0) / 2 = 1/7, male 0; reference the best group (female); gap (2/7 + 0) / 2 = 1/7.
    const [fairness] = done.fairness as Json[];
    expect(fairness).toMatchObject({ configurationId: answerer, metric: 'token_f1', referenceGroup: 'female', ratio: 0 });
    expect(fairness!.difference).toBeCloseTo(1 / 7, 12);
    expect(fairness!.counterfactualGap).toBeCloseTo(1 / 7, 12);
    expect(fairness!.groups.map((g: Json) => [g.group, g.n])).toEqual([['female', 2], ['male', 2]]);
    expect(fairness!.groups[0].mean).toBeCloseTo(1 / 7, 12);
    expect(fairness!.groups[1]).toMatchObject({ mean: 0, ratioToReference: 0 });
    expect(fairness!.groups[1].differenceToReference).toBeCloseTo(-1 / 7, 12);
    mock.chatReply = (body) => (body.model === JUDGE_MODEL ? judgeReply(body) : undefined);
  });

  it('lists evaluations with status and progress', async () => {
    const list = await call('GET', '/api/v1/evaluations?status=completed&limit=200');
    expect(list.status).toBe(200);
    expect(list.body.total).toBeGreaterThan(0);
    expect((list.body.evaluations as Json[]).every((e) => e.status === 'completed' && e.progress.fraction === 1)).toBe(true);
    const forViewer = await call('GET', '/api/v1/evaluations', undefined, viewer);
    expect(forViewer.status).toBe(403);
  });
});

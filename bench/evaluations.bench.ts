import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFFLINE_METRIC_IDS, scoreOfflineItem, type OfflineItem } from '../src/analytics/evaluation/index.js';
import { loadConfig } from '../src/platform/config.js';
import { createEvaluation, startEvaluation } from '../src/processors/evaluations/evaluations.js';
import { createConfiguration } from '../src/processors/llm/llm-configurations.js';
import { startRuntime } from '../src/runtime.js';
import { judgeReply, JUDGE_MODEL } from '../tests/support/evaluation-judge-script.js';
import { MockLlmProvider } from '../tests/support/mock-llm-provider.js';

/**
 * Evaluations, two figures (issue 20):
 * - offline: OFFLINE_ITEMS items scored with every offline metric through `scoreOfflineItem`
 *   (answers of ~50 words, 3 references, 5 retrieved contexts and ids, embeddings of 384
 *   dimensions, a JSON schema), one core, no I/O: items per second (target >= 2,000), the median
 *   of three passes after a first one that is reported apart (see `offline`).
 * - judge: JUDGE_ITEMS items of an `llm` evaluation with the judge metric faithfulness, run by the
 *   real runner (answer call, judge calls through the cache table, one evaluation.item-scored per
 *   item, completion) against the mock provider on loopback at concurrency 16, on PostgreSQL.
 *   Items per second, and the overhead per judge call: the run's wall time minus the wall time of
 *   the same number of plain HTTP calls to the mock at the same concurrency, times the concurrency,
 *   per call (what RAIA adds to each call a slot spends).
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OFFLINE_ITEMS = Number(process.env.BENCH_EVAL_OFFLINE_ITEMS ?? 10_000);
const JUDGE_ITEMS = Number(process.env.BENCH_EVAL_JUDGE_ITEMS ?? 1_000);
const CONCURRENCY = 16;
const TARGET_OFFLINE = 2_000;

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

const WORDS = 'the records are kept for five years after the contract ends and access requires two factor authentication by the officer who logs every request in the register'.split(' ');
const sentence = (seed: number, words: number) => Array.from({ length: words }, (_, i) => WORDS[(seed * 7 + i * 13) % WORDS.length]).join(' ');
const vector = (seed: number) => Float64Array.from({ length: 384 }, (_, i) => Math.sin(seed + i));

function offlineItems(n: number): OfflineItem[] {
  return Array.from({ length: n }, (_, i) => ({
    prediction: sentence(i, 50),
    references: [sentence(i + 1, 45), sentence(i + 2, 50), sentence(i + 3, 55)],
    retrievedIds: Array.from({ length: 5 }, (_, j) => `doc-${(i + j) % 40}`),
    relevantIds: [`doc-${i % 40}`, `doc-${(i + 7) % 40}`],
    retrievedContexts: Array.from({ length: 5 }, (_, j) => sentence(i + j, 60)),
    referenceContexts: [sentence(i, 60), sentence(i + 9, 60)],
    predictionEmbedding: vector(i),
    referenceEmbedding: vector(i + 1),
    jsonSchema: { type: 'object' },
    latencyMs: 100 + (i % 50),
    inputTokens: 300,
    outputTokens: 70,
  }));
}

/**
 * The 10,000 items scored as a whole pass, four times: the first pass (with the JIT still compiling
 * the metrics after a 200-item warm-up) is reported apart, and the figure is the median of the three
 * passes after it, the steady state of a long-lived server (as the peers bench times RAIA).
 */
function offline() {
  const items = offlineItems(OFFLINE_ITEMS);
  const metrics = [...OFFLINE_METRIC_IDS];
  const options = { k: 5, prices: { inputPerMillion: 1, outputPerMillion: 2 } };
  for (const item of items.slice(0, 200)) scoreOfflineItem(item, metrics, options);
  const pass = () => {
    const started = performance.now();
    let checksum = 0;
    for (const item of items) {
      const scores = scoreOfflineItem(item, metrics, options);
      checksum += scores.token_f1?.value ?? 0;
    }
    const seconds = (performance.now() - started) / 1000;
    if (!Number.isFinite(checksum)) throw new Error('offline metrics gave no numbers');
    return items.length / seconds;
  };
  const first = pass();
  const steady = [pass(), pass(), pass()].sort((a, b) => a - b);
  return { items: items.length, metrics: metrics.length, itemsPerSec: round(steady[1]!), firstPassItemsPerSec: round(first), passesItemsPerSec: steady.map((x) => round(x)) };
}

async function judged(mock: MockLlmProvider) {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-bench-eval-'));
  const schema = `bench_eval_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ RAIA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_SCHEMA: schema, RAIA_SEAL_CRON: 'off', RAIA_COMPLIANCE_PACKS: 'on-demand', RAIA_LLM_ALLOWED_ADDRESSES: '127.0.0.1/32', DATABASE_URL });
  const runtime = await startRuntime(config);
  try {
    const meta = { actor: { kind: 'user' as const, id: randomUUID(), role: 'data_scientist' }, userId: randomUUID() };
    const llm = { store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex, apiKeys: runtime.llm.apiKeys, connections: runtime.llm.connections, env: {} };
    const fields = { provider: 'openai-compatible', baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-bench-eval-0001', pricing: { inputPerMillion: 1, outputPerMillion: 2 } };
    const answerer = await createConfiguration(llm, { name: 'bench answerer', model: 'answer-model', ...fields }, meta);
    const judge = await createConfiguration(llm, { name: 'bench judge', model: JUDGE_MODEL, ...fields }, meta);
    const deps = { store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex, blobs: runtime.blobs };
    const items = Array.from({ length: JUDGE_ITEMS }, (_, i) => ({ question: `How long are records of category ${i} kept?`, referenceAnswer: 'Five years.', referenceContexts: ['Personal records are kept for five years after the contract ends.'] }));
    const { evaluationId } = await createEvaluation(deps, { name: 'bench', type: 'llm', configurationIds: [answerer.configurationId], judgeConfigurationId: judge.configurationId, metrics: ['exact_match', 'token_f1', 'faithfulness'], items, concurrency: CONCURRENCY }, meta);
    mock.reset();
    const started = performance.now();
    await startEvaluation(deps, evaluationId, meta);
    for (;;) {
      const [completed] = await runtime.store.readAll({ filter: { types: ['evaluation.completed'], dataContains: { evaluationId } }, limit: 1 });
      if (completed) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const calls = mock.requests.length;
    const judgeCalls = mock.requests.filter((r) => r.body.model === JUDGE_MODEL).length;
    // The floor: the same number of chat completion calls straight to the mock, CONCURRENCY at a time.
    const body = JSON.stringify({ model: 'answer-model', messages: [{ role: 'user', content: items[0]!.question }] });
    let next = 0;
    const floorStarted = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < calls) await (await fetch(`${mock.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).arrayBuffer();
      }),
    );
    const floorSeconds = (performance.now() - floorStarted) / 1000;
    return {
      items: JUDGE_ITEMS,
      providerCalls: calls,
      judgeCalls,
      itemsPerSec: round(JUDGE_ITEMS / seconds),
      rawMockCallsPerSec: round(calls / floorSeconds),
      overheadPerJudgeCallMs: round((((seconds - floorSeconds) * CONCURRENCY) / calls) * 1000, 2),
    };
  } finally {
    await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run() {
  const load = loadavg().map((x) => round(x, 2));
  const offlineFigures = offline();
  const mock = await new MockLlmProvider().start();
  // The tests' judge, but with statements of each item's own (the tests' are the same for every item, so
  // every verdict call after the first would be a cache hit): every judge call here reaches the mock.
  mock.chatReply = (body) => {
    if (body.model !== JUDGE_MODEL) return undefined;
    const reply = judgeReply(body);
    const question = /"question": "([^"]*)"/.exec((body.messages as { content: string }[]).at(-1)!.content)?.[1];
    return question && reply.startsWith('{"statements":["statement') ? JSON.stringify({ statements: [1, 2, 3].map((i) => `${question} statement ${i}`) }) : reply;
  };
  try {
    const judgeFigures = await judged(mock);
    return {
      offlineItemsPerSec: offlineFigures.itemsPerSec,
      offlineTargetMet: offlineFigures.itemsPerSec >= TARGET_OFFLINE,
      judgeItemsPerSec: judgeFigures.itemsPerSec,
      overheadPerJudgeCallMs: judgeFigures.overheadPerJudgeCallMs,
      offlineFirstPassItemsPerSec: offlineFigures.firstPassItemsPerSec,
      offline: { items: offlineFigures.items, metrics: offlineFigures.metrics, steadyPassesItemsPerSec: offlineFigures.passesItemsPerSec },
      judge: { items: judgeFigures.items, providerCalls: judgeFigures.providerCalls, judgeCalls: judgeFigures.judgeCalls, concurrency: CONCURRENCY, rawMockCallsPerSec: judgeFigures.rawMockCallsPerSec },
      machine: { cpus: cpus().length, loadAverage: load, loadAverageAfter: loadavg().map((x) => round(x, 2)) },
    };
  } finally {
    await mock.close();
  }
}

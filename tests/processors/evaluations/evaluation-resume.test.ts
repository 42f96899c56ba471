import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluation, startEvaluation } from '../../../src/processors/evaluations/evaluations.js';
import { createConfiguration } from '../../../src/processors/llm/llm-configurations.js';
import { startRuntime, type Runtime } from '../../../src/runtime.js';
import { MOCK, MockLlmProvider } from '../../support/mock-llm-provider.js';
import { testConfig } from '../../support/test-runtime.js';

/**
 * A run outlives its process: a runtime is closed in the middle of a run (as a crash or a
 * deploy would), a new one on the same database takes the run up at the next unscored item,
 * and every item ends up scored exactly once.
 */
describe.each(['postgres', 'pglite'] as const)('an evaluation run resumes after a restart on %s', (dialect) => {
  const mock = new MockLlmProvider();
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-eval-resume-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const config = () => testConfig(dialect, dataDir, schema, { RAIA_LLM_ALLOWED_ADDRESSES: '127.0.0.1/32', RAIA_LLM_MAX_RETRIES: '0' });
  let runtime: Runtime;

  beforeAll(async () => {
    await mock.start();
    runtime = await startRuntime(config());
  });
  afterAll(async () => {
    if (dialect === 'postgres') await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await runtime.close();
    await mock.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const scoredEvents = async (evaluationId: string) => runtime.store.readAll({ filter: { types: ['evaluation.item-scored'], dataContains: { evaluationId } } });

  it('a new runtime resumes at the next unscored item; no item is answered twice', async () => {
    const meta = { actor: { kind: 'user' as const, id: randomUUID(), role: 'data_scientist' }, userId: randomUUID() };
    const llm = { store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex, apiKeys: runtime.llm.apiKeys, connections: runtime.llm.connections, env: {} };
    const { configurationId } = await createConfiguration(llm, { name: 'resumed', provider: 'openai-compatible', model: 'answer-model', baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-eval-resume-0001', pricing: { inputPerMillion: 1, outputPerMillion: 2 } }, meta);
    const deps = { store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex, blobs: runtime.blobs };
    const items = Array.from({ length: 8 }, (_, i) => ({ question: `question ${i}?`, referenceAnswer: MOCK.text }));
    const { evaluationId } = await createEvaluation(deps, { name: 'resume', type: 'llm', configurationIds: [configurationId], metrics: ['exact_match'], items, concurrency: 1 }, meta);
    for (let i = 0; i < 20; i++) mock.enqueue({ delayMs: 120 });
    await startEvaluation(deps, evaluationId, meta);
    const until = Date.now() + 15_000;
    while ((await scoredEvents(evaluationId)).length < 2) {
      if (Date.now() > until) throw new Error('the run did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    await runtime.close();
    runtime = await startRuntime(config());
    const doneBy = Date.now() + 20_000;
    for (;;) {
      const [completed] = await runtime.store.readAll({ filter: { types: ['evaluation.completed'], dataContains: { evaluationId } } });
      if (completed) break;
      if (Date.now() > doneBy) throw new Error('the resumed run did not complete');
      await new Promise((r) => setTimeout(r, 50));
    }
    const scored = await scoredEvents(evaluationId);
    expect(scored.map((e) => e.data.itemIndex).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Every question reached the provider once, but for the one in flight when the first runtime closed (asked again).
    const asked = mock.requests.map((r) => ((r.body.messages as { content: string }[]).at(-1)!.content));
    expect(new Set(asked).size).toBe(8);
    expect(asked.length).toBeLessThanOrEqual(9);
    // The results are the resumed run's: one per item, caused by the one start.
    expect(new Set(scored.map((e) => e.causationId)).size).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { metricDefinition, metricReceipt, OFFLINE_METRIC_IDS, selectMetrics } from '../../../src/analytics/evaluation/metric-registry.js';
import { scoreOfflineItem } from '../../../src/analytics/evaluation/offline-scoring.js';

describe('scoreOfflineItem', () => {
  const item = {
    prediction: 'The cat sat on the mat.',
    references: ['A cat sat on a mat.', 'The dog barked.'],
    retrievedIds: ['d1', 'd2', 'd3'],
    relevantIds: ['d2'],
    retrievedContexts: ['abcd', 'wxyz'],
    referenceContexts: ['abce'],
    predictionEmbedding: [1, 0],
    referenceEmbedding: [1, 1],
    latencyMs: 120,
    inputTokens: 1000,
    outputTokens: 200,
    jsonSchema: { type: 'object' },
  };

  it('computes every offline metric with values worked out by hand', () => {
    const s = scoreOfflineItem(item, OFFLINE_METRIC_IDS, { k: 2, prices: { inputPerMillion: 2, outputPerMillion: 10 } });
    // SQuAD: "cat sat on mat" equals the first reference once articles and punctuation go
    expect(s.exact_match).toEqual({ value: 1 });
    expect(s.token_f1).toEqual({ value: 1 });
    // rouge tokens: [the, cat, sat, on, the, mat] vs [a, cat, sat, on, a, mat]: 4 shared unigrams of 6 → F = 2/3
    expect((s.rouge1 as { value: number }).value).toBeCloseTo(2 / 3, 12);
    // bigrams: {the cat, cat sat, sat on, on the, the mat} vs {a cat, cat sat, sat on, on a, a mat}: 2 of 5
    expect((s.rouge2 as { value: number }).value).toBeCloseTo(2 / 5, 12);
    // LCS cat sat on mat = 4 → 4/6
    expect((s.rougeL as { value: number }).value).toBeCloseTo(2 / 3, 12);
    // levenshtein vs "A cat sat on a mat.": 23 vs 19 code points; "The" → "A" is 3 edits, "the" → "a" 3 more: 6 → 1 - 6/23
    expect((s.levenshtein_similarity as { value: number }).value).toBeCloseTo(1 - 6 / 23, 12);
    expect((s.embedding_cosine as { value: number }).value).toBeCloseTo(Math.SQRT1_2, 12);
    // ranking with k = 2: d2 at rank 2
    expect(s.hit_at_k).toEqual({ value: 1 });
    expect(s.precision_at_k).toEqual({ value: 0.5 });
    expect(s.recall_at_k).toEqual({ value: 1 });
    expect(s.mrr).toEqual({ value: 0.5 });
    expect((s.ndcg_at_k as { value: number }).value).toBeCloseTo(1 / Math.log2(3), 12);
    // contexts: "abcd" vs "abce" 0.75 → relevant; "wxyz" 0 → not: AP = 1/(1 + 1e-10); recall: 0.75 > 0.5 → 1
    expect((s.non_llm_context_precision as { value: number }).value).toBeCloseTo(1, 9);
    expect(s.non_llm_context_recall).toEqual({ value: 1 });
    expect(s.refusal).toEqual({ value: 0 });
    expect(s.json_valid).toEqual({ value: 0 });
    expect(s.json_schema_valid).toEqual({ value: 0 });
    expect(s.latency_ms).toEqual({ value: 120 });
    expect(s.total_tokens).toEqual({ value: 1200 });
    // 1000·2/1e6 + 200·10/1e6 = 0.002 + 0.002
    expect((s.cost_usd as { value: number }).value).toBeCloseTo(0.004, 12);
    expect((s.bleu as { value: number }).value).toBeGreaterThan(0);
    expect((s.chrf as { value: number }).value).toBeGreaterThan(0);
  });

  it('says why a metric does not apply instead of scoring 0', () => {
    const s = scoreOfflineItem({ prediction: '{"a": 1}' }, ['token_f1', 'mrr', 'non_llm_context_recall', 'cost_usd', 'json_valid', 'json_schema_valid', 'embedding_cosine']);
    expect(s.token_f1).toEqual({ value: null, reason: 'item has no reference answers' });
    expect(s.mrr).toMatchObject({ value: null });
    expect(s.non_llm_context_recall).toMatchObject({ value: null });
    expect(s.cost_usd).toMatchObject({ value: null });
    expect(s.json_valid).toEqual({ value: 1 });
    expect(s.json_schema_valid).toMatchObject({ value: null, reason: 'item has no JSON schema' });
    expect(s.embedding_cosine).toMatchObject({ value: null });
    expect(scoreOfflineItem({ prediction: 'x', inputTokens: 1, outputTokens: 1 }, ['cost_usd']).cost_usd).toEqual({ value: null, reason: 'no token prices given' });
  });

  it('returns only the metrics asked for', () => {
    expect(Object.keys(scoreOfflineItem(item, ['mrr', 'bleu']))).toEqual(['mrr', 'bleu']);
  });
});

describe('metric registry', () => {
  it('validates requested names: unknown and duplicated ones are named', () => {
    expect(selectMetrics(['bleu', 'nope', 'bleu', 'faithfulness'])).toEqual({ ok: false, unknown: ['nope'], duplicated: ['bleu'] });
    const ok = selectMetrics(['faithfulness', 'bleu']);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(metricReceipt(ok.metrics)).toEqual([
      { id: 'faithfulness', version: '1' },
      { id: 'bleu', version: '1' },
    ]);
  });

  it('every definition states kind, direction and scale consistently', () => {
    expect(metricDefinition('exact_match')).toMatchObject({ kind: 'offline', scale: 'pass-fail', direction: 'higher-is-better' });
    expect(metricDefinition('hallucination')).toMatchObject({ kind: 'judge', direction: 'lower-is-better' });
    expect(metricDefinition('refusal')).toMatchObject({ scale: 'pass-fail', direction: 'lower-is-better' });
    expect(metricDefinition('unknown')).toBeUndefined();
  });
});

/**
 * All requested offline metrics of one item, tokenising each text once per tokenizer that some
 * requested metric needs (SQuAD, rouge-score, 13a, character n-grams, code points) and sharing the
 * context similarity matrix between Ragas' precision and recall.
 */
import { chrfFromStatistics, segmentChrfStatistics } from './chrf.js';
import { bleuFromStatistics, bleuStatistics, tokenize13a } from './bleu.js';
import { cosineSimilarity } from './cosine-similarity.js';
import { checkJsonSchema, parseJsonAnswer, type JsonCheck } from './json-validity.js';
import { codePoints } from './code-points.js';
import { levenshteinSimilarity } from './levenshtein.js';
import type { OfflineMetricId } from './metric-registry.js';
import {
  contextSimilarities,
  DEFAULT_CONTEXT_SIMILARITY_THRESHOLD,
  nonLlmContextPrecisionFromSimilarities,
  nonLlmContextRecallFromSimilarities,
} from './non-llm-context-metrics.js';
import type { MetricScore, OfflineItem, OfflineOptions } from './offline-item.js';
import { isRefusal } from './refusal-detection.js';
import { hitAtK, ndcgAtK, precisionAtK, recallAtK, reciprocalRank } from './retrieval-metrics.js';
import { withNgramDictionary } from './ngram-ids.js';
import { rougeMulti, rougeText, rougeTokens, type RougeText } from './rouge.js';
import { normalizeAnswer, tokenF1FromTokens, tokensOfNormalized } from './squad-answer-match.js';
import { callCost } from './usage-aggregation.js';

export const DEFAULT_K = 5;

const missing = (reason: string): MetricScore => ({ value: null, reason });
const value = (v: number | null, reasonIfNull: string): MetricScore => (v === null ? missing(reasonIfNull) : { value: v });

/** The best score of the prediction against any reference (0 with none): SQuAD's and rapidfuzz's max over references. */
function bestOverReferences<T>(prediction: T, references: readonly T[], score: (prediction: T, reference: T) => number): number {
  let best = 0;
  for (const reference of references) best = Math.max(best, score(prediction, reference));
  return best;
}

/** Per-item texts in each tokenisation, computed on first use. */
class ItemTexts {
  private normalized?: { prediction: string; references: string[] };
  private squad?: { prediction: string[]; references: string[][] };
  private rouge?: { prediction: RougeText; references: RougeText[]; dictionarySize: number };
  private points?: { prediction: Int32Array; references: Int32Array[] };
  private similarity?: Float64Array;
  private json?: JsonCheck;

  constructor(private readonly item: OfflineItem) {}

  get references(): readonly string[] {
    return this.item.references ?? [];
  }

  /** SQuAD-normalised texts, shared by exact match and token F1. */
  normalizedAnswers(): { prediction: string; references: string[] } {
    return (this.normalized ??= { prediction: normalizeAnswer(this.item.prediction), references: this.references.map(normalizeAnswer) });
  }

  squadTokens(): { prediction: string[]; references: string[][] } {
    if (!this.squad) {
      const { prediction, references } = this.normalizedAnswers();
      this.squad = { prediction: tokensOfNormalized(prediction), references: references.map(tokensOfNormalized) };
    }
    return this.squad;
  }

  rougeTexts(): { prediction: RougeText; references: RougeText[]; dictionarySize: number } {
    if (!this.rouge) {
      this.rouge = withNgramDictionary((dictionary) => {
        const prediction = rougeText(rougeTokens(this.item.prediction), dictionary);
        const references = this.references.map((r) => rougeText(rougeTokens(r), dictionary));
        return { prediction, references, dictionarySize: dictionary.size };
      });
    }
    return this.rouge;
  }

  codePoints(): { prediction: Int32Array; references: Int32Array[] } {
    return (this.points ??= { prediction: codePoints(this.item.prediction), references: this.references.map(codePoints) });
  }

  /** The answer parsed as JSON once, for JSON validity and schema validity. */
  jsonAnswer(): JsonCheck {
    return (this.json ??= parseJsonAnswer(this.item.prediction));
  }

  contextSimilarity(): Float64Array {
    return (this.similarity ??= contextSimilarities((this.item.retrievedContexts ?? []).map(codePoints), (this.item.referenceContexts ?? []).map(codePoints)));
  }
}

export function scoreOfflineItem(item: OfflineItem, metricIds: readonly OfflineMetricId[], options: OfflineOptions = {}): Partial<Record<OfflineMetricId, MetricScore>> {
  const k = options.k ?? DEFAULT_K;
  const threshold = options.contextSimilarityThreshold ?? DEFAULT_CONTEXT_SIMILARITY_THRESHOLD;
  const texts = new ItemTexts(item);
  const hasReferences = texts.references.length > 0;
  const relevant = item.relevantIds ? new Set(item.relevantIds) : null;
  const retrieved = item.retrievedIds;
  const retrievedContexts = item.retrievedContexts ?? [];
  const referenceContexts = item.referenceContexts ?? [];
  const out: Partial<Record<OfflineMetricId, MetricScore>> = {};

  const withReferences = (compute: () => number): MetricScore => (hasReferences ? { value: compute() } : missing('item has no reference answers'));
  const withRanking = (compute: (ranking: readonly string[], set: ReadonlySet<string>) => number | null, nullReason: string): MetricScore =>
    retrieved && relevant ? value(compute(retrieved, relevant), nullReason) : missing('item has no retrieved ids or no relevant ids');
  const withContexts = (compute: () => number | null): MetricScore =>
    retrievedContexts.length > 0 && referenceContexts.length > 0 ? value(compute(), 'no contexts') : missing('item has no retrieved contexts or no reference contexts');

  for (const id of metricIds) {
    switch (id) {
      case 'exact_match':
        out[id] = withReferences(() => {
          const { prediction, references } = texts.normalizedAnswers();
          return references.includes(prediction) ? 1 : 0;
        });
        break;
      case 'token_f1':
        out[id] = withReferences(() => {
          const { prediction, references } = texts.squadTokens();
          return bestOverReferences(prediction, references, tokenF1FromTokens);
        });
        break;
      case 'rouge1':
      case 'rouge2':
      case 'rougeL':
        out[id] = withReferences(() => {
          const { prediction, references, dictionarySize } = texts.rougeTexts();
          return rougeMulti(id, prediction, references, dictionarySize).f1;
        });
        break;
      case 'bleu':
        out[id] = withReferences(() => bleuFromStatistics(bleuStatistics(tokenize13a(item.prediction), texts.references.map(tokenize13a)), true).score / 100);
        break;
      case 'chrf':
        out[id] = withReferences(() => chrfFromStatistics(segmentChrfStatistics(item.prediction, texts.references)) / 100);
        break;
      case 'levenshtein_similarity':
        out[id] = withReferences(() => {
          const { prediction, references } = texts.codePoints();
          return bestOverReferences(prediction, references, levenshteinSimilarity);
        });
        break;
      case 'embedding_cosine':
        out[id] =
          item.predictionEmbedding && item.referenceEmbedding
            ? value(cosineSimilarity(item.predictionEmbedding, item.referenceEmbedding), 'embeddings differ in length or one is zero')
            : missing('item has no prediction or reference embedding');
        break;
      case 'hit_at_k':
        out[id] = withRanking((r, s) => hitAtK(r, s, k), '');
        break;
      case 'precision_at_k':
        out[id] = withRanking((r, s) => precisionAtK(r, s, k), '');
        break;
      case 'recall_at_k':
        out[id] = withRanking((r, s) => recallAtK(r, s, k), 'no relevant ids');
        break;
      case 'mrr':
        out[id] = withRanking((r, s) => reciprocalRank(r, s), '');
        break;
      case 'ndcg_at_k':
        out[id] = withRanking((r, s) => ndcgAtK(r, s, k, item.relevanceGrades), 'ideal DCG is 0 (no relevant id with a positive gain)');
        break;
      case 'non_llm_context_precision':
        out[id] = withContexts(() => nonLlmContextPrecisionFromSimilarities(texts.contextSimilarity(), retrievedContexts.length, referenceContexts.length, threshold));
        break;
      case 'non_llm_context_recall':
        out[id] = withContexts(() => nonLlmContextRecallFromSimilarities(texts.contextSimilarity(), retrievedContexts.length, referenceContexts.length, threshold));
        break;
      case 'refusal':
        out[id] = { value: isRefusal(item.prediction) ? 1 : 0 };
        break;
      case 'json_valid':
        out[id] = { value: texts.jsonAnswer().valid ? 1 : 0 };
        break;
      case 'json_schema_valid': {
        if (!item.jsonSchema) {
          out[id] = missing('item has no JSON schema');
          break;
        }
        const check = checkJsonSchema(item.prediction, item.jsonSchema, texts.jsonAnswer());
        out[id] = 'schemaError' in check ? missing(check.schemaError) : { value: check.valid ? 1 : 0 };
        break;
      }
      case 'latency_ms':
        out[id] = item.latencyMs !== undefined ? { value: item.latencyMs } : missing('item has no latency');
        break;
      case 'total_tokens':
        out[id] = item.inputTokens !== undefined && item.outputTokens !== undefined ? { value: item.inputTokens + item.outputTokens } : missing('item has no token counts');
        break;
      case 'cost_usd':
        out[id] =
          item.inputTokens === undefined || item.outputTokens === undefined
            ? missing('item has no token counts')
            : options.prices
              ? { value: callCost(item.inputTokens, item.outputTokens, options.prices) }
              : missing('no token prices given');
        break;
      default: {
        const never: never = id;
        throw new Error(`unknown offline metric ${String(never)}`);
      }
    }
  }
  return out;
}

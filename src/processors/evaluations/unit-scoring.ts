import type { EvaluationDefinition, ItemScored, WorkUnit } from '../../commands/evaluation/evaluation.decider.js';
import type { PassageRetriever } from '../chat/passage-retriever.js';
import { renderPrompt, SYSTEM_PROMPT } from '../chat/prompt-template.js';
import type { Embedder } from '../documents/embedders/embedder.js';
import { costOf, priceOf } from '../llm/llm-pricing.js';
import type { ChatMessage, ChatProvider, Passage } from '../llm/llm-provider.js';
import { judgeCacheKey, promptSha256, type JudgeCache, type JudgeRequest } from './judge-cache.js';
import { counterfactualQuestion, isJudgeMetric, judgeScore, offlineScores, type JudgePromptMessages } from './metric-suite.js';
import type { LiveConfiguration } from './pinned-configuration.js';
import type { ProviderThrottles } from './provider-throttle.js';

/** What scoring a unit needs, set up once per run. */
export type UnitScoringContext = {
  definition: EvaluationDefinition;
  /** Each evaluated configuration at its pinned version, with the client to call it. */
  answerers: Map<string, { configuration: LiveConfiguration; provider: ChatProvider }>;
  judge: { configuration: LiveConfiguration; provider: ChatProvider } | null;
  retriever: PassageRetriever;
  embedder: Embedder;
  cache: JudgeCache;
  throttles: ProviderThrottles;
  signal: AbortSignal;
};

type Usage = { inputTokens: number; outputTokens: number };
const ms = (from: number) => Math.round((performance.now() - from) * 100) / 100;
const addCost = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((a + b) * 1e9) / 1e9);

/** The messages a configuration is sent for a question: the rag prompt through its template, the question alone otherwise. */
export function answerMessages(definition: EvaluationDefinition, configuration: LiveConfiguration, question: string, passages: readonly Passage[]): ChatMessage[] {
  if (definition.type === 'rag' || definition.retrieval) return [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: renderPrompt(configuration.promptTemplate, { question, passages, history: [] }) }];
  return [{ role: 'user', content: question }];
}

/** The question a unit asks: the item's, or its counterfactual variant with the group's terms swapped in. */
export const unitQuestion = (definition: EvaluationDefinition, unit: WorkUnit) =>
  unit.variant === null || !definition.counterfactual ? definition.items[unit.itemIndex]!.question : counterfactualQuestion(definition.items[unit.itemIndex]!.question, definition.counterfactual.groups, unit.variant);

/**
 * One unit: retrieve (rag), answer with the configuration, compute the offline metrics, ask the
 * judge for each judge metric through the cache. A provider failure of the answer throws (the unit
 * fails); a judge metric whose verdict cannot be had is an abstention with its reason.
 */
export async function scoreUnit(ctx: UnitScoringContext, unit: WorkUnit): Promise<ItemScored> {
  const started = performance.now();
  const { definition } = ctx;
  const item = definition.items[unit.itemIndex]!;
  const answerer = ctx.answerers.get(unit.configurationId)!;
  const configuration = answerer.configuration;
  const question = unitQuestion(definition, unit);
  const k = definition.retrieval?.k ?? 0;
  const passages: Passage[] = k > 0 ? (await ctx.retriever({ text: question, k })).slice(0, k) : [];
  const completion = await ctx.throttles.of(configuration).run(() =>
    answerer.provider.complete({ model: configuration.model, messages: answerMessages(definition, configuration, question, passages), parameters: configuration.parameters, grounding: { question, passages }, signal: ctx.signal }),
  );
  const answerLatency = ms(started);
  let usage: Usage = { ...completion.usage };
  let costUsd = costOf(completion.usage, priceOf(configuration.model, configuration.pricing) ?? priceOf(completion.resolvedModel, configuration.pricing));
  const answerCost = costUsd;

  const metricIds = definition.metrics.map((m) => m.id);
  const wantsEmbeddings = metricIds.includes('embedding_cosine') && item.referenceAnswer !== null;
  const [answerVector, referenceVector] = wantsEmbeddings ? await ctx.embedder.embed([completion.text, item.referenceAnswer!]) : [undefined, undefined];
  const offline = offlineScores(
    {
      prediction: completion.text,
      references: item.referenceAnswer === null ? [] : [item.referenceAnswer],
      retrievedIds: passages.map((p) => p.documentId),
      relevantIds: item.relevantDocumentIds,
      retrievedContexts: passages.map((p) => p.text),
      referenceContexts: item.referenceContexts,
      ...(answerVector && referenceVector ? { predictionEmbedding: answerVector, referenceEmbedding: referenceVector } : {}),
      latencyMs: answerLatency,
      inputTokens: completion.usage.inputTokens,
      outputTokens: completion.usage.outputTokens,
    },
    metricIds.filter((id) => !isJudgeMetric(id)),
    { k: Math.max(k, 1), ...(configuration.pricing ? { prices: configuration.pricing } : priceOf(configuration.model, null) ? { prices: priceOf(configuration.model, null)! } : {}) },
  );
  const scores: Record<string, number | null> = {};
  const abstentions: Record<string, string> = {};
  for (const [id, score] of Object.entries(offline)) {
    scores[id] = score.value;
    if (score.value === null) abstentions[id] = score.reason;
  }
  // The answer's own cost stays the answer's: cost_usd is the metric of the configuration, not of the judging.
  if (metricIds.includes('cost_usd') && answerCost !== null) scores.cost_usd = answerCost;

  const judgeCalls: ItemScored['judgeCalls'] = [];
  const judge = ctx.judge;
  for (const id of metricIds.filter(isJudgeMetric)) {
    if (!judge) break;
    const ask = async (prompt: JudgePromptMessages): Promise<string> => {
      const request: JudgeRequest = { provider: judge.configuration.provider, baseUrl: judge.configuration.baseUrl, model: judge.configuration.model, parameters: judge.configuration.parameters, messages: prompt.messages };
      const cacheKey = judgeCacheKey(request);
      const hit = await ctx.cache.get(cacheKey);
      if (hit) {
        judgeCalls.push({ metric: id, cacheKey, promptSha256: promptSha256(prompt.messages), promptVersion: prompt.promptVersion, cached: true, usage: hit.usage, costUsd: 0 });
        return hit.reply;
      }
      const answer = await ctx.throttles.of(judge.configuration).run(() => judge.provider.complete({ model: request.model, messages: request.messages, parameters: request.parameters, signal: ctx.signal }));
      await ctx.cache.put(cacheKey, request, { reply: answer.text, usage: answer.usage });
      const callCost = costOf(answer.usage, priceOf(judge.configuration.model, judge.configuration.pricing) ?? priceOf(answer.resolvedModel, judge.configuration.pricing));
      judgeCalls.push({ metric: id, cacheKey, promptSha256: promptSha256(prompt.messages), promptVersion: prompt.promptVersion, cached: false, usage: answer.usage, costUsd: callCost });
      usage = { inputTokens: usage.inputTokens + answer.usage.inputTokens, outputTokens: usage.outputTokens + answer.usage.outputTokens };
      costUsd = addCost(costUsd, callCost);
      return answer.text;
    };
    const embed = (texts: string[]) => ctx.embedder.embed(texts);
    const result = await judgeScore(id, { question, answer: completion.text, contexts: passages.length > 0 ? passages.map((p) => p.text) : item.referenceContexts, reference: item.referenceAnswer, rubric: definition.rubric }, ask, embed);
    if (result.abstained) {
      scores[id] = null;
      abstentions[id] = result.reason;
    } else scores[id] = result.score;
  }

  return {
    evaluationId: definition.evaluationId,
    itemIndex: unit.itemIndex,
    variant: unit.variant,
    configurationId: unit.configurationId,
    configurationVersion: definition.configurations.find((c) => c.configurationId === unit.configurationId)!.version,
    answer: completion.text,
    retrievedDocumentIds: passages.map((p) => p.documentId),
    scores,
    abstentions,
    judgeCalls,
    usage,
    costUsd,
    latencyMs: ms(started),
  };
}

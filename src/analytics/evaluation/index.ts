export * from './metric-registry.js';
export type { MetricScore, OfflineItem, OfflineOptions } from './offline-item.js';
export { abstain, extractJsonObject, parseVerdict, type JudgeMessage, type JudgePrompt, type JudgeScore, type Verdict } from './judge/judge-verdict.js';

/**
 * Which ledger events each live channel carries, by event-type prefix (issue 21): model-updates
 * (registry, lifecycle, policy, explanations and fairness assessments), data-streams (streams and
 * their windows, drift checks and alerts, dataset profiles and quality). The SSE stream carries
 * every category; each client still receives only what its principal may read.
 */
export type LedgerChannel = 'model-updates' | 'data-streams' | 'events';

const prefixes: Record<LedgerChannel, readonly string[]> = {
  'model-updates': ['model.', 'policy.', 'explanation.', 'fairness.'],
  'data-streams': ['stream.', 'drift.', 'dataset.', 'quality.'],
  events: [''],
};

export const channelCarries = (channel: LedgerChannel, type: string): boolean => prefixes[channel].some((p) => type.startsWith(p));

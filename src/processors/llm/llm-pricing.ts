import type { TokenUsage } from './llm-provider.js';

/** US dollars per million tokens, as providers publish them. */
export type ModelPrice = { inputPerMillion: number; outputPerMillion: number };

/**
 * List prices of common models (USD per million tokens, from the providers' pricing pages as of
 * 2025); a configuration's own `pricing` overrides them (negotiated rates, self-hosted models at 0).
 * Matched by exact name, then by the longest known prefix (dated snapshots: `gpt-4o-2024-08-06`).
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'text-embedding-3-small': { inputPerMillion: 0.02, outputPerMillion: 0 },
  'text-embedding-3-large': { inputPerMillion: 0.13, outputPerMillion: 0 },
  'claude-3-5-haiku': { inputPerMillion: 0.8, outputPerMillion: 4 },
  'claude-3-7-sonnet': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-sonnet-4': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-opus-4': { inputPerMillion: 15, outputPerMillion: 75 },
  'raia-extractive': { inputPerMillion: 0, outputPerMillion: 0 },
};

export function priceOf(model: string, override: ModelPrice | null): ModelPrice | null {
  if (override) return override;
  if (DEFAULT_PRICES[model]) return DEFAULT_PRICES[model];
  const prefix = Object.keys(DEFAULT_PRICES)
    .filter((known) => model.startsWith(`${known}-`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? DEFAULT_PRICES[prefix]! : null;
}

/** Cost in USD of one call, rounded to a billionth of a dollar (sums stay exact enough); null when the model's price is unknown. */
export function costOf(usage: TokenUsage, price: ModelPrice | null): number | null {
  if (!price) return null;
  const microDollars = usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion;
  return Math.round(microDollars * 1000) / 1e9;
}

import { createHash } from 'node:crypto';
import { canonicalJson } from '../../events/canonical-json.js';
import type { Knex } from '../../platform/database.js';
import type { Migration } from '../../platform/migrations.js';
import type { ChatMessage, ChatParameters, TokenUsage } from '../llm/llm-provider.js';

const TABLE = 'raia_evaluation_judge_cache';

export const judgeCacheMigrations: Migration[] = [
  {
    name: '0012_evaluation_judge_cache',
    async up(knex) {
      // A cache, not a record: the ledger's evaluation.item-scored names each call by its key and
      // prompt hash; dropping this table only makes the next run ask the judge again.
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        cache_key     text PRIMARY KEY,
        provider      text NOT NULL,
        model         text NOT NULL,
        parameters    jsonb NOT NULL,
        prompt_sha256 text NOT NULL,
        reply         text NOT NULL,
        input_tokens  integer NOT NULL,
        output_tokens integer NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    },
  },
];

export type JudgeRequest = { provider: string; baseUrl: string | null; model: string; parameters: ChatParameters; messages: ChatMessage[] };
export type CachedReply = { reply: string; usage: TokenUsage };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** SHA-256 of the messages' canonical JSON: the prompt as the judge saw it. */
export const promptSha256 = (messages: readonly ChatMessage[]) => sha256(canonicalJson(messages)!);

/**
 * The key of a judge call: SHA-256 of the canonical JSON of (provider, base URL, model, parameters,
 * prompt). The per-attempt time limit is left out: it cannot change the answer.
 */
export function judgeCacheKey(request: JudgeRequest): string {
  const { timeoutMs: _timeoutMs, ...parameters } = request.parameters;
  return sha256(canonicalJson({ provider: request.provider, baseUrl: request.baseUrl, model: request.model, parameters, prompt: promptSha256(request.messages) })!);
}

/** Judge replies by cache key, in the database (shared by every process on it). */
export class JudgeCache {
  constructor(private readonly knex: Knex) {}

  async get(cacheKey: string): Promise<CachedReply | null> {
    const row = (await this.knex(TABLE).where('cache_key', cacheKey).first('reply', 'input_tokens', 'output_tokens')) as { reply: string; input_tokens: number; output_tokens: number } | undefined;
    return row ? { reply: row.reply, usage: { inputTokens: Number(row.input_tokens), outputTokens: Number(row.output_tokens) } } : null;
  }

  async put(cacheKey: string, request: JudgeRequest, reply: CachedReply): Promise<void> {
    await this.knex(TABLE)
      .insert({ cache_key: cacheKey, provider: request.provider, model: request.model, parameters: JSON.stringify(request.parameters), prompt_sha256: promptSha256(request.messages), reply: reply.reply, input_tokens: reply.usage.inputTokens, output_tokens: reply.usage.outputTokens })
      .onConflict('cache_key')
      .ignore();
  }
}

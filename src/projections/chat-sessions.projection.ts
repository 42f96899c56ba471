import type { Knex } from '../platform/database.js';
import type { JsonObject } from '../events/envelope.js';
import { REDACTED } from '../events/personal-data.js';
import { defineProjection } from './projection.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';

/**
 * Chat sessions and their turns, with question and answer in clear for their user's history
 * (redacted once the user is erased), and the usage and cost of every turn, deleted sessions
 * included: what was spent stays counted.
 */
export const chatSessions = defineProjection({
  name: 'chat_sessions',
  version: 1,
  handles: ['chat.session-started', 'chat.turn-recorded', 'chat.session-deleted', 'privacy.subject-erased'],
  tables: {
    chat_sessions: (t) => {
      t.uuid('session_id').primary();
      t.text('user_id').notNullable().index();
      t.uuid('configuration_id');
      t.timestamp('started_at', { useTz: true }).notNullable();
      t.timestamp('last_turn_at', { useTz: true });
      t.integer('turns').notNullable().defaultTo(0);
      t.timestamp('deleted_at', { useTz: true });
    },
    chat_turns: (t) => {
      t.uuid('turn_id').primary();
      t.uuid('session_id').notNullable().index();
      t.text('user_id').notNullable().index();
      t.uuid('configuration_id').index();
      t.bigInteger('position').notNullable();
      t.timestamp('occurred_at', { useTz: true }).notNullable();
      t.text('provider').notNullable();
      t.text('model').notNullable();
      t.text('resolved_model').notNullable();
      t.boolean('is_language_model').notNullable();
      t.text('question').notNullable();
      t.text('answer').notNullable();
      t.jsonb('passages').notNullable();
      t.integer('input_tokens').notNullable();
      t.integer('output_tokens').notNullable();
      t.double('cost_usd');
      t.double('latency_ms').notNullable();
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as JsonObject;
      const at = e.occurredAt.toISOString();
      switch (e.type) {
        case 'chat.session-started':
          await trx(tables.chat_sessions).insert({ session_id: d.sessionId, user_id: d.userId, configuration_id: d.configurationId, started_at: at }).onConflict('session_id').ignore();
          break;
        case 'chat.turn-recorded': {
          const t = d as unknown as {
            sessionId: string; turnId: string; userId: string; configurationId: string | null; provider: string; model: string; resolvedModel: string; isLanguageModel: boolean;
            question: unknown; answer: unknown; retrieval: { passages: unknown[] }; usage: { inputTokens: number; outputTokens: number }; costUsd: number | null; latencyMs: { total: number };
          };
          const inserted = await trx(tables.chat_turns)
            .insert({
              turn_id: t.turnId, session_id: t.sessionId, user_id: t.userId, configuration_id: t.configurationId, position: e.position, occurred_at: at,
              provider: t.provider, model: t.model, resolved_model: t.resolvedModel, is_language_model: t.isLanguageModel,
              question: typeof t.question === 'string' ? t.question : REDACTED, answer: typeof t.answer === 'string' ? t.answer : REDACTED,
              passages: JSON.stringify(t.retrieval.passages), input_tokens: t.usage.inputTokens, output_tokens: t.usage.outputTokens, cost_usd: t.costUsd, latency_ms: t.latencyMs.total,
            })
            .onConflict('turn_id')
            .ignore()
            .returning('turn_id');
          if (inserted.length > 0) await trx(tables.chat_sessions).where('session_id', t.sessionId).update({ last_turn_at: at, turns: trx.raw('turns + 1') });
          break;
        }
        case 'chat.session-deleted':
          await trx(tables.chat_sessions).where('session_id', d.sessionId as string).update({ deleted_at: at });
          break;
        case 'privacy.subject-erased':
          await trx(tables.chat_turns).where('user_id', d.subjectId as string).update({ question: REDACTED, answer: REDACTED });
          break;
      }
    }
  },
});

export type ChatSessionRecord = { sessionId: string; userId: string; configurationId: string | null; startedAt: string; lastTurnAt: string | null; turns: number; deletedAt: string | null };
export type ChatTurnRow = {
  turnId: string;
  sessionId: string;
  position: number;
  occurredAt: string;
  provider: string;
  model: string;
  resolvedModel: string;
  isLanguageModel: boolean;
  question: string;
  answer: string;
  passages: { documentId: string; chunkId: string; score: number }[];
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number | null;
  latencyMs: number;
};
export type UsageTotals = { turns: number; inputTokens: number; outputTokens: number; costUsd: number };

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

const sessionOf = (r: Row): ChatSessionRecord => ({
  sessionId: r.session_id as string,
  userId: r.user_id as string,
  configurationId: (r.configuration_id as string | null) ?? null,
  startedAt: iso(r.started_at)!,
  lastTurnAt: iso(r.last_turn_at),
  turns: Number(r.turns),
  deletedAt: iso(r.deleted_at),
});

export async function findChatSession(knex: Knex, sessionId: string): Promise<ChatSessionRecord | null> {
  const r = (await knex('chat_sessions').where('session_id', sessionId).first()) as Row | undefined;
  return r ? sessionOf(r) : null;
}

/** The session list's sort fields; most recently used first unless asked otherwise. */
export const chatSessionListOrder = listOrder({ columns: { lastActivityAt: 'raw:coalesce(last_turn_at, started_at)', startedAt: 'started_at', turns: 'turns' }, unique: 'session_id', defaultSort: 'lastActivityAt', defaultOrder: 'desc' });

/** One page of a user's sessions not deleted, and how many there are. */
export async function listChatSessions(knex: Knex, userId: string, page: PageRequest<keyof typeof chatSessionListOrder.columns>): Promise<{ sessions: ChatSessionRecord[]; total: number }> {
  const mine = knex('chat_sessions').where('user_id', userId).whereNull('deleted_at');
  const [rows, counted] = (await Promise.all([sortedPage(mine.clone().select('*'), page, chatSessionListOrder), mine.clone().count({ count: '*' })])) as [Row[], [{ count: string | number }]];
  return { sessions: rows.map(sessionOf), total: Number(counted[0].count) };
}

/** A session's turn list's sort fields; in the order they were asked (ledger position) unless asked otherwise. */
export const chatTurnListOrder = listOrder({ columns: { position: 'position', latencyMs: 'latency_ms' }, unique: 'turn_id', defaultSort: 'position', defaultOrder: 'asc' });

/** One page of a session's turns in the asked order, and how many there are. */
export async function pageOfChatTurns(knex: Knex, sessionId: string, page: PageRequest<keyof typeof chatTurnListOrder.columns>): Promise<{ turns: ChatTurnRow[]; total: number }> {
  const turns = knex('chat_turns').where('session_id', sessionId);
  const [rows, counted] = (await Promise.all([sortedPage(turns.clone().select('*'), page, chatTurnListOrder), turns.clone().count({ count: '*' })])) as [Row[], [{ count: string | number }]];
  return { turns: rows.map(turnOf), total: Number(counted[0].count) };
}

const turnOf = (r: Row): ChatTurnRow => ({
  turnId: r.turn_id as string,
  sessionId: r.session_id as string,
  position: Number(r.position),
  occurredAt: iso(r.occurred_at)!,
  provider: r.provider as string,
  model: r.model as string,
  resolvedModel: r.resolved_model as string,
  isLanguageModel: Boolean(r.is_language_model),
  question: r.question as string,
  answer: r.answer as string,
  passages: json(r.passages),
  usage: { inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens) },
  costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
  latencyMs: Number(r.latency_ms),
});

/**
 * Usage and cost summed per configuration and user (null configuration: the built-in offline
 * one), every turn counted, deleted sessions included; narrowed to one user or configuration when given.
 */
export async function chatUsage(knex: Knex, filter: { userId?: string; configurationId?: string } = {}): Promise<({ configurationId: string | null; userId: string } & UsageTotals)[]> {
  const query = knex('chat_turns')
    .select('configuration_id', 'user_id')
    .count({ turns: '*' })
    .sum({ input_tokens: 'input_tokens', output_tokens: 'output_tokens', cost_usd: 'cost_usd' })
    .groupBy('configuration_id', 'user_id')
    .orderBy(['configuration_id', 'user_id']);
  if (filter.userId) void query.where('user_id', filter.userId);
  if (filter.configurationId) void query.where('configuration_id', filter.configurationId);
  return ((await query) as Row[]).map((r) => ({
    configurationId: (r.configuration_id as string | null) ?? null,
    userId: r.user_id as string,
    turns: Number(r.turns),
    inputTokens: Number(r.input_tokens ?? 0),
    outputTokens: Number(r.output_tokens ?? 0),
    costUsd: Number(r.cost_usd ?? 0),
  }));
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLlmConfiguration, listLlmConfigurations, llmConfigurationNamed, llmConfigurations } from '../../src/projections/llm-configurations.projection.js';
import { chatSessions, chatUsage, findChatSession, listChatSessions, pageOfChatTurns } from '../../src/projections/chat-sessions.projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { applyAll, project, secondIso, sequence, stored } from './read-model-harness.js';

const C1 = '00000000-0000-4000-8000-000000000101';
const C2 = '00000000-0000-4000-8000-000000000102';
const C3 = '00000000-0000-4000-8000-000000000103';

const createdConfig = (configurationId: string, over: Record<string, unknown> = {}) =>
  ['llm.configuration-created', {
    configurationId,
    name: 'Support Bot',
    provider: 'openai',
    model: 'gpt-x',
    baseUrl: 'https://llm.example/v1',
    parameters: { temperature: 0.2 },
    promptTemplate: 'Answer: {question}',
    active: true,
    pricing: { inputPerMillion: 1, outputPerMillion: 2 },
    apiKey: { kind: 'env', name: 'OPENAI_KEY' },
    createdBy: 'admin-1',
    ...over,
  }] as [string, Record<string, unknown>];

describe('LLM configurations read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  // By hand: C1 created (1), C2 created without base URL or pricing (2), C1 updated: model and
  // pricing only (3), C3 created (4) and deleted (5), C1 created again (6): ignored.
  const life = () =>
    sequence([
      createdConfig(C1),
      createdConfig(C2, { name: 'alpha', provider: 'ollama', baseUrl: null, pricing: null, active: false }),
      ['llm.configuration-updated', { configurationId: C1, model: 'gpt-y', pricing: { inputPerMillion: 3, outputPerMillion: 4 } }],
      createdConfig(C3, { name: 'zulu' }),
      ['llm.configuration-deleted', { configurationId: C3 }],
      createdConfig(C1, { name: 'again' }),
      ['llm.other', { configurationId: C1 }],
    ]);

  it('creates, updates only the fields given, and marks deleted configurations', async () => {
    await project(db.knex, llmConfigurations, life());
    expect(await findLlmConfiguration(db.knex, C1)).toEqual({
      configurationId: C1,
      name: 'Support Bot',
      provider: 'openai',
      model: 'gpt-y',
      baseUrl: 'https://llm.example/v1',
      parameters: { temperature: 0.2 },
      promptTemplate: 'Answer: {question}',
      active: true,
      pricing: { inputPerMillion: 3, outputPerMillion: 4 },
      apiKey: { kind: 'env', name: 'OPENAI_KEY' },
      createdBy: 'admin-1',
      createdAt: secondIso(0),
      updatedAt: secondIso(2),
      deletedAt: null,
      position: 3,
    });
    expect(await findLlmConfiguration(db.knex, C2)).toMatchObject({ baseUrl: null, pricing: null, active: false, position: 2, updatedAt: secondIso(1) });
    expect(await findLlmConfiguration(db.knex, C3)).toBeNull();
    const c3 = await db.knex('llm_configurations').where('configuration_id', C3).first();
    expect([c3.active, new Date(c3.deleted_at).toISOString(), new Date(c3.updated_at).toISOString(), Number(c3.position)]).toEqual([false, secondIso(4), secondIso(4), 5]);
  });

  it('finds a configuration by name whatever the case, not a deleted one', async () => {
    await project(db.knex, llmConfigurations, life());
    expect((await llmConfigurationNamed(db.knex, 'SUPPORT bot'))?.configurationId).toBe(C1);
    expect(await llmConfigurationNamed(db.knex, 'zulu')).toBeNull();
    expect(await llmConfigurationNamed(db.knex, 'support')).toBeNull();
  });

  it('lists configurations not deleted by name unless asked otherwise', async () => {
    await project(db.knex, llmConfigurations, life());
    const ids = async (page: Parameters<typeof listLlmConfigurations>[1]) => {
      const { configurations, total } = await listLlmConfigurations(db.knex, page);
      return { ids: configurations.map((c) => c.configurationId), total };
    };
    expect(await ids({ limit: 10, offset: 0 })).toEqual({ ids: [C1, C2], total: 2 });
    expect(await ids({ limit: 1, offset: 1 })).toEqual({ ids: [C2], total: 2 });
    expect(await ids({ limit: 10, offset: 0, sort: 'provider', order: 'desc' })).toEqual({ ids: [C1, C2], total: 2 });
    expect(await ids({ limit: 10, offset: 0, sort: 'updatedAt', order: 'desc' })).toEqual({ ids: [C1, C2], total: 2 });
  });
});

const SESSION_A = '00000000-0000-4000-8000-000000000201';
const SESSION_B = '00000000-0000-4000-8000-000000000202';
const SESSION_C = '00000000-0000-4000-8000-000000000203';
const T1 = '00000000-0000-4000-8000-000000000301';
const T2 = '00000000-0000-4000-8000-000000000302';
const T3 = '00000000-0000-4000-8000-000000000303';

const turn = (turnId: string, sessionId: string, userId: string, over: Record<string, unknown> = {}) =>
  ['chat.turn-recorded', {
    turnId,
    sessionId,
    userId,
    configurationId: C1,
    provider: 'openai',
    model: 'gpt-x',
    resolvedModel: 'gpt-x-2026',
    isLanguageModel: true,
    question: 'What is drift?',
    answer: 'A change in the data.',
    retrieval: { passages: [{ documentId: 'doc-1', chunkId: 'c-1', score: 0.5 }] },
    usage: { inputTokens: 100, outputTokens: 20 },
    costUsd: 0.25,
    latencyMs: { total: 812.5 },
    ...over,
  }] as [string, Record<string, unknown>];

describe('chat sessions read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  // By hand: ann starts A (1) and B (2, offline: no configuration), bob starts C (3); turns T1 in
  // A (4), T2 in B (5, sealed question: not a string), T1 again (6: ignored), T3 in C (7, no cost);
  // B deleted (8); A started again (9: ignored).
  const life = () =>
    sequence([
      ['chat.session-started', { sessionId: SESSION_A, userId: 'ann', configurationId: C1 }],
      ['chat.session-started', { sessionId: SESSION_B, userId: 'ann', configurationId: null }],
      ['chat.session-started', { sessionId: SESSION_C, userId: 'bob', configurationId: C1 }],
      turn(T1, SESSION_A, 'ann'),
      turn(T2, SESSION_B, 'ann', { configurationId: null, question: { $pii: 'v1' }, answer: 'offline answer', isLanguageModel: false, costUsd: 0.5, usage: { inputTokens: 7, outputTokens: 3 }, latencyMs: { total: 20 } }),
      turn(T1, SESSION_A, 'ann', { question: 'again' }),
      turn(T3, SESSION_C, 'bob', { costUsd: null, answer: { $pii: 'v1' }, latencyMs: { total: 5 } }),
      ['chat.session-deleted', { sessionId: SESSION_B }],
      ['chat.session-started', { sessionId: SESSION_A, userId: 'eve', configurationId: null }],
      ['chat.other', { sessionId: SESSION_A }],
    ]);

  it('counts each turn once and records its usage, redacting what is not in clear', async () => {
    await project(db.knex, chatSessions, life());
    expect(await findChatSession(db.knex, SESSION_A)).toEqual({ sessionId: SESSION_A, userId: 'ann', configurationId: C1, startedAt: secondIso(0), lastTurnAt: secondIso(3), turns: 1, deletedAt: null });
    expect(await findChatSession(db.knex, SESSION_B)).toEqual({ sessionId: SESSION_B, userId: 'ann', configurationId: null, startedAt: secondIso(1), lastTurnAt: secondIso(4), turns: 1, deletedAt: secondIso(7) });
    expect(await findChatSession(db.knex, '00000000-0000-4000-8000-0000000002ff')).toBeNull();
    expect(await pageOfChatTurns(db.knex, SESSION_A, { limit: 10, offset: 0 })).toEqual({
      turns: [{ turnId: T1, sessionId: SESSION_A, position: 4, occurredAt: secondIso(3), provider: 'openai', model: 'gpt-x', resolvedModel: 'gpt-x-2026', isLanguageModel: true, question: 'What is drift?', answer: 'A change in the data.', passages: [{ documentId: 'doc-1', chunkId: 'c-1', score: 0.5 }], usage: { inputTokens: 100, outputTokens: 20 }, costUsd: 0.25, latencyMs: 812.5 }],
      total: 1,
    });
    expect((await pageOfChatTurns(db.knex, SESSION_B, { limit: 10, offset: 0 })).turns[0]).toMatchObject({ question: '[redacted]', answer: 'offline answer', isLanguageModel: false });
    expect((await pageOfChatTurns(db.knex, SESSION_C, { limit: 10, offset: 0 })).turns[0]).toMatchObject({ question: 'What is drift?', answer: '[redacted]', costUsd: null });
  });

  it('sums usage per configuration and user, deleted sessions included, narrowed when asked', async () => {
    await project(db.knex, chatSessions, life());
    expect(await chatUsage(db.knex)).toEqual([
      { configurationId: C1, userId: 'ann', turns: 1, inputTokens: 100, outputTokens: 20, costUsd: 0.25 },
      { configurationId: C1, userId: 'bob', turns: 1, inputTokens: 100, outputTokens: 20, costUsd: 0 },
      { configurationId: null, userId: 'ann', turns: 1, inputTokens: 7, outputTokens: 3, costUsd: 0.5 },
    ]);
    expect(await chatUsage(db.knex, { userId: 'bob' })).toEqual([{ configurationId: C1, userId: 'bob', turns: 1, inputTokens: 100, outputTokens: 20, costUsd: 0 }]);
    expect((await chatUsage(db.knex, { configurationId: C1 })).map((r) => r.userId)).toEqual(['ann', 'bob']);
    expect(await chatUsage(db.knex, { userId: 'nobody' })).toEqual([]);
  });

  it('lists a user’s sessions not deleted, most recently used first, and pages turns in the asked order', async () => {
    await project(db.knex, chatSessions, life());
    const D = '00000000-0000-4000-8000-000000000204';
    const [turnType, turnData] = turn('00000000-0000-4000-8000-000000000304', SESSION_A, 'ann', { latencyMs: { total: 1 } });
    await applyAll(db.knex, chatSessions, [
      stored('chat.session-started', { sessionId: D, userId: 'ann', configurationId: null }, { position: 20, at: secondIso(30) }),
      stored(turnType, turnData, { position: 21, at: secondIso(40) }),
    ]);
    const sessions = async (page: Parameters<typeof listChatSessions>[2], user = 'ann') => {
      const { sessions: list, total } = await listChatSessions(db.knex, user, page);
      return { ids: list.map((s) => s.sessionId), total };
    };
    // A: last turn at 40; D: started at 30, no turn; B deleted.
    expect(await sessions({ limit: 10, offset: 0 })).toEqual({ ids: [SESSION_A, D], total: 2 });
    expect(await sessions({ limit: 10, offset: 0, sort: 'startedAt', order: 'desc' })).toEqual({ ids: [D, SESSION_A], total: 2 });
    expect(await sessions({ limit: 1, offset: 1 })).toEqual({ ids: [D], total: 2 });
    expect(await sessions({ limit: 10, offset: 0 }, 'bob')).toEqual({ ids: [SESSION_C], total: 1 });
    expect(await findChatSession(db.knex, SESSION_A)).toMatchObject({ turns: 2, lastTurnAt: secondIso(40) });
    const turns = await pageOfChatTurns(db.knex, SESSION_A, { limit: 10, offset: 0, sort: 'latencyMs', order: 'asc' });
    expect([turns.turns.map((t) => t.latencyMs), turns.total]).toEqual([[1, 812.5], 2]);
  });

  it('redacts an erased user’s questions and answers, nobody else’s', async () => {
    await project(db.knex, chatSessions, [...life(), ...sequence([['privacy.subject-erased', { subjectId: 'bob' }, { position: 30 }]])]);
    expect((await pageOfChatTurns(db.knex, SESSION_C, { limit: 10, offset: 0 })).turns[0]).toMatchObject({ question: '[redacted]', answer: '[redacted]' });
    expect((await pageOfChatTurns(db.knex, SESSION_A, { limit: 10, offset: 0 })).turns[0]).toMatchObject({ question: 'What is drift?', answer: 'A change in the data.' });
  });
});

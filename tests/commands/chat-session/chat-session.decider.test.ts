import { describe, expect, it } from 'vitest';
import { chatSessionDecider, chatSessionStreamId, type ChatSessionCommand, type ChatSessionEvent, type ChatSessionState, type ChatTurnRecord } from '../../../src/commands/chat-session/chat-session.decider.js';
import { CommandRefused } from '../../../src/commands/decider.js';
import { systemActor } from '../../../src/events/envelope.js';

const sessionId = 's-1';
const decider = chatSessionDecider(sessionId);
const context = { now: new Date('2026-01-01T00:00:00Z'), actor: systemActor() };
const given = (events: ChatSessionEvent[]): ChatSessionState => events.reduce(decider.evolve, decider.initialState());
const when = (events: ChatSessionEvent[], command: ChatSessionCommand) => decider.decide(command, given(events), context);
function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
const sealed = (s: string) => ({ $pii: 'v1' as const, subject: 'u1', iv: 'iv', ct: s, tag: 't' });
const turn = (turnId: string): ChatTurnRecord => ({
  turnId,
  provider: 'mock',
  model: 'm',
  resolvedModel: 'm-1',
  isLanguageModel: true,
  parameters: { temperature: 0 } as ChatTurnRecord['parameters'],
  promptTemplateSha256: 'b'.repeat(64),
  retrieval: { k: 2, filter: null, passages: [{ documentId: 'd', chunkId: 'c', score: 0.5 }] },
  usage: { inputTokens: 3, outputTokens: 4 },
  costUsd: null,
  latencyMs: { total: 10, retrieval: 2, provider: 7 },
  streamed: false,
  question: sealed('q'),
  prompt: sealed('p'),
  answer: sealed('a'),
});
const owner = { sessionId, userId: 'u1', configurationId: 'cfg-1' };
const startedEvent: ChatSessionEvent = { type: 'chat.session-started', data: owner };
const recorded = (turnId: string): ChatSessionEvent => ({ type: 'chat.turn-recorded', data: { ...owner, ...turn(turnId) } as never });

describe('chat session decider', () => {
  it('streams are chat-<session>; the first turn starts the session, later turns only record', () => {
    expect(chatSessionStreamId('x')).toBe('chat-x');
    expect(decider.category).toBe('chat');
    expect(decider.initialState()).toEqual({ status: 'none', sessionId });
    expect(when([], { type: 'RecordTurn', userId: 'u1', configurationId: 'cfg-1', turn: turn('t1') })).toEqual([startedEvent, recorded('t1')]);
    expect(given([startedEvent, recorded('t1')])).toEqual({ status: 'open', sessionId, userId: 'u1', configurationId: 'cfg-1', turns: 1 });
    expect(when([startedEvent, recorded('t1')], { type: 'RecordTurn', userId: 'u1', configurationId: 'cfg-1', turn: turn('t2') })).toEqual([recorded('t2')]);
  });

  it('a session takes turns only from its user, with its configuration, until deleted', () => {
    const other = refusal(() => when([startedEvent], { type: 'RecordTurn', userId: 'u2', configurationId: 'cfg-1', turn: turn('t') }));
    expect([other.code, other.reasons, other.status]).toEqual(['SESSION_OF_ANOTHER_USER', ['the chat session belongs to another user'], 403]);
    const config = refusal(() => when([startedEvent], { type: 'RecordTurn', userId: 'u1', configurationId: null, turn: turn('t') }));
    expect([config.code, config.reasons, config.status, config.field]).toEqual(['SESSION_CONFIGURATION', ['a session keeps the configuration it started with; start a new session for another'], 400, 'body.configurationId']);
    const deleted: ChatSessionEvent = { type: 'chat.session-deleted', data: { sessionId, userId: 'u1', deletedBy: 'u1', reason: 'deleted' } };
    const gone = refusal(() => when([startedEvent, deleted], { type: 'RecordTurn', userId: 'u1', configurationId: 'cfg-1', turn: turn('t') }));
    expect([gone.code, gone.reasons, gone.status]).toEqual(['SESSION_DELETED', ['the chat session was deleted'], 409]);
  });

  it('deletes an open session once, naming who and why', () => {
    expect(when([startedEvent, recorded('t1')], { type: 'DeleteSession', deletedBy: 'admin-1', reason: 'cleared' })).toEqual([
      { type: 'chat.session-deleted', data: { sessionId, userId: 'u1', deletedBy: 'admin-1', reason: 'cleared' } },
    ]);
    const deleted: ChatSessionEvent = { type: 'chat.session-deleted', data: { sessionId, userId: 'u1', deletedBy: 'u1', reason: 'deleted' } };
    expect(given([startedEvent, recorded('t1'), deleted])).toEqual({ status: 'deleted', sessionId, userId: 'u1', configurationId: 'cfg-1', turns: 1 });
    const again = refusal(() => when([startedEvent, deleted], { type: 'DeleteSession', deletedBy: 'u1', reason: 'deleted' }));
    expect([again.code, again.reasons, again.status]).toEqual(['SESSION_DELETED', ['the chat session was already deleted'], 409]);
    const none = refusal(() => when([], { type: 'DeleteSession', deletedBy: 'u1', reason: 'deleted' }));
    expect([none.code, none.reasons, none.status]).toEqual(['SESSION_NOT_FOUND', ['no such chat session'], 422]);
  });

  it('turns and deletions before the session started change nothing', () => {
    const deleted: ChatSessionEvent = { type: 'chat.session-deleted', data: { sessionId, userId: 'u1', deletedBy: 'u1', reason: 'deleted' } };
    expect(given([recorded('t1'), deleted])).toEqual({ status: 'none', sessionId });
  });
});

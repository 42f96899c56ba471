import type { JsonObject } from '../../events/envelope.js';
import type { SealedField } from '../../events/personal-data.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';
import type { LlmParameters } from '../llm-configuration/llm-configuration.decider.js';

/** What a turn records besides its sealed text (chat.turn-recorded in the catalogue). */
export type ChatTurnRecord = {
  turnId: string;
  provider: string;
  model: string;
  resolvedModel: string;
  isLanguageModel: boolean;
  parameters: LlmParameters;
  promptTemplateSha256: string;
  retrieval: { k: number; filter: Record<string, string> | null; passages: { documentId: string; chunkId: string; score: number }[] };
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number | null;
  latencyMs: { total: number; retrieval: number; provider: number };
  streamed: boolean;
  question: SealedField;
  prompt: SealedField;
  answer: SealedField;
};

export type ChatSessionCommand =
  | { type: 'RecordTurn'; userId: string; configurationId: string | null; turn: ChatTurnRecord }
  | { type: 'DeleteSession'; deletedBy: string; reason: 'deleted' | 'cleared' };

type Data<T> = T & JsonObject;
export type ChatSessionEvent =
  | DomainEvent<'chat.session-started', Data<{ sessionId: string; userId: string; configurationId: string | null }>>
  | DomainEvent<'chat.turn-recorded', Data<{ sessionId: string; userId: string; configurationId: string | null } & ChatTurnRecord>>
  | DomainEvent<'chat.session-deleted', Data<{ sessionId: string; userId: string; deletedBy: string; reason: 'deleted' | 'cleared' }>>;

export type ChatSessionState =
  | { status: 'none'; sessionId: string }
  | { status: 'open' | 'deleted'; sessionId: string; userId: string; configurationId: string | null; turns: number };

export const chatSessionStreamId = (sessionId: string) => `chat-${sessionId}`;

/**
 * A chat session belongs to the user who started it and keeps the configuration it started with.
 * Its first turn starts it; a deleted session takes no more turns.
 */
export function chatSessionDecider(sessionId: string): Decider<ChatSessionCommand, ChatSessionEvent, ChatSessionState> {
  return {
    category: 'chat',
    initialState: () => ({ status: 'none', sessionId }),

    decide(command, state): ChatSessionEvent[] {
      switch (command.type) {
        case 'RecordTurn': {
          if (state.status === 'deleted') throw new CommandRefused('SESSION_DELETED', ['the chat session was deleted']);
          if (state.status === 'open' && state.userId !== command.userId) throw new CommandRefused('SESSION_OF_ANOTHER_USER', ['the chat session belongs to another user'], 403);
          if (state.status === 'open' && state.configurationId !== command.configurationId) {
            throw new CommandRefused('SESSION_CONFIGURATION', ['a session keeps the configuration it started with; start a new session for another'], 400, 'body.configurationId');
          }
          const turn = JSON.parse(JSON.stringify(command.turn)) as ChatTurnRecord & JsonObject;
          const owner = { sessionId, userId: command.userId, configurationId: command.configurationId };
          return [
            ...(state.status === 'none' ? [{ type: 'chat.session-started' as const, data: owner }] : []),
            { type: 'chat.turn-recorded', data: { ...owner, ...turn } },
          ];
        }
        case 'DeleteSession':
          if (state.status === 'none') throw new CommandRefused('SESSION_NOT_FOUND', ['no such chat session'], 422);
          if (state.status === 'deleted') throw new CommandRefused('SESSION_DELETED', ['the chat session was already deleted']);
          return [{ type: 'chat.session-deleted', data: { sessionId, userId: state.userId, deletedBy: command.deletedBy, reason: command.reason } }];
        default:
          return assertNever(command);
      }
    },

    evolve(state, event): ChatSessionState {
      switch (event.type) {
        case 'chat.session-started':
          return { status: 'open', sessionId, userId: event.data.userId, configurationId: event.data.configurationId, turns: 0 };
        case 'chat.turn-recorded':
          return state.status === 'none' ? state : { ...state, turns: state.turns + 1 };
        case 'chat.session-deleted':
          return state.status === 'none' ? state : { ...state, status: 'deleted' };
        default:
          return assertNever(event);
      }
    },
  };
}

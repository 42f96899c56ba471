import type { Actor } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import { handleCommand } from '../../commands/command-handler.js';
import { chatSessionDecider, chatSessionStreamId, type ChatSessionEvent, type ChatSessionState } from '../../commands/chat-session/chat-session.decider.js';
import { findChatSession, listChatSessions, pageOfChatTurns, type chatTurnListOrder } from '../../projections/chat-sessions.projection.js';
import type { PageRequest } from '../../projections/sorted-page.js';
import { ChatSessionNotFound } from '../llm/llm-errors.js';

type Deps = { store: EventStore; catalogue: EventCatalogue; knex: Knex };
type Meta = { actor: Actor; userId: string; correlationId?: string };

/** A user's own session, not deleted; anyone else's reads as absent. */
async function ownSession(deps: Deps, sessionId: string, userId: string) {
  const session = await findChatSession(deps.knex, sessionId);
  if (!session || session.deletedAt || session.userId !== userId) throw new ChatSessionNotFound(sessionId);
  return session;
}

/** One of the user's sessions and a page of its turns (chat.routes.ts names the sort fields). */
export async function chatHistory(deps: Deps, sessionId: string, userId: string, page: PageRequest<keyof typeof chatTurnListOrder.columns>) {
  const session = await ownSession(deps, sessionId, userId);
  return { session, ...(await pageOfChatTurns(deps.knex, sessionId, page)) };
}

/** Deletes a session from its user's view (recorded); its turns stay in the ledger, sealed, and in usage. */
export async function deleteChatSession(deps: Deps, sessionId: string, meta: Meta) {
  // The stream, not the read model: a session started a moment ago may not be projected yet.
  const decider = chatSessionDecider(sessionId);
  let state: ChatSessionState = decider.initialState();
  for (const e of await deps.store.readStream(chatSessionStreamId(sessionId))) state = decider.evolve(state, deps.catalogue.upcast(e) as unknown as ChatSessionEvent);
  if (state.status !== 'open' || state.userId !== meta.userId) throw new ChatSessionNotFound(sessionId);
  const result = await handleCommand(deps, chatSessionDecider(sessionId), chatSessionStreamId(sessionId), { type: 'DeleteSession', deletedBy: meta.userId, reason: 'deleted' }, meta);
  return { sessionId, position: result.position };
}

/** Deletes every session of the caller, each recorded with reason `cleared`. */
export async function clearChatSessions(deps: Deps, meta: Meta) {
  const { sessions } = await listChatSessions(deps.knex, meta.userId, { limit: 10_000, offset: 0 });
  let position = 0;
  for (const s of sessions) {
    const result = await handleCommand(deps, chatSessionDecider(s.sessionId), chatSessionStreamId(s.sessionId), { type: 'DeleteSession', deletedBy: meta.userId, reason: 'cleared' }, meta);
    position = Math.max(position, result.position);
  }
  return { deleted: sessions.length, position };
}

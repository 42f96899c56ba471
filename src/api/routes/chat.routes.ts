import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { chatHistory, clearChatSessions, deleteChatSession } from '../../processors/chat/chat-sessions.js';
import { chatTurn, type ChatDependencies, type Citation } from '../../processors/chat/chat-turns.js';
import { chatSessionListOrder, chatTurnListOrder, chatUsage, listChatSessions } from '../../projections/chat-sessions.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { answeringLlmProblems, llmProblemOf } from '../llm-problems.js';
import { problemSchema } from '../problem-details.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema, 502: problemSchema, 504: problemSchema };
const idParams = z.strictObject({ id: z.uuid() });

const citationSchema = z.object({ n: z.number().int().describe('The number the answer cites it by, [n]'), documentId: z.string(), chunkId: z.string(), score: z.number(), cited: z.boolean() });
const usageSchema = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() });
const turnAnswer = z
  .object({
    sessionId: z.uuid(),
    turnId: z.uuid(),
    answer: z.string(),
    citations: z.array(citationSchema),
    provider: z.string(),
    model: z.string(),
    resolvedModel: z.string(),
    isLanguageModel: z.boolean().describe('false for raia-extractive, whose answers quote passages'),
    notices: z.array(z.string()).describe('Says when the answer is not from a language model and when no passages were retrieved'),
    usage: usageSchema,
    costUsd: z.number().nullable(),
    latencyMs: z.object({ total: z.number(), retrieval: z.number(), provider: z.number() }),
    position: z.number().int(),
  })
  .meta({ id: 'ChatTurn' });
const sessionSchema = z.object({ sessionId: z.uuid(), configurationId: z.uuid().nullable(), startedAt: z.string(), lastTurnAt: z.string().nullable(), turns: z.number().int() });

/** Writes server-sent events once the first piece of the answer is there, so a failure before it is still an ordinary problem+json. */
function sseWriter(request: FastifyRequest, reply: FastifyReply) {
  const pending: string[] = [];
  let open = false;
  const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  return {
    get open() {
      return open;
    },
    send(event: string, data: unknown, flush = true) {
      pending.push(frame(event, data));
      if (!flush) return;
      if (!open) {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': request.id, 'x-content-type-options': 'nosniff' });
        open = true;
      }
      reply.raw.write(pending.join(''));
      pending.length = 0;
    },
    end() {
      reply.raw.end();
    },
  };
}

/** Governed chat over the configured providers (docs/chat.md). */
export function chatRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const deps = (): ChatDependencies => ({
      store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex, apiKeys: runtime.llm.apiKeys, connections: runtime.llm.connections, env: process.env, vault: runtime.vault, retriever: runtime.llm.retriever,
    });
    const meta = (request: FastifyRequest) => {
      const principal = principalOf(request);
      return { actor: actorOf(principal), userId: principal.userId, correlationId: request.id };
    };

    app.post('/api/v1/chat', {
      config: { permission: 'chat:use' },
      schema: {
        tags: ['chat'],
        summary: 'Ask a question: retrieves passages, fills the configuration\'s prompt template, calls its provider, answers with citations; recorded as chat.turn-recorded',
        description:
          'Without `sessionId` a new session starts with `configurationId` (absent or null: the built-in offline raia-extractive). With `Accept: text/event-stream` the answer streams as server-sent events: `passages` (session id and citations), `delta` (a piece of text), then `done` (the ChatTurn below) or `error` (a problem). A failure before the first piece answers problem+json as without streaming. Question, prompt and answer are sealed under the caller\'s key in the ledger.',
        body: z.strictObject({
          message: z.string().trim().min(1).max(8000),
          sessionId: z.uuid().optional(),
          configurationId: z.uuid().nullable().optional(),
          k: z.number().int().min(0).max(50).default(5).describe('Passages to retrieve'),
          filter: z.record(z.string().max(100), z.string().max(500)).optional().describe('Metadata the passages must have'),
        }),
        produces: ['application/json', 'text/event-stream'],
        response: { 200: turnAnswer, ...errors },
      },
    }, async (request, reply) => {
      const controller = new AbortController();
      // A caller who hangs up cancels the provider call.
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      const streaming = (request.headers.accept ?? '').includes('text/event-stream');
      const { message, sessionId, configurationId, k, filter } = request.body;
      const input = { ...meta(request), message, k, signal: controller.signal, ...(sessionId ? { sessionId } : {}), ...(configurationId !== undefined ? { configurationId } : {}), ...(filter ? { filter } : {}) };
      if (!streaming) return answeringLlmProblems(() => chatTurn(deps(), input));
      const sse = sseWriter(request, reply);
      try {
        const result = await chatTurn(deps(), {
          ...input,
          stream: {
            onPassages: (id: string, citations: Citation[]) => sse.send('passages', { sessionId: id, citations }, false),
            onDelta: (text: string) => sse.send('delta', { text }),
          },
        });
        sse.send('done', result);
        sse.end();
        return reply;
      } catch (error) {
        if (!sse.open) throw llmProblemOf(error);
        const problem = llmProblemOf(error) as { status?: number; slug?: string; detail?: string; message?: string };
        request.log.warn({ err: error }, 'chat stream failed after it started');
        sse.send('error', { type: `https://raia.dev/problems/${problem.slug ?? 'internal'}`, status: problem.status ?? 500, detail: problem.detail ?? 'the answer could not be completed' });
        sse.end();
        return reply;
      }
    });

    app.get('/api/v1/chat/sessions', {
      config: { permission: 'chat:use' },
      schema: {
        tags: ['chat'],
        summary: 'The caller\'s chat sessions, most recently used first unless sorted otherwise, and the caller\'s usage and cost per configuration',
        querystring: z.strictObject({ ...pageQuery(100), ...sortQueryOf(chatSessionListOrder) }),
        response: {
          200: z.object({
            sessions: z.array(sessionSchema),
            ...pageFields,
            usage: z.array(z.object({ configurationId: z.uuid().nullable(), turns: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int(), costUsd: z.number() })),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const { userId } = principalOf(request);
      const [{ sessions, total }, usage] = await Promise.all([listChatSessions(runtime.db.knex, userId, request.query), chatUsage(runtime.db.knex, { userId })]);
      return {
        sessions: sessions.map(({ userId: _u, deletedAt: _d, ...s }) => s),
        ...pageOf(request.query, total),
        usage: usage.map(({ userId: _u, ...u }) => u),
      };
    });

    app.get('/api/v1/chat/sessions/:id/history', {
      config: { permission: 'chat:use' },
      schema: {
        tags: ['chat'],
        summary: 'The turns of one of the caller\'s sessions, in the order they were asked unless sorted otherwise: question, answer, citations, model, usage, cost, latency',
        params: idParams,
        querystring: z.strictObject({ ...pageQuery(100), ...sortQueryOf(chatTurnListOrder) }),
        response: {
          200: z.object({
            session: sessionSchema,
            turns: z.array(
              z.object({
                turnId: z.uuid(), position: z.number().int(), occurredAt: z.string(), provider: z.string(), model: z.string(), resolvedModel: z.string(), isLanguageModel: z.boolean(),
                question: z.string(), answer: z.string(), citations: z.array(z.object({ documentId: z.string(), chunkId: z.string(), score: z.number() })), usage: usageSchema, costUsd: z.number().nullable(), latencyMs: z.number(),
              }),
            ),
            ...pageFields,
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const { session, turns, total } = await answeringLlmProblems(() => chatHistory(deps(), request.params.id, principalOf(request).userId, request.query));
      const { userId: _u, deletedAt: _d, ...shown } = session;
      return { session: shown, turns: turns.map(({ sessionId: _s, passages, ...t }) => ({ ...t, citations: passages })), ...pageOf(request.query, total) };
    });

    app.delete('/api/v1/chat/sessions/:id', {
      config: { permission: 'chat:use' },
      schema: {
        tags: ['chat'],
        summary: 'Delete one of the caller\'s sessions (recorded as chat.session-deleted); its turns stay in the ledger, sealed, and count in usage',
        params: idParams,
        response: { 200: z.object({ sessionId: z.uuid(), deleted: z.literal(true), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const deleted = await answeringLlmProblems(() => deleteChatSession(deps(), request.params.id, meta(request)));
      return { ...deleted, deleted: true as const };
    });

    app.post('/api/v1/chat/clear', {
      config: { permission: 'chat:use' },
      schema: {
        tags: ['chat'],
        summary: 'Delete all of the caller\'s sessions, each recorded as chat.session-deleted (reason cleared)',
        response: { 200: z.object({ deleted: z.number().int(), position: z.number().int() }), ...errors },
      },
    }, async (request) => clearChatSessions(deps(), meta(request)));
  };
}

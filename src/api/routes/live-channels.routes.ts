import { randomUUID } from 'node:crypto';
import websocket from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { StoredEvent } from '../../events/envelope.js';
import type { LiveNotification } from '../../processors/live/notification-feed.js';
import type { Runtime } from '../../runtime.js';
import { principalOf, type Principal } from '../auth/access-control.js';
import { eventTypeReader } from '../live/event-read-permission.js';
import type { LiveTransport } from '../live/ledger-fanout.js';
import { channelCarries, type LedgerChannel } from '../live/live-channels.js';
import { LIVE_TICKET_TTL_MS } from '../live/live-tickets.js';
import type { LiveNode } from '../live/live-node.js';
import { websocketTransport } from '../live/websocket-transport.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { HttpProblem, invalidFields, problemSchema } from '../problem-details.js';

/** The subprotocol a WebSocket client offers beside its `raia.bearer.<token>`; the server selects it. */
export const LIVE_PROTOCOL = 'raia.v1';

const position = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const eventPrefix = z.string().regex(/^[a-z][a-z0-9.-]*$/).max(100);
const ledgerSubscribe = z.strictObject({
  type: z.enum(['subscribe', 'resume']),
  /** Resume point: the position of the last event the client saw; absent for "from now". */
  after: position.optional(),
  /** Only events of these streams (e.g. `model-<uuid>`). */
  streamIds: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(),
  /** Only event types starting with one of these (e.g. `model.version-`). */
  types: z.array(eventPrefix).min(1).max(50).optional(),
});
const notificationSubscribe = z.strictObject({ type: z.enum(['subscribe', 'resume']), after: position.optional() });

const ticketQuery = z.strictObject({ ticket: z.string().max(200).optional().describe('A single-use ticket from POST /api/v1/realtime/tickets (browsers cannot set headers on a WebSocket)') });
const upgradeResponses = {
  101: z.null().describe('Switching Protocols: the WebSocket is open. Offer the `raia.v1` subprotocol (with `raia.bearer.<token>` when authenticating that way); see docs/real-time.md for the messages'),
  401: problemSchema,
  403: problemSchema,
  426: problemSchema,
};
const upgradeRequired = async (_request: FastifyRequest, reply: FastifyReply): Promise<never> => {
  void reply.header('upgrade', 'websocket');
  throw new HttpProblem(426, 'upgrade-required', 'Upgrade required', 'this is a WebSocket endpoint: open it with an Upgrade: websocket request');
};
const authentication =
  'Authentication: an `Authorization: Bearer` header, the subprotocol `raia.bearer.<access token or API key>` offered with `raia.v1`, or `?ticket=` (single use, 30 s) from POST /api/v1/realtime/tickets.';

/**
 * The live channels (issue 21): WebSockets `/ws/model-updates`, `/ws/data-streams`,
 * `/ws/notifications`, `/ws/real-time`, and server-sent events on `/api/v1/events/stream`. Ledger
 * channels come from the ledger through this node's feed, filtered by the caller's permissions and
 * disclosed in its personal-data view; clients resume from the last position they saw.
 */
export function liveChannelRoutes(runtime: Runtime, node: LiveNode): FastifyPluginAsyncZod {
  return async (app) => {
    const { config, live, logger } = runtime;
    await app.register(websocket, {
      errorHandler(error, socket) {
        logger.error({ err: error }, 'live channel failed');
        socket.terminate();
      },
      options: {
        maxPayload: 64 * 1024,
        handleProtocols: (protocols) => (protocols.has(LIVE_PROTOCOL) ? LIVE_PROTOCOL : false),
      },
    });
    const { fanout, analytics, tickets, counts } = node;
    // A refused upgrade (401, 403, 426) must not leave its socket open: the server's close would wait on it.
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.headers.upgrade) void reply.header('connection', 'close');
      return payload;
    });
    // Ending sockets rather than closing them politely: a client that does not answer the close frame would hold the shutdown for 30 s.
    app.addHook('preClose', async () => {
      for (const client of app.websocketServer.clients) client.terminate();
    });

    const counted = (channel: string) => {
      counts[channel] = (counts[channel] ?? 0) + 1;
      return () => void (counts[channel] = (counts[channel] ?? 1) - 1);
    };

    /** A client message as JSON matching `schema`, or an error frame naming the field. */
    const parseMessage = <T>(socket: WebSocket, raw: unknown, schema: z.ZodType<T>): T | null => {
      let value: unknown;
      try {
        value = JSON.parse(String(raw));
      } catch {
        socket.send(JSON.stringify({ type: 'error', field: 'message', message: 'must be a JSON object' }));
        return null;
      }
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0]!;
      socket.send(JSON.stringify({ type: 'error', field: ['message', ...issue.path.map(String)].join('.'), message: issue.message }));
      return null;
    };

    /** A ledger channel over a WebSocket: welcome, then events from the subscribe/resume message on. */
    const ledgerSocket = (channel: LedgerChannel, label: string) => (socket: WebSocket, request: FastifyRequest) => {
      const principal = principalOf(request);
      const uncount = counted(label);
      let subscription: { close(): void } | null = null;
      const transport = websocketTransport(socket, config.RAIA_LIVE_HEARTBEAT_MS, () => {
        subscription?.close();
        uncount();
      });
      const mayRead = eventTypeReader(principal);
      socket.send(JSON.stringify({ type: 'welcome', channel: label, position: fanout.stats().sentHead, heartbeatMs: config.RAIA_LIVE_HEARTBEAT_MS }));
      socket.on('message', (raw) => {
        const message = parseMessage(socket, raw, ledgerSubscribe);
        if (!message) return;
        if (subscription) {
          socket.send(JSON.stringify({ type: 'error', field: 'message.type', message: 'already subscribed: open a new connection to change the subscription' }));
          return;
        }
        const streams = message.streamIds ? new Set(message.streamIds) : null;
        const types = message.types;
        const accepts = (e: StoredEvent) => channelCarries(channel, e.type) && mayRead(e.type) && (!streams || streams.has(e.streamId)) && (!types || types.some((t) => e.type.startsWith(t)));
        const prefix = `{"type":"event","channel":"${label}","position":`;
        subscription = fanout.subscribe({
          transport,
          view: personalDataViewOf(principal),
          accepts,
          frame: (json, e) => `${prefix}${e.position},"event":${json}}`,
          after: message.after ?? null,
        });
        socket.send(JSON.stringify({ type: 'subscribed', after: message.after ?? null }));
      });
    };

    const describeSocket = (summary: string, description: string, permission: 'models:read' | 'datasets:read' | 'self:manage') => ({
      config: { permission, liveCredentials: true },
      schema: { tags: ['real-time'], summary, description: `${description}\n\n${authentication}`, querystring: ticketQuery, response: upgradeResponses },
    });

    app.route({
      method: 'GET',
      url: '/ws/model-updates',
      ...describeSocket(
        'WebSocket: model registry and lifecycle events, explanations and assessments, live',
        'Send `{"type":"subscribe"}` (or `{"type":"resume","after":<last position seen>}`; optional `streamIds`, `types` prefixes). Frames: `welcome`, `subscribed`, `event` (`position`, `event` as the audit log shows it), `error`. Only events the caller may read, personal fields as its role may see them.',
        'models:read',
      ),
      handler: upgradeRequired,
      wsHandler: ledgerSocket('model-updates', 'model-updates'),
    });

    app.route({
      method: 'GET',
      url: '/ws/data-streams',
      ...describeSocket(
        'WebSocket: data stream windows and metrics, drift checks and alerts, dataset quality, live',
        'The same messages as /ws/model-updates, for `stream.*`, `drift.*`, `dataset.*` and `quality.*` events.',
        'datasets:read',
      ),
      handler: upgradeRequired,
      wsHandler: ledgerSocket('data-streams', 'data-streams'),
    });

    app.route({
      method: 'GET',
      url: '/ws/notifications',
      ...describeSocket(
        "WebSocket: the caller's own notifications, live",
        'Send `{"type":"subscribe"}` or `{"type":"resume","after":<last sequence seen>}`. Frames: `welcome`, `subscribed`, `notification` (`sequence`, `notification`), `error`.',
        'self:manage',
      ),
      handler: upgradeRequired,
      wsHandler: (socket: WebSocket, request: FastifyRequest) => {
        const principal = principalOf(request);
        const uncount = counted('notifications');
        let stopListening: (() => void) | null = null;
        const transport = websocketTransport(socket, config.RAIA_LIVE_HEARTBEAT_MS, () => {
          stopListening?.();
          uncount();
        });
        socket.send(JSON.stringify({ type: 'welcome', channel: 'notifications', heartbeatMs: config.RAIA_LIVE_HEARTBEAT_MS }));
        socket.on('message', (raw) => {
          const message = parseMessage(socket, raw, notificationSubscribe);
          if (!message) return;
          if (stopListening) {
            socket.send(JSON.stringify({ type: 'error', field: 'message.type', message: 'already subscribed' }));
            return;
          }
          void followNotifications(principal, transport, message.after ?? null, (stop) => (stopListening = stop)).then(
            (after) => socket.send(JSON.stringify({ type: 'subscribed', after })),
            (error: unknown) => {
              logger.warn({ err: error }, 'notifications could not be read');
              transport.end('shutdown');
            },
          );
        });
      },
    });

    /**
     * Listens first and reads after the resume point, queuing what is heard meanwhile, so a
     * notification recorded while the client connects is sent once: by sequence, past the cursor.
     */
    async function followNotifications(principal: Principal, transport: LiveTransport, after: number | null, onListening: (stop: () => void) => void): Promise<number> {
      const feed = live.notifications;
      let cursor = after ?? -1;
      let queued: LiveNotification[] | null = [];
      const send = (n: LiveNotification) => {
        if (n.sequence <= cursor) return;
        cursor = n.sequence;
        transport.write(JSON.stringify({ type: 'notification', sequence: n.sequence, notification: n.body }));
        if (transport.bufferedBytes() > config.RAIA_LIVE_MAX_BUFFERED_BYTES) transport.end('slow-consumer');
      };
      onListening(feed.listen(principal.userId, (n) => (queued ? queued.push(n) : send(n))));
      if (after === null) cursor = await feed.latestSequence(principal.userId);
      else {
        for (;;) {
          const page = await feed.after(principal.userId, cursor, 500);
          page.forEach(send);
          if (page.length < 500) break;
        }
      }
      const start = after ?? cursor;
      const heard = queued;
      queued = null;
      heard.forEach(send);
      return start;
    }

    app.route({
      method: 'GET',
      url: '/ws/real-time',
      ...describeSocket(
        'WebSocket: live analytics channels (models, streams, system) this connection subscribes to',
        'The `welcome` frame carries the `connectionId`; POST /api/v1/analytics/subscribe with it and the channels wanted. Frames: `welcome`, `analytics` (`channel`, `data` as GET /api/v1/analytics/real-time/<channel> answers), pushed every few seconds.',
        'self:manage',
      ),
      handler: upgradeRequired,
      wsHandler: async (socket: WebSocket, request: FastifyRequest) => {
        const principal = principalOf(request);
        const connectionId = randomUUID();
        const uncount = counted('real-time');
        const transport = websocketTransport(socket, config.RAIA_LIVE_HEARTBEAT_MS, () => {
          uncount();
          void analytics.close(connectionId);
        });
        await analytics.open(connectionId, principal, transport);
        socket.send(JSON.stringify({ type: 'welcome', channel: 'real-time', connectionId, intervalMs: config.RAIA_LIVE_ANALYTICS_INTERVAL_MS, heartbeatMs: config.RAIA_LIVE_HEARTBEAT_MS }));
      },
    });

    app.get('/api/v1/events/stream', {
      config: { permission: 'self:manage', liveCredentials: true },
      schema: {
        tags: ['real-time'],
        summary: 'Server-sent events: every ledger event the caller may read, live, resumable with Last-Event-ID',
        description: `Each event is \`id: <position>\`, \`event: <type>\`, \`data: <the event as the audit log shows it>\`; a comment line every heartbeat. Reconnect with \`Last-Event-ID\` (or \`?lastEventId=\`) to continue after the last position seen, missing nothing and repeating nothing. ${authentication}`,
        querystring: z.strictObject({
          ticket: z.string().max(200).optional(),
          types: z.string().max(2000).optional().describe('Comma-separated event type prefixes, e.g. `model.,drift.alert-raised`'),
          lastEventId: z.string().max(20).optional().describe('For clients that cannot send the Last-Event-ID header'),
        }),
        response: { 200: z.string().describe('text/event-stream'), 400: problemSchema, 401: problemSchema, 403: problemSchema, 406: problemSchema },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      // EventSource always asks for text/event-stream; anything else would get a response that never ends.
      if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
        throw new HttpProblem(406, 'not-acceptable', 'Not acceptable', 'this stream answers text/event-stream only: send Accept: text/event-stream', {
          errors: [{ field: 'headers.accept', message: 'must accept text/event-stream' }],
        });
      }
      const header = request.headers['last-event-id'];
      const given = typeof header === 'string' ? header : request.query.lastEventId;
      const field = typeof header === 'string' ? 'headers.last-event-id' : 'querystring.lastEventId';
      let after: number | null = null;
      if (given !== undefined && given !== '') {
        after = Number(given);
        if (!/^\d+$/.test(given) || !Number.isSafeInteger(after)) throw invalidFields([{ field, message: 'must be a ledger position (a non-negative integer)' }]);
      }
      const types = request.query.types?.split(',').map((t) => t.trim()).filter(Boolean);
      if (types?.some((t) => !eventPrefix.safeParse(t).success)) throw invalidFields([{ field: 'querystring.types', message: 'must be comma-separated event type prefixes like model. or drift.alert-raised' }]);
      const mayRead = eventTypeReader(principal);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      raw.write(`retry: 2000\n: connected at ${fanout.stats().sentHead}\n\n`);
      const uncount = counted('events-stream');
      let ended = false;
      const transport: LiveTransport = {
        write: (frame) => void raw.write(frame),
        bufferedBytes: () => raw.writableLength,
        end(reason) {
          if (reason === 'slow-consumer') raw.destroy();
          else raw.end();
        },
      };
      const subscription = fanout.subscribe({
        transport,
        view: personalDataViewOf(principal),
        accepts: (e) => mayRead(e.type) && (!types || types.some((t) => e.type.startsWith(t))),
        frame: (json, e) => `id: ${e.position}\nevent: ${e.type}\ndata: ${json}\n\n`,
        after,
      });
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), config.RAIA_LIVE_HEARTBEAT_MS);
      heartbeat.unref();
      raw.on('close', () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        subscription.close();
        uncount();
      });
    });

    app.post('/api/v1/realtime/tickets', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['real-time'],
        summary: 'A single-use ticket that opens one live channel (WebSocket or SSE) as the caller, within 30 seconds',
        description: 'Browsers cannot set an Authorization header on a WebSocket or EventSource: they pass this ticket as `?ticket=` instead of a token, so no lasting credential ever appears in a URL or a log.',
        response: { 201: z.object({ ticket: z.string(), expiresInSeconds: z.number().int() }), 401: problemSchema },
      },
    }, async (request, reply) => {
      const ticket = await tickets.mint(principalOf(request));
      return reply.code(201).send({ ticket, expiresInSeconds: LIVE_TICKET_TTL_MS / 1000 });
    });
  };
}


import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DuplicateEventConflict, InvalidEvent, WrongExpectedVersion } from '../events/event-store.js';
import { SubjectErased } from '../events/personal-data.js';
import { UnknownEventType } from '../events/event-catalogue.js';
import { CommandRefused } from '../commands/decider.js';
import { PreconditionFailed } from '../commands/stream-precondition.js';
import { ScoringInputError } from '../analytics/scoring/linear-model.js';
import { BlobStoreFull } from '../platform/blob-storage.js';

/** RFC 9457 problem details. `type` is a stable URI per kind of problem; extension members are kept (RFC 9457 §3.2). */
export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    reasons: z.array(z.string()).optional(),
  })
  .meta({
    id: 'Problem',
    examples: [
      {
        type: 'https://raia.dev/problems/validation-error',
        title: 'Invalid request',
        status: 400,
        detail: 'body.riskTier: Invalid option: expected one of "minimal"|"limited"|"high"|"unacceptable"',
        instance: '/api/v1/models',
        errors: [{ field: 'body.riskTier', message: 'Invalid option: expected one of "minimal"|"limited"|"high"|"unacceptable"' }],
      },
    ],
  });
export type Problem = z.infer<typeof problemSchema>;

const TYPE_BASE = 'https://raia.dev/problems/';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Partial<Problem> = {},
  ) {
    super(detail ?? title);
  }
}

/** 400 naming every invalid field (`body.x.3`); long lists are cut at `limit` so a huge bad input yields a readable answer. */
export const invalidFields = (errors: { field: string; message: string }[], limit = 20, extra: Partial<Problem> = {}) =>
  new HttpProblem(400, 'validation-error', 'Invalid request', errors.slice(0, limit).map((e) => `${e.field}: ${e.message}`).join('; '), { errors: errors.slice(0, limit), ...extra });

export const notFound = (what: string) => new HttpProblem(404, 'not-found', 'Not found', `${what} does not exist`);

/** fastify's client errors with a title a person can read and what to do about it. */
const FRAMEWORK_PROBLEMS: Record<string, { slug: string; title: string; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { slug: 'malformed-json', title: 'Malformed JSON body', detail: 'the request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { slug: 'empty-json-body', title: 'Empty JSON body', detail: 'content-type is application/json but the body is empty: send a JSON document, or no content-type' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { slug: 'unsupported-media-type', title: 'Unsupported media type', detail: 'this route does not take this content-type: send application/json (or multipart/form-data for uploads)' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { slug: 'invalid-content-length', title: 'Invalid content length', detail: 'content-length does not match the body received' },
  FST_ERR_CTP_BODY_TOO_LARGE: { slug: 'body-too-large', title: 'Request body too large', detail: 'the body is larger than this route accepts' },
};

function problemFor(error: unknown): Problem {
  const p = (status: number, slug: string, title: string, detail?: string, extra: Partial<Problem> = {}): Problem => ({
    type: `${TYPE_BASE}${slug}`,
    title,
    status,
    ...(detail ? { detail } : {}),
    ...extra,
  });
  if (error instanceof HttpProblem) return p(error.status, error.slug, error.title, error.detail, error.extra);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext ?? 'request';
    const errors = error.validation.map((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const field = [where, path || (v.params as { issue?: { keys?: string[] } })?.issue?.keys?.join(',')].filter(Boolean).join('.');
      return { field, message: v.message ?? 'is invalid' };
    });
    return p(400, 'validation-error', 'Invalid request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
  if (error instanceof WrongExpectedVersion) return p(409, 'version-conflict', 'Version conflict', error.message, { code: error.code });
  if (error instanceof PreconditionFailed) {
    return p(412, 'precondition-failed', 'Precondition failed', `${error.message}; read it again for its current ETag`, { code: error.code, errors: [{ field: 'headers.if-match', message: 'does not match the current version' }] });
  }
  if (error instanceof DuplicateEventConflict) return p(409, 'duplicate-event', 'Duplicate event', error.message, { code: error.code });
  if (error instanceof CommandRefused) {
    const errors = error.field ? error.reasons.map((message) => ({ field: `body.${error.field}`, message })) : undefined;
    return p(error.status, error.status === 400 ? 'validation-error' : 'command-refused', error.status === 400 ? 'Invalid request' : 'Command refused', error.message, { code: error.code, reasons: error.reasons, ...(errors ? { errors } : {}) });
  }
  if (error instanceof ScoringInputError) {
    // A value the model cannot take (NaN for a linear model, an unknown group index): the caller's input.
    const field = `body.instances${error.row !== null ? `.${error.row}` : ''}${error.feature !== null ? `.${error.feature}` : ''}`;
    return p(400, 'validation-error', 'Invalid request', error.message, { code: error.code, errors: [{ field, message: error.message }] });
  }
  // RFC 4918 §11.5: the server cannot store what the request needs; the upload left nothing behind.
  if (error instanceof BlobStoreFull) return p(507, 'insufficient-storage', 'Insufficient storage', `${error.message}; nothing was stored or recorded, retry later`);
  if (error instanceof SubjectErased) return p(409, 'subject-erased', 'Subject erased', error.message, { code: error.code });
  if (error instanceof InvalidEvent || error instanceof UnknownEventType) return p(400, 'invalid-event', 'Invalid event', error.message, { code: error.code });
  const fe = error as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // fastify's own client errors: bad JSON, body too large, unsupported media type…
    const known = fe.code ? FRAMEWORK_PROBLEMS[fe.code] : undefined;
    const slug = known?.slug ?? (fe.code ?? 'bad-request').toLowerCase().replace(/^fst_err_/, '').replace(/_/g, '-');
    return p(fe.statusCode, slug, known?.title ?? STATUS_CODES[fe.statusCode] ?? 'Bad request', known?.detail ? `${known.detail} (${fe.message})` : fe.message, { code: fe.code });
  }
  return p(500, 'internal', 'Internal server error', 'The error was logged with this request id.');
}

function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const problem = { ...problemFor(error), instance: request.url };
  if (problem.status >= 500 || isResponseSerializationError(error)) request.log.error({ err: error }, 'request failed');
  else request.log.info({ problem: problem.type }, 'request refused');
  // Refused before its body was read (an upload cut short): the rest of the body is still on the
  // connection, so it is closed rather than reused, or a client's next request there stalls.
  if (request.raw.complete === false) void reply.header('connection', 'close');
  void reply.status(problem.status).type('application/problem+json').send(problem);
}

/** fastify's `frameworkErrors` option: a URL the router cannot decode (`%ED%A0%80`, a lone surrogate) answers problem+json too. */
export const frameworkErrors = sendProblem;

/**
 * fastify's `clientErrorHandler`: requests Node's HTTP parser refuses before any route sees them
 * (headers over the limit: 431; a timeout: 408; malformed HTTP: 400) answer problem+json too,
 * on the raw socket, which is then closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, slug, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'the request headers (with the URL) exceed the server limit; send large inputs such as rows in a POST body']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request-timeout', 'the request was not received in time']
        : [400, 'malformed-http', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ type: `${TYPE_BASE}${slug}`, title: STATUS_CODES[status], status, detail });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

export function registerProblemDetails(app: FastifyInstance): void {
  // A text/plain body to a JSON route is an unsupported media type (415), not a JSON string that
  // then fails validation; routes that take other bodies (stream ingestion) add their own parser.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(sendProblem);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({ type: `${TYPE_BASE}route-not-found`, title: 'Not found', status: 404, detail: `no route ${request.method} ${request.url.split('?')[0]}`, instance: request.url });
  });
}

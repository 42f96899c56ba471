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
    return p(fe.statusCode, (fe.code ?? 'bad-request').toLowerCase().replace(/^fst_err_/, '').replace(/_/g, '-'), fe.name === 'Error' ? 'Bad request' : fe.name, fe.message, { code: fe.code });
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

export function registerProblemDetails(app: FastifyInstance): void {
  app.setErrorHandler(sendProblem);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({ type: `${TYPE_BASE}route-not-found`, title: 'Not found', status: 404, detail: `no route ${request.method} ${request.url.split('?')[0]}`, instance: request.url });
  });
}

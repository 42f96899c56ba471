import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { StreamPrecondition } from '../commands/stream-precondition.js';
import { invalidFields } from './problem-details.js';

/**
 * Conditional requests (RFC 9110 §13) on an aggregate: its ETag is its ledger stream's version,
 * a strong validator (`"3"`), and `If-Match` on a write becomes the command's precondition.
 */
export const etagOf = (streamVersion: number): string => `"${streamVersion}"`;

export function setETag(reply: FastifyReply, streamVersion: number | null): void {
  if (streamVersion !== null && streamVersion >= 0) void reply.header('etag', etagOf(streamVersion));
}

// RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"$/;
const OUR_TAG = /^(0|[1-9][0-9]{0,14})$/;
const IF_MATCH_MESSAGE = 'must be * or a comma-separated list of entity tags such as "3" (the ETag of a read)';

/**
 * The precondition `If-Match` states, or undefined without one. Comparison is strong (§13.1.1):
 * a weak tag, or a tag that is not one of ours, never matches, so a list of only those fails (412).
 */
export function preconditionOf(request: FastifyRequest): StreamPrecondition | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return { kind: 'exists' };
  const versions: number[] = [];
  for (const part of value.split(',')) {
    const tag = ENTITY_TAG.exec(part.trim());
    if (!tag) throw invalidFields([{ field: 'headers.if-match', message: IF_MATCH_MESSAGE }]);
    if (!tag[1] && OUR_TAG.test(tag[2]!)) versions.push(Number(tag[2]));
  }
  return { kind: 'at', versions };
}

/** Documents the header in the OpenAPI description of a route that honours it (parsing is preconditionOf's). */
export const ifMatchHeaders = z.looseObject({
  'if-match': z
    .string()
    .optional()
    .describe('Apply the change only if the resource is still at this ETag (from a read or an earlier write); otherwise 412. `*`: only if it exists.'),
});

/** The response header documented on reads and writes of an aggregate. */
export const etagResponseHeader = { etag: { type: 'string', description: "The aggregate's version as a strong entity tag (its ledger stream version), for If-Match" } };

import type { FastifyInstance } from 'fastify';
import { invalidFields } from './problem-details.js';

// PostgreSQL text and jsonb cannot hold U+0000, and a lone UTF-16 surrogate cannot be encoded as
// UTF-8: a value holding either fails in the database (a 500) instead of as the caller's mistake.
const NUL = '\u0000';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or null when it can. */
export function unstorableReason(text: string): string | null {
  if (text.includes(NUL)) return 'contains a NUL character (U+0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate, which is not valid Unicode text';
  return null;
}

type Frame = { value: object; field: string };

const isWalkable = (value: unknown): value is object => {
  if (typeof value !== 'object' || value === null) return false;
  // A raw body (Buffer) or a stream is bytes, not text. Query objects are not plain (their prototype is an empty class).
  return !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && typeof (value as { pipe?: unknown }).pipe !== 'function';
};

/**
 * The first string (value or object key) anywhere in `value` that cannot be stored, as
 * `{ field, message }` with the field's path under `root` (`body.tags.2`), or null. Walked with an
 * explicit stack: a deeply nested JSON body must not overflow the call stack.
 */
export function findUnstorableText(value: unknown, root: string): { field: string; message: string } | null {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { field: root, message: reason } : null;
  }
  if (!isWalkable(value)) return null;
  const stack: Frame[] = [{ value, field: root }];
  while (stack.length > 0) {
    const { value: node, field } = stack.pop()!;
    const keys = Array.isArray(node) ? null : Object.keys(node);
    const length = keys ? keys.length : (node as unknown[]).length;
    for (let i = 0; i < length; i++) {
      const key = keys ? keys[i]! : String(i);
      if (keys) {
        const reason = unstorableReason(key);
        if (reason) return { field, message: `has a key that ${reason}` };
      }
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'string') {
        const reason = unstorableReason(child);
        if (reason) return { field: `${field}.${key}`, message: reason };
      } else if (isWalkable(child)) stack.push({ value: child, field: `${field}.${key}` });
    }
  }
  return null;
}

/**
 * Refuses, before any route's schema runs, a request whose path parameters, query, headers or
 * parsed body hold text that cannot be stored: 400 naming the field. One hook on the root, so it
 * covers every route, also the parts a route reads without a schema. Multipart parts are streamed
 * past it and checked as they are read (multipart-upload.ts).
 */
export function registerStorableTextCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found =
      findUnstorableText(request.params, 'params') ??
      findUnstorableText(request.query, 'query') ??
      findUnstorableText(request.headers, 'headers') ??
      findUnstorableText(request.body, 'body');
    if (found) throw invalidFields([found]);
  });
}

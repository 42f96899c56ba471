import type { FastifyInstance } from 'fastify';
import { invalidFields } from './problem-details.js';

// PostgreSQL text and jsonb cannot hold U+0000, and a lone UTF-16 surrogate cannot be encoded as
// UTF-8: a value holding either fails in the database (a 500) instead of as the caller's mistake.
const NUL = '\u0000';
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const SUSPECT = /[\u0000\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or null when it can. */
export function unstorableReason(text: string): string | null {
  // One scan for the common case (nothing suspect); surrogate pairs (emoji) take the closer look.
  if (!SUSPECT.test(text)) return null;
  if (text.includes(NUL)) return 'contains a NUL character (U+0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate, which is not valid Unicode text';
  return null;
}

// Far beyond any body a route takes; deeper JSON exhausts PostgreSQL's stack (jsonb) and recursive code.
const MAX_NESTING = 100;

type Frame = { value: object; field: string; depth: number };

const isWalkable = (value: unknown): value is object => {
  if (typeof value !== 'object' || value === null) return false;
  // A raw body (Buffer) or a stream is bytes, not text. Query objects are not plain (their prototype is an empty class).
  return !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && typeof (value as { pipe?: unknown }).pipe !== 'function';
};

/**
 * The first string (value or object key) anywhere in `value` that cannot be stored, or object
 * nested too deep, as `{ field, message }` with the field's path under `root` (`body.tags.2`), or
 * null. Walked with an explicit stack: a deeply nested JSON body must not overflow the call stack.
 */
export function findUnstorableInput(value: unknown, root: string): { field: string; message: string } | null {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { field: root, message: reason } : null;
  }
  if (!isWalkable(value)) return null;
  const stack: Frame[] = [{ value, field: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: node, field, depth } = stack.pop()!;
    if (depth > MAX_NESTING) return { field, message: `is nested deeper than ${MAX_NESTING} levels` };
    const visit = (child: unknown, key: string | number): { field: string; message: string } | null => {
      if (typeof child === 'string') {
        const reason = unstorableReason(child);
        return reason ? { field: `${field}.${key}`, message: reason } : null;
      }
      if (isWalkable(child)) stack.push({ value: child, field: `${field}.${key}`, depth: depth + 1 });
      return null;
    };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const found = visit(node[i], i);
        if (found) return found;
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      const reason = unstorableReason(key);
      if (reason) return { field, message: `has a key that ${reason}` };
      const found = visit((node as Record<string, unknown>)[key], key);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Refuses, before any route's schema runs, a request whose path parameters, query, headers or
 * parsed body hold text that cannot be stored (or JSON nested too deep): 400 naming the field.
 * One hook on the root, so it covers every route, also the parts a route reads without a schema.
 * Multipart parts are streamed past it and checked as they are read (multipart-upload.ts).
 */
export function registerStorableInputCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found =
      findUnstorableInput(request.params, 'params') ??
      findUnstorableInput(request.query, 'query') ??
      findUnstorableInput(request.headers, 'headers') ??
      findUnstorableInput(request.body, 'body');
    if (found) throw invalidFields([found]);
  });
}

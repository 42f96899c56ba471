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

/** A node to visit; its field path is built only when something in it is reported. */
type Frame = { value: object; parent: Frame | null; key: string | number; depth: number };

const fieldOf = (frame: Frame, root: string): string => {
  const keys: (string | number)[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) keys.push(f.key);
  return [root, ...keys.reverse()].join('.');
};

const isWalkable = (value: unknown): value is object => {
  if (typeof value !== 'object' || value === null) return false;
  // A raw body (Buffer) or a stream is bytes, not text. Query objects are not plain (their prototype is an empty class).
  return !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && typeof (value as { pipe?: unknown }).pipe !== 'function';
};

/**
 * The first string (value or object key) anywhere in `value` that cannot be stored, or object
 * nested too deep, as `{ field, message }` with the field's path under `root` (`body.tags.2`), or
 * null. Walked with an explicit stack: a deeply nested JSON body must not overflow the call stack.
 * A batch of 10,000 instances repeats the same 30 keys: each distinct key is checked once.
 */
export function findUnstorableInput(value: unknown, root: string): { field: string; message: string } | null {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { field: root, message: reason } : null;
  }
  if (!isWalkable(value)) return null;
  const storableKeys = new Set<string>();
  const stack: Frame[] = [{ value, parent: null, key: '', depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > MAX_NESTING) return { field: fieldOf(frame, root), message: `is nested deeper than ${MAX_NESTING} levels` };
    const node = frame.value;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child === 'string') {
          const reason = unstorableReason(child);
          if (reason) return { field: `${fieldOf(frame, root)}.${i}`, message: reason };
        } else if (isWalkable(child)) stack.push({ value: child, parent: frame, key: i, depth: frame.depth + 1 });
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      if (!storableKeys.has(key)) {
        const reason = unstorableReason(key);
        if (reason) return { field: fieldOf(frame, root), message: `has a key that ${reason}` };
        storableKeys.add(key);
      }
      const child: unknown = (node as Record<string, unknown>)[key];
      if (typeof child === 'string') {
        const reason = unstorableReason(child);
        if (reason) return { field: `${fieldOf(frame, root)}.${key}`, message: reason };
      } else if (isWalkable(child)) stack.push({ value: child, parent: frame, key, depth: frame.depth + 1 });
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

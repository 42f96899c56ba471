import WebSocket from 'ws';
import { EventSource } from 'eventsource';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A real WebSocket client that keeps every frame it receives, for tests. */
export type TestSocket = {
  socket: WebSocket;
  frames: Json[];
  /** Resolves with the first frame (from `from` on) matching, or rejects after `timeoutMs`. */
  next(match: (frame: Json) => boolean, timeoutMs?: number, from?: number): Promise<Json>;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
};

export async function openSocket(url: string, options: { headers?: Record<string, string>; protocols?: string[]; autoPong?: boolean } = {}): Promise<TestSocket> {
  const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers, autoPong: options.autoPong ?? true });
  const frames: Json[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Json);
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    socket,
    frames,
    send: (message) => socket.send(JSON.stringify(message)),
    closed,
    close: () => socket.close(),
    next(match, timeoutMs = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.slice(from).find(match);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames).slice(0, 2000)}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}

/** The status a refused WebSocket upgrade answered with. */
export function refusedUpgrade(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('error', () => undefined);
  });
}

export type SseEvent = { id: string; type: string; data: Json };

/** A real EventSource (the `eventsource` package, WHATWG semantics) with its received events. */
export function openEventSource(url: string, headers: Record<string, string>): { source: EventSource; events: SseEvent[]; next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>; opened: Promise<void> } {
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
  });
  const onAny = (e: MessageEvent) => {
    events.push({ id: e.lastEventId, type: e.type, data: JSON.parse(String(e.data)) as Json });
    for (const w of waiters) w();
  };
  // EventSource dispatches by the `event:` field: listen for every type the tests produce.
  for (const type of ['model.registered', 'model.updated', 'model.deleted', 'export.requested', 'export.completed', 'export.failed', 'user.invited', 'dataset.registered', 'test.noise', 'message']) source.addEventListener(type, onAny as (e: Event) => void);
  const opened = new Promise<void>((resolve, reject) => {
    source.onopen = () => resolve();
    source.onerror = (e) => reject(new Error(`event source failed: ${JSON.stringify(e)}`));
  });
  return {
    source,
    events,
    opened,
    next(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => [e.id, e.type]))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}

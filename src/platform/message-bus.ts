import type { Logger } from './logger.js';

/**
 * The message bus port (ARCHITECTURE.md, "Processors and scale-out"): the relay publishes committed
 * events, processors and workers consume them through durable consumers. Adapters: NATS JetStream
 * (`nats-bus.ts`) and an in-memory bus for a single process without `NATS_URL` (`in-process-bus.ts`);
 * both pass the same behaviour suite.
 *
 * Delivery is at least once: a handler may see a message again (after a failure, a crash, or a
 * consumer stopped with messages in hand), so handlers must be idempotent; processors are, because
 * their result event ids derive from the cause.
 */

export type OutgoingMessage = {
  /** A NATS subject without wildcards, e.g. `raia.events.model.registered`. */
  subject: string;
  /** Deduplication id: publishing an id again within the duplicate window stores nothing. */
  id: string;
  payload: Uint8Array | string;
  headers?: Record<string, string>;
};

export type PublishResult = {
  /** True when the id was already published within the duplicate window. */
  duplicate: boolean;
  /** The message's sequence in the bus (for a duplicate: the sequence of the original). */
  sequence: number;
};

export type DeliveredMessage = {
  subject: string;
  id: string;
  /** Sequence in the bus; first deliveries of one durable come in increasing sequence. */
  sequence: number;
  payload: Uint8Array;
  headers: Record<string, string>;
  /** 1 on the first delivery, incremented by every redelivery. */
  deliveryCount: number;
  /** The payload parsed as UTF-8 JSON. */
  data(): unknown;
};

export type DeadLetter = {
  message: DeliveredMessage;
  /** What the last delivery's handler threw (or why it never settled). */
  error: unknown;
};

export type ConsumeOptions = {
  /** Durable consumer name: its position survives `stop()`, and consumers sharing it share the work. */
  durable: string;
  /** Subjects to receive, with NATS wildcards (`*` one token, `>` one or more trailing tokens). */
  filterSubjects: string[];
  /** Deliveries before a failing message is dead-lettered. Default 5. */
  maxDeliver?: number;
  /**
   * How long an unacknowledged delivery stays with its consumer before it is redelivered. The consumer
   * signals progress while its handler runs, so this bounds the redelivery delay after a crash, not how
   * long a handler may take. Default 30 s. The in-process bus loses in-flight work with its process
   * anyway and ignores it.
   */
  ackWaitMs?: number;
  /** Delay before redelivering a message whose handler threw on delivery `deliveryCount`. */
  redeliveryDelayMs?: (deliveryCount: number) => number;
  /**
   * Messages fetched ahead of the handler (NATS only). Default 1, so heavy work spreads evenly over
   * worker processes; light, fast consumers may raise it for throughput.
   */
  prefetch?: number;
  /** Called once per message; an acknowledged message is never delivered to this durable again. */
  handler(message: DeliveredMessage): Promise<void>;
  /** Called with a message that failed `maxDeliver` times; it is then terminated, never redelivered. */
  onDeadLetter?(deadLetter: DeadLetter): void | Promise<void>;
};

export type MessageConsumer = {
  /** Stops fetching, lets the running handler finish (and acknowledges it), then resolves. */
  stop(): Promise<void>;
};

export type BusHealth = {
  kind: 'nats' | 'in-process';
  connected: boolean;
  detail?: Record<string, string | number | boolean | null>;
};

/** A live notice of a published message: no durable position, no acknowledgement, no redelivery. */
export type WatchOptions = {
  /** Subjects to hear, with NATS wildcards. */
  filterSubjects: string[];
  /** Called for each message published from now on while the watch lasts (NATS: at most once). */
  onMessage(subject: string, headers: Record<string, string>): void;
};

export type MessageWatch = { stop(): Promise<void> };

export interface MessageBus {
  readonly kind: BusHealth['kind'];
  publish(message: OutgoingMessage): Promise<PublishResult>;
  /**
   * Hears messages as they are published, without a durable consumer (NATS: a core subscription):
   * for wake-up signals whose loss only costs latency, e.g. telling every API node that the ledger
   * moved, where a durable per node would pile up consumers on the server.
   */
  watch(options: WatchOptions): Promise<MessageWatch>;
  /** Resolves once the durable consumer exists and delivery has started. */
  consume(options: ConsumeOptions): Promise<MessageConsumer>;
  health(): Promise<BusHealth>;
  /** Stops every consumer and releases the connection. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_DELIVER = 5;
export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60_000;

/** Exponential backoff: 1 s after the first failure, doubling, at most 60 s. */
export const defaultRedeliveryDelayMs = (deliveryCount: number): number => Math.min(1000 * 2 ** (deliveryCount - 1), 60_000);

// NATS subject syntax: dot-separated non-empty tokens without whitespace.
const TOKEN = /^[^\s.*>]+$/;

export class InvalidSubject extends Error {
  readonly code = 'INVALID_SUBJECT';
  constructor(
    public readonly subject: string,
    reason: string,
  ) {
    super(`invalid subject "${subject}": ${reason}`);
    this.name = 'InvalidSubject';
  }
}

/** A subject a message is published to: literal tokens only. */
export function assertPublishSubject(subject: string): void {
  const tokens = subject.split('.');
  if (!tokens.every((t) => TOKEN.test(t))) throw new InvalidSubject(subject, 'tokens must be non-empty, without spaces or wildcards');
}

/** A subscription filter: literal tokens, `*` for one token, `>` as the last token only. */
export function assertSubjectFilter(filter: string): void {
  const tokens = filter.split('.');
  tokens.forEach((t, i) => {
    if (t === '>' && i !== tokens.length - 1) throw new InvalidSubject(filter, '">" must be the last token');
    if (t !== '*' && t !== '>' && !TOKEN.test(t)) throw new InvalidSubject(filter, `bad token "${t}"`);
  });
}

/** NATS wildcard matching: `*` matches exactly one token, a final `>` one or more tokens. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i]!;
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}

export function matchesAny(filters: string[], subject: string): boolean {
  return filters.some((f) => subjectMatches(f, subject));
}

export function validateConsumeOptions(options: ConsumeOptions): void {
  if (!/^[A-Za-z0-9_-]+$/.test(options.durable)) throw new Error(`durable name "${options.durable}" must be letters, digits, "_" or "-"`);
  if (options.filterSubjects.length === 0) throw new Error('filterSubjects must name at least one subject');
  options.filterSubjects.forEach(assertSubjectFilter);
  const maxDeliver = options.maxDeliver ?? DEFAULT_MAX_DELIVER;
  if (!Number.isInteger(maxDeliver) || maxDeliver < 1) throw new Error('maxDeliver must be a positive integer');
  if (options.prefetch !== undefined && (!Number.isInteger(options.prefetch) || options.prefetch < 1)) throw new Error('prefetch must be a positive integer');
  if (options.ackWaitMs !== undefined && !(options.ackWaitMs >= 1000)) throw new Error('ackWaitMs must be at least 1000');
}

const utf8 = new TextDecoder();

export const payloadBytes = (payload: Uint8Array | string): Uint8Array => (typeof payload === 'string' ? new TextEncoder().encode(payload) : payload);

export const parseJsonPayload = (payload: Uint8Array): unknown => JSON.parse(utf8.decode(payload));

/** Logs a dead letter and hands it to the consumer's callback; a failing callback must not stop the consumer. */
export async function reportDeadLetter(options: ConsumeOptions, deadLetter: DeadLetter, logger?: Logger): Promise<void> {
  const { message } = deadLetter;
  logger?.warn({ durable: options.durable, subject: message.subject, id: message.id, deliveryCount: message.deliveryCount, err: deadLetter.error }, 'message dead-lettered');
  try {
    await options.onDeadLetter?.(deadLetter);
  } catch (error) {
    logger?.error({ durable: options.durable, err: error }, 'dead-letter callback failed');
  }
}

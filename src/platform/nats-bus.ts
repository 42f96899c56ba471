import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  connect,
  headers as natsHeaders,
  nanos,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import type { Logger } from './logger.js';
import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_DELIVER,
  InvalidSubject,
  assertPublishSubject,
  defaultRedeliveryDelayMs,
  matchesAny,
  parseJsonPayload,
  payloadBytes,
  reportDeadLetter,
  subjectMatches,
  validateConsumeOptions,
  type BusHealth,
  type ConsumeOptions,
  type DeliveredMessage,
  type MessageBus,
  type MessageConsumer,
  type OutgoingMessage,
  type PublishResult,
  type WatchOptions,
} from './message-bus.js';
import { processTraced, publishTraced } from './message-tracing.js';

export type NatsBusOptions = {
  url: string;
  /** JetStream stream name. Default `RAIA_EVENTS`. */
  stream?: string;
  /** The stream captures `<subjectPrefix>.>`. Default `raia.events`. */
  subjectPrefix?: string;
  /** How long JetStream remembers a message id for deduplication. Default 10 minutes. */
  duplicateWindowMs?: number;
  /** Connection name shown in the server's monitoring. */
  connectionName?: string;
  logger?: Logger;
};

const MSG_ID_HEADER = 'Nats-Msg-Id';
const HEALTH_TIMEOUT_MS = 2000;
const ACK_TIMEOUT_MS = 5000;
/** How long one pull waits on the server for messages; an idle consumer re-asks this often. */
const FETCH_EXPIRES_MS = 10_000;

/**
 * The message bus on NATS JetStream: one stream captures `<prefix>.>`, publishes carry the message id
 * as `Nats-Msg-Id` so the server drops duplicates within its window, and consumers are durable pull
 * consumers with explicit acknowledgement.
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<MessageBus> {
  const stream = options.stream ?? 'RAIA_EVENTS';
  const subjectPrefix = options.subjectPrefix ?? 'raia.events';
  assertPublishSubject(subjectPrefix);
  const streamSubject = `${subjectPrefix}.>`;
  const duplicateWindowMs = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  const logger = options.logger;

  const nc = await connect({ servers: options.url, name: options.connectionName ?? 'raia', maxReconnectAttempts: -1 });
  let jsm: JetStreamManager;
  try {
    jsm = await nc.jetstreamManager();
    await ensureStream(jsm, stream, streamSubject, duplicateWindowMs);
  } catch (error) {
    await nc.close();
    throw error;
  }
  const js = nc.jetstream();
  const multipleFilters = serverAtLeast(nc, [2, 10, 0]);
  const consumers = new Set<MessageConsumer>();

  return {
    kind: 'nats',

    async publish(message: OutgoingMessage): Promise<PublishResult> {
      assertPublishSubject(message.subject);
      if (!subjectMatches(streamSubject, message.subject)) throw new InvalidSubject(message.subject, `outside the stream's subjects ${streamSubject}`);
      return publishTraced('nats', message, async (traced) => {
        const headers = natsHeaders();
        for (const [key, value] of Object.entries(traced.headers ?? {})) headers.set(key, value);
        const ack = await js.publish(traced.subject, payloadBytes(traced.payload), { msgID: traced.id, headers, expect: { streamName: stream } });
        return { duplicate: ack.duplicate, sequence: ack.seq };
      });
    },

    async consume(consumeOptions: ConsumeOptions): Promise<MessageConsumer> {
      validateConsumeOptions(consumeOptions);
      const consumer = await startConsumer({ jsm, js, stream, streamSubject, multipleFilters, logger }, consumeOptions);
      const tracked: MessageConsumer = {
        async stop() {
          consumers.delete(tracked);
          await consumer.stop();
        },
      };
      consumers.add(tracked);
      return tracked;
    },

    async watch(watchOptions: WatchOptions) {
      // Core subscriptions hear JetStream publishes too (they are ordinary messages on the subject).
      const subscriptions = watchOptions.filterSubjects.map((subject) =>
        nc.subscribe(subject, {
          callback: (error, m) => {
            if (error) return;
            const headers: Record<string, string> = {};
            for (const key of m.headers?.keys() ?? []) headers[key] = m.headers!.get(key);
            watchOptions.onMessage(m.subject, headers);
          },
        }),
      );
      await nc.flush();
      return {
        async stop() {
          for (const subscription of subscriptions) subscription.unsubscribe();
        },
      };
    },

    async health(): Promise<BusHealth> {
      const detail: NonNullable<BusHealth['detail']> = { server: nc.info?.server_name ?? null, version: nc.info?.version ?? null, stream };
      if (nc.isClosed()) return { kind: 'nats', connected: false, detail };
      try {
        // rtt() waits for a reconnect while disconnected, so a bounded wait tells "down" from "slow".
        const [rttMs, info] = await withTimeout(Promise.all([nc.rtt(), jsm.streams.info(stream)]), HEALTH_TIMEOUT_MS);
        return { kind: 'nats', connected: true, detail: { ...detail, rttMs, messages: info.state.messages, lastSequence: info.state.last_seq } };
      } catch (error) {
        return { kind: 'nats', connected: false, detail: { ...detail, error: error instanceof Error ? error.message : String(error) } };
      }
    },

    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      if (!nc.isClosed()) await nc.drain();
    },
  };
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string, duplicateWindowMs: number) {
  const wanted = { subjects: [subject], duplicate_window: nanos(duplicateWindowMs) };
  const existing = await jsm.streams.info(name).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (!existing) {
    await jsm.streams.add({ name, ...wanted, retention: RetentionPolicy.Limits, storage: StorageType.File });
    return;
  }
  const config = existing.config;
  if (config.duplicate_window !== wanted.duplicate_window || !config.subjects.includes(subject)) {
    await jsm.streams.update(name, { ...config, subjects: [...new Set([...config.subjects, subject])], duplicate_window: wanted.duplicate_window });
  }
}

type ConsumerContext = {
  jsm: JetStreamManager;
  js: JetStreamClient;
  stream: string;
  streamSubject: string;
  /** Servers before 2.10 take a single filter subject per consumer. */
  multipleFilters: boolean;
  logger?: Logger;
};

async function startConsumer(context: ConsumerContext, options: ConsumeOptions): Promise<MessageConsumer> {
  const { jsm, js, stream, logger } = context;
  const maxDeliver = options.maxDeliver ?? DEFAULT_MAX_DELIVER;
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const redeliveryDelayMs = options.redeliveryDelayMs ?? defaultRedeliveryDelayMs;
  const filters = [...options.filterSubjects];

  const config: Partial<ConsumerConfig> = {
    ack_wait: nanos(ackWaitMs),
    // One delivery beyond the handler's limit: a message whose last handler never settled (its
    // process died) comes back once more, only to be dead-lettered here rather than dropped silently.
    max_deliver: maxDeliver + 1,
    ...serverFilter(filters, context),
  };
  const existing = await jsm.consumers.info(stream, options.durable).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (!existing) {
    await jsm.consumers.add(stream, { ...config, durable_name: options.durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  } else if (differs(existing.config, config)) {
    // The client merges an update into the current config: name both filter fields so the unused one is cleared.
    await jsm.consumers.update(stream, options.durable, { ...config, filter_subject: config.filter_subject, filter_subjects: config.filter_subjects });
  }
  const consumer = await js.consumers.get(stream, options.durable);
  const prefetch = options.prefetch ?? 1;

  const handle = async (m: JsMsg) => {
    // With a covering server filter (pre-2.10 servers), subjects outside the requested ones are skipped here.
    if (!matchesAny(filters, m.subject)) {
      m.ack();
      return;
    }
    const message = toDelivered(m);
    if (message.deliveryCount > maxDeliver) {
      await reportDeadLetter(options, { message, error: new Error(`no handler settled within ${maxDeliver} deliveries (ack wait expired)`) }, logger);
      m.term();
      return;
    }
    // Progress pings keep JetStream from redelivering a message whose handler is still working.
    const progress = setInterval(() => m.working(), Math.max(ackWaitMs / 2, 100));
    try {
      await processTraced('nats', options.durable, message, options.handler);
    } catch (error) {
      clearInterval(progress);
      if (message.deliveryCount >= maxDeliver) {
        await reportDeadLetter(options, { message, error }, logger);
        m.term();
      } else {
        m.nak(redeliveryDelayMs(message.deliveryCount));
      }
      return;
    } finally {
      clearInterval(progress);
    }
    // Waiting for the server's confirmation means a stopped consumer's last message is settled
    // before a successor asks for more, so an acknowledged message is never delivered again.
    const confirmed = await m.ackAck({ timeout: ACK_TIMEOUT_MS }).catch(() => false);
    if (!confirmed) logger?.warn({ durable: options.durable, id: message.id }, 'acknowledgement not confirmed; the message may be redelivered');
  };

  let stopping = false;
  let batch: ConsumerMessages | null = null;
  let wakeFromBackoff: () => void = () => undefined;

  // Messages are pulled only when the handler is free (`fetch`, not a self-refilling `consume`): a
  // message waiting in a local buffer would have its ack wait run out while an earlier slow handler
  // works, and be redelivered elsewhere while still queued here.
  const run = async () => {
    let failures = 0;
    while (!stopping) {
      try {
        batch = await consumer.fetch({ max_messages: prefetch, expires: FETCH_EXPIRES_MS });
        if (stopping) await batch.close();
        for await (const m of batch) {
          // Messages fetched ahead of a stop go straight back for another consumer.
          if (stopping) m.nak();
          else await handleSafely(m);
        }
        failures = 0;
      } catch (error) {
        if (stopping) break;
        const delayMs = Math.min(250 * 2 ** failures++, 5000);
        logger?.warn({ durable: options.durable, err: error, retryInMs: delayMs }, 'fetching messages failed');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          wakeFromBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      } finally {
        batch = null;
      }
    }
  };

  /** A failure outside the handler (e.g. the connection dropped) leaves the message to be redelivered. */
  const handleSafely = (m: JsMsg) =>
    handle(m).catch((error: unknown) => {
      logger?.error({ durable: options.durable, subject: m.subject, err: error }, 'message left unacknowledged');
    });

  const done = run();

  return {
    async stop() {
      stopping = true;
      wakeFromBackoff();
      await batch?.close();
      await done;
    },
  };
}

function toDelivered(m: JsMsg): DeliveredMessage {
  const headers: Record<string, string> = {};
  let id = '';
  for (const [key, values] of m.headers ?? []) {
    if (key === MSG_ID_HEADER) id = values[0] ?? '';
    else if (!key.startsWith('Nats-')) headers[key] = values[0] ?? '';
  }
  const payload = m.data;
  return {
    subject: m.subject,
    id,
    sequence: m.seq,
    payload,
    headers,
    deliveryCount: m.info.deliveryCount,
    data: () => parseJsonPayload(payload),
  };
}

/**
 * The consumer's server-side filter. One subject, or several on servers that take several; older
 * servers get the narrowest single filter covering all of them (their common leading literal
 * tokens followed by `>`), and the consumer skips the rest.
 */
function serverFilter(filters: string[], context: ConsumerContext): Pick<ConsumerConfig, 'filter_subject' | 'filter_subjects'> {
  if (filters.length === 1) return { filter_subject: filters[0]! };
  if (context.multipleFilters) return { filter_subjects: filters };
  const split = filters.map((f) => f.split('.'));
  const common: string[] = [];
  for (let i = 0; split.every((tokens) => i < tokens.length - 1 && tokens[i] === split[0]![i] && tokens[i] !== '*' && tokens[i] !== '>'); i++) {
    common.push(split[0]![i]!);
  }
  return { filter_subject: common.length === 0 ? context.streamSubject : `${common.join('.')}.>` };
}

function differs(current: ConsumerConfig, wanted: Partial<ConsumerConfig>): boolean {
  return (
    current.ack_wait !== wanted.ack_wait ||
    current.max_deliver !== wanted.max_deliver ||
    (current.filter_subject ?? '') !== (wanted.filter_subject ?? '') ||
    JSON.stringify(current.filter_subjects ?? []) !== JSON.stringify(wanted.filter_subjects ?? [])
  );
}

function serverAtLeast(nc: NatsConnection, minimum: [number, number, number]): boolean {
  const parts = (nc.info?.version ?? '0.0.0').split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const have = parts[i] ?? 0;
    if (have !== minimum[i]) return have > minimum[i]!;
  }
  return true;
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: string; api_error?: { code?: number } } | null;
  return e?.code === '404' || e?.api_error?.code === 404;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

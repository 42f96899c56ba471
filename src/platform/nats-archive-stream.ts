import { RetentionPolicy, StorageType, connect, headers as natsHeaders, type StreamConfig } from 'nats';
import { assertPublishSubject, payloadBytes, type OutgoingMessage } from './message-bus.js';

export type NatsArchiveOptions = {
  url: string;
  /** The archive stream's name, e.g. `RAIA_LEDGER_SEALS`. */
  stream: string;
  /**
   * The subject prefix it captures, e.g. `raia.ledger.sealed`: messages go to `<subject>.<key>`, so
   * several ledgers (each key its own) can share one stream without reading each other's newest
   * message. It must lie outside every other stream's subjects.
   */
  subject: string;
};

export type NatsArchive = {
  /** Stores a message under `<subject>.<key>` (deduplicated by id within the stream's duplicate window). */
  publish(key: string, message: Omit<OutgoingMessage, 'subject'>): Promise<void>;
  /** The newest message under `<subject>.<key>` (headers and JSON payload), or null when there is none. */
  last(key: string): Promise<{ headers: Record<string, string>; data: unknown } | null>;
  close(): Promise<void>;
};

/**
 * A JetStream stream that keeps what is published to it: no age or size limit, and the server refuses
 * to delete or purge its messages (`deny_delete`, `deny_purge`), so only deleting the whole stream
 * removes them, which a NATS account apart from the database's operators can forbid. A stream of its
 * own rather than a copy sourced from the bus stream: NATS 2.9 stores the bus publishes'
 * `Nats-Expected-Stream` header with them and a sourcing stream then refuses every one.
 */
export async function openNatsArchive(options: NatsArchiveOptions): Promise<NatsArchive> {
  assertPublishSubject(options.subject);
  const captured = `${options.subject}.>`;
  const subjectOf = (key: string) => {
    const subject = `${options.subject}.${key}`;
    assertPublishSubject(subject);
    return subject;
  };
  const nc = await connect({ servers: options.url, name: `raia-archive-${options.stream}`, maxReconnectAttempts: -1 });
  try {
    const jsm = await nc.jetstreamManager();
    const existing = await jsm.streams.info(options.stream).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (!existing) {
      const config: Partial<StreamConfig> = { name: options.stream, subjects: [captured], retention: RetentionPolicy.Limits, storage: StorageType.File, deny_delete: true, deny_purge: true };
      await jsm.streams.add(config);
    } else if (!existing.config.subjects.includes(captured)) {
      await jsm.streams.update(options.stream, { ...existing.config, subjects: [...existing.config.subjects, captured] });
    }
    const js = nc.jetstream();
    return {
      async publish(key, message) {
        const headers = natsHeaders();
        for (const [key, value] of Object.entries(message.headers ?? {})) headers.set(key, value);
        await js.publish(subjectOf(key), payloadBytes(message.payload), { msgID: message.id, headers, expect: { streamName: options.stream } });
      },
      async last(key) {
        try {
          const last = await jsm.streams.getMessage(options.stream, { last_by_subj: subjectOf(key) });
          return { headers: Object.fromEntries([...last.header.keys()].map((key) => [key, last.header.get(key)])), data: last.json() };
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      },
      async close() {
        if (!nc.isClosed()) await nc.drain();
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: string; api_error?: { code?: number } } | null;
  return e?.code === '404' || e?.api_error?.code === 404;
}

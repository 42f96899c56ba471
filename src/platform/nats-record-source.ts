import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, connect, nanos, type ConsumerMessages, type JetStreamManager, type NatsConnection } from 'nats';
import type { Logger } from './logger.js';

/**
 * Records of data streams read from NATS JetStream subjects (not RAIA's own event bus): one durable
 * pull consumer per data stream, filtered on its subject (one filter subject per consumer, which
 * NATS 2.9 servers require). The JetStream stream capturing the subject is the one that already
 * does; when none does, one is created for it (`RAIA_DS_<id>`, limits retention, 7 days) and
 * removed again when the data stream is deleted. A new durable starts with messages published
 * after it was created; it keeps its place across stop and start, so records published while a
 * data stream is stopped are read when it starts again.
 */

export type RecordDelivery = { payload: Uint8Array; subject: string; sequence: number };

export type NatsRecordSubscription = {
  /** Messages of the subject not yet delivered to the consumer (JetStream's num_pending). */
  lag(): Promise<number>;
  stop(): Promise<void>;
};

export type NatsRecordSource = {
  subscribe(options: { streamId: string; subject: string; handler: (delivery: RecordDelivery) => Promise<void> }): Promise<NatsRecordSubscription>;
  /** Removes the durable consumer of a data stream, and the JetStream stream RAIA created for it. */
  forget(streamId: string, subject: string): Promise<void>;
  close(): Promise<void>;
};

const OWNED_DESCRIPTION = (streamId: string) => `RAIA data stream ${streamId}`;
export const durableNameFor = (streamId: string) => `raia-ds-${streamId}`;
export const jetStreamNameFor = (streamId: string) => `RAIA_DS_${streamId.replace(/-/g, '')}`;

function isNotFound(error: unknown): boolean {
  const e = error as { code?: string; api_error?: { code?: number }; message?: string } | null;
  return e?.code === '404' || e?.api_error?.code === 404 || /no stream matches subject/i.test(e?.message ?? '');
}

export async function connectNatsRecordSource(options: { url: string; logger?: Logger }): Promise<NatsRecordSource> {
  let nc: NatsConnection | null = null;
  let jsm: JetStreamManager | null = null;
  const subscriptions = new Set<NatsRecordSubscription>();

  // Connected on first use: a RAIA without NATS data streams never opens the connection.
  const manager = async (): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> => {
    if (!nc || nc.isClosed()) {
      nc = await connect({ servers: options.url, name: 'raia-data-streams', maxReconnectAttempts: -1 });
      jsm = await nc.jetstreamManager();
    }
    return { nc, jsm: jsm! };
  };

  async function streamFor(jsm: JetStreamManager, streamId: string, subject: string): Promise<string> {
    const found = await jsm.streams.find(subject).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (found) return found;
    const name = jetStreamNameFor(streamId);
    await jsm.streams.add({ name, subjects: [subject], description: OWNED_DESCRIPTION(streamId), retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: nanos(7 * 86_400_000) });
    return name;
  }

  return {
    async subscribe({ streamId, subject, handler }) {
      const { nc, jsm } = await manager();
      const stream = await streamFor(jsm, streamId, subject);
      const durable = durableNameFor(streamId);
      const info = await jsm.consumers.info(stream, durable).catch((error: unknown) => {
        if (isNotFound(error)) return null;
        throw error;
      });
      if (!info) await jsm.consumers.add(stream, { durable_name: durable, filter_subject: subject, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, ack_wait: nanos(30_000), max_deliver: 5 });
      const consumer = await nc.jetstream().consumers.get(stream, durable);
      let messages: ConsumerMessages | null = null;
      let stopping = false;
      const run = async () => {
        while (!stopping) {
          try {
            messages = await consumer.consume({ max_messages: 256 });
            for await (const m of messages) {
              if (stopping) {
                m.nak();
                continue;
              }
              // Acknowledged once in the window: a crash loses the open window's records, never doubles them.
              await handler({ payload: m.data, subject: m.subject, sequence: m.seq });
              m.ack();
            }
          } catch (error) {
            if (stopping) break;
            options.logger?.warn({ err: error, streamId }, 'data stream consumer failed; retrying');
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
      };
      const done = run();
      const subscription: NatsRecordSubscription = {
        async lag() {
          const i = await consumer.info();
          return i.num_pending;
        },
        async stop() {
          stopping = true;
          subscriptions.delete(subscription);
          await (messages as ConsumerMessages | null)?.close();
          await done;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async forget(streamId, subject) {
      const { jsm } = await manager();
      const stream = await jsm.streams.find(subject).catch(() => null);
      if (!stream) return;
      await jsm.consumers.delete(stream, durableNameFor(streamId)).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
      const info = await jsm.streams.info(stream);
      if (info.config.description === OWNED_DESCRIPTION(streamId)) await jsm.streams.delete(stream);
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      const connection = nc as NatsConnection | null;
      if (connection && !connection.isClosed()) await connection.drain();
    },
  };
}

import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Logger } from './logger.js';
import type { RecordDelivery } from './nats-record-source.js';

/**
 * Records of data streams read from Kafka topics with kafkajs: one consumer group per data stream
 * (`raia-ds-<id>`), so its committed offsets survive stop and start and a restart. Only brokers
 * the operator allowed (RAIA_KAFKA_BROKERS) may be named by a stream: a stream's owner must not be
 * able to make RAIA connect to arbitrary hosts.
 */

export type KafkaRecordSubscription = { lag(): Promise<number | null>; stop(): Promise<void> };

export const kafkaGroupFor = (streamId: string) => `raia-ds-${streamId}`;

/** The brokers a stream named that the configuration does not allow (empty when all are allowed). */
export function disallowedBrokers(requested: readonly string[], allowed: readonly string[]): string[] {
  const permitted = new Set(allowed.map((b) => b.toLowerCase()));
  return requested.filter((b) => !permitted.has(b.toLowerCase()));
}

/** Lag of a consumer group: per partition, the high watermark less the committed offset (nothing committed: the whole partition). */
export function consumerGroupLag(highWatermarks: readonly { partition: number; high: string; low: string }[], committed: readonly { partition: number; offset: string }[]): number {
  let lag = 0;
  for (const p of highWatermarks) {
    const c = committed.find((x) => x.partition === p.partition);
    const from = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(p.low);
    lag += Math.max(0, Number(p.high) - from);
  }
  return lag;
}

export async function subscribeKafka(options: {
  streamId: string;
  brokers: string[];
  topic: string;
  handler: (delivery: RecordDelivery) => Promise<void>;
  logger?: Logger;
}): Promise<KafkaRecordSubscription> {
  const kafka = new Kafka({ clientId: 'raia-data-streams', brokers: options.brokers, logLevel: logLevel.WARN, retry: { retries: 5 } });
  const groupId = kafkaGroupFor(options.streamId);
  const consumer: Consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [options.topic], fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        if (!message.value) return;
        await options.handler({ payload: message.value, subject: `${options.topic}/${partition}`, sequence: Number(message.offset) });
      },
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  const admin = kafka.admin();
  return {
    async lag() {
      try {
        await admin.connect();
        const [offsets, committed] = await Promise.all([admin.fetchTopicOffsets(options.topic), admin.fetchOffsets({ groupId, topics: [options.topic] })]);
        return consumerGroupLag(offsets, committed[0]?.partitions ?? []);
      } catch (error) {
        options.logger?.warn({ err: error, streamId: options.streamId }, 'kafka lag unavailable');
        return null;
      }
    },
    async stop() {
      await Promise.all([consumer.disconnect(), admin.disconnect()]);
    },
  };
}

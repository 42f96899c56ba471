import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import type { Logger } from './logger.js';
import type { RecordDelivery } from './nats-record-source.js';

/**
 * Records of data streams read from Kafka topics with kafkajs: one consumer group per data stream
 * (`raia-ds-<id>`), so its committed offsets survive stop and start and a restart. Only brokers
 * the operator allowed (RAIA_KAFKA_BROKERS) may be named by a stream: a stream's owner must not be
 * able to make RAIA connect to arbitrary hosts.
 *
 * Where the group starts: on its first start, the partitions that exist and have no committed
 * offset are pinned at their end as measured before the consumer joins; once it is a member it
 * seeks there (kafkajs commits the seek), and records below the pin are skipped should a fetch
 * come before the seek. `subscribeKafka` returns once the consumer is a member of its group. So
 * "started" means every record produced from then on is monitored and none produced before is (a
 * monitoring stream does not replay a topic's history). Partitions without a pin (a topic created
 * after the start, partitions added) are read from their beginning, which holds only later records.
 * A deleted stream's group is left to the brokers, which expire an empty group's offsets after
 * `offsets.retention.minutes` (7 days by default).
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

/** Partitions with no committed offset, with the offset to pin them at (their current end). */
export function unpinnedPartitions(highWatermarks: readonly { partition: number; high: string }[], committed: readonly { partition: number; offset: string }[]): { partition: number; offset: string }[] {
  return highWatermarks.filter((p) => !committed.some((c) => c.partition === p.partition && Number(c.offset) >= 0)).map((p) => ({ partition: p.partition, offset: p.high }));
}

const isUnknownTopic = (error: unknown) => (error as { type?: string } | null)?.type === 'UNKNOWN_TOPIC_OR_PARTITION';

/** The end offsets to start the group's unpinned partitions at (none when the topic does not exist yet). */
async function startOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  let watermarks;
  try {
    watermarks = await admin.fetchTopicOffsets(topic);
  } catch (error) {
    if (isUnknownTopic(error)) return new Map();
    throw error;
  }
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(unpinnedPartitions(watermarks, committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
}

export async function subscribeKafka(options: {
  streamId: string;
  brokers: string[];
  topic: string;
  handler: (delivery: RecordDelivery) => Promise<void>;
  /** Called when the consumer stops for good after it had started (kafkajs gave up retrying). */
  onFailure?: (error: Error) => void;
  logger?: Logger;
}): Promise<KafkaRecordSubscription> {
  const kafka = new Kafka({ clientId: 'raia-data-streams', brokers: options.brokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  const groupId = kafkaGroupFor(options.streamId);
  const admin = kafka.admin();
  // A stop waits for the fetch in flight: brokers hold a fetch at most 1 s, so a stop answers
  // promptly. A 10 s session (kafkajs' default is 30 s) lets a restarted monitor take its group
  // back soon after a process ended without leaving it.
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 1000, sessionTimeout: 10_000, heartbeatInterval: 3000 });
  try {
    await admin.connect();
    const pinned = await startOffsets(admin, groupId, options.topic);
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    // kafkajs' run() resolves once the consumer has joined its group (or failed to) and before its first fetch.
    let member = false;
    let failure: Error | null = null;
    const removeJoin = consumer.on(consumer.events.GROUP_JOIN, () => (member = true));
    const removeCrash = consumer.on(consumer.events.CRASH, (event) => (failure = event.payload.error));
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const pin = pinned.get(partition);
        if (pin !== undefined && BigInt(message.offset) < pin) return; // history from before the start
        if (!message.value) return;
        await options.handler({ payload: message.value, subject: `${options.topic}/${partition}`, sequence: Number(message.offset) });
      },
    });
    removeJoin();
    removeCrash();
    if (!member) throw failure ?? new Error('the Kafka consumer did not join its group');
    for (const [partition, offset] of pinned) consumer.seek({ topic: options.topic, partition, offset: offset.toString() });
  } catch (error) {
    await Promise.allSettled([consumer.disconnect(), admin.disconnect()]);
    throw error;
  }
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) return;
    options.logger?.error({ err: event.payload.error, streamId: options.streamId }, 'kafka consumer stopped');
    options.onFailure?.(event.payload.error);
  });
  return {
    async lag() {
      try {
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

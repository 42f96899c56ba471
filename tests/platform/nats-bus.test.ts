import { randomBytes } from 'node:crypto';
import { AckPolicy, connect, nanos, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter, MessageBus } from '../../src/platform/message-bus.js';
import { InvalidSubject } from '../../src/platform/message-bus.js';
import { connectNatsBus } from '../../src/platform/nats-bus.js';
import { describeMessageBusContract, eventually } from './message-bus-contract.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A stream and subject prefix of this test file's own, so parallel files never share messages. */
const isolated = () => {
  const token = randomBytes(5).toString('hex');
  return { stream: `T_${token}`, subjectPrefix: `t${token}.raia.events` };
};

async function deleteStream(stream: string) {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

describeMessageBusContract('NATS JetStream', async () => {
  const { stream, subjectPrefix } = isolated();
  const bus = await connectNatsBus({ url: NATS_URL, stream, subjectPrefix });
  return {
    bus,
    subjectPrefix,
    async cleanup() {
      await bus.close();
      await deleteStream(stream);
    },
  };
});

describe('NATS JetStream message bus', () => {
  const { stream, subjectPrefix } = isolated();
  let bus: MessageBus;
  let nc: NatsConnection;

  beforeAll(async () => {
    bus = await connectNatsBus({ url: NATS_URL, stream, subjectPrefix, duplicateWindowMs: 120_000 });
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await bus.close();
    await nc.close();
    await deleteStream(stream);
  });

  it('creates the stream over <prefix>.> with the configured duplicate window, and updates it on reconnect', async () => {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    expect(info.config.subjects).toEqual([`${subjectPrefix}.>`]);
    expect(info.config.duplicate_window).toBe(nanos(120_000));

    const again = await connectNatsBus({ url: NATS_URL, stream, subjectPrefix, duplicateWindowMs: 300_000 });
    await again.close();
    expect((await jsm.streams.info(stream)).config.duplicate_window).toBe(nanos(300_000));
  });

  it('refuses subjects outside its stream', async () => {
    await expect(bus.publish({ subject: 'elsewhere.x', id: 'x', payload: '' })).rejects.toBeInstanceOf(InvalidSubject);
  });

  it('stores the id as Nats-Msg-Id and creates durable pull consumers with explicit acknowledgement', async () => {
    const consumer = await bus.consume({ durable: 'cfg', filterSubjects: [`${subjectPrefix}.cfg.>`], maxDeliver: 4, ackWaitMs: 7000, handler: async () => undefined });
    await bus.publish({ subject: `${subjectPrefix}.cfg.x`, id: 'cfg-1', payload: '{}' });
    await consumer.stop();
    const jsm = await nc.jetstreamManager();
    const info = await jsm.consumers.info(stream, 'cfg');
    expect(info.config.durable_name).toBe('cfg');
    expect(info.config.ack_policy).toBe(AckPolicy.Explicit);
    expect(info.config.ack_wait).toBe(nanos(7000));
    expect(info.config.max_deliver).toBe(5);
    expect(info.config.filter_subject).toBe(`${subjectPrefix}.cfg.>`);
    expect(info.config.deliver_subject).toBeUndefined();
    const stored = await jsm.streams.getMessage(stream, { last_by_subj: `${subjectPrefix}.cfg.x` });
    expect(stored.header.get('Nats-Msg-Id')).toBe('cfg-1');
  });

  it('keeps a slow handler\'s message from being redelivered while it works', async () => {
    const deliveries: number[] = [];
    const consumer = await bus.consume({
      durable: 'slow',
      filterSubjects: [`${subjectPrefix}.slow`],
      ackWaitMs: 1000,
      async handler(m) {
        deliveries.push(m.deliveryCount);
        await new Promise((resolve) => setTimeout(resolve, 2500));
      },
    });
    await bus.publish({ subject: `${subjectPrefix}.slow`, id: 'slow-1', payload: '{}' });
    await eventually(() => expect(deliveries).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await consumer.stop();
    expect(deliveries).toEqual([1]);
  });

  it('dead-letters a message whose last delivery was never settled, without calling the handler again', async () => {
    const subject = `${subjectPrefix}.crash`;
    const handled: number[] = [];
    const deadLetters: DeadLetter[] = [];
    const options = {
      durable: 'crash',
      filterSubjects: [subject],
      maxDeliver: 1,
      ackWaitMs: 1000,
      handler: async (m: { deliveryCount: number }) => void handled.push(m.deliveryCount),
      onDeadLetter: (d: DeadLetter) => void deadLetters.push(d),
    };
    await (await bus.consume(options)).stop();
    await bus.publish({ subject, id: 'crash-1', payload: '{}' });

    // A worker that takes the message and dies before acknowledging it.
    const js = nc.jetstream();
    const taken = await (await js.consumers.get(stream, 'crash')).next({ expires: 2000 });
    expect(taken?.info.deliveryCount).toBe(1);

    const consumer = await bus.consume(options);
    await eventually(() => expect(deadLetters).toHaveLength(1), 5000);
    await consumer.stop();
    expect(handled).toEqual([]);
    expect(deadLetters[0]!.message.id).toBe('crash-1');
    expect(deadLetters[0]!.message.deliveryCount).toBe(2);
  });

  it('reports the stream in its health', async () => {
    const health = await bus.health();
    expect(health).toMatchObject({ kind: 'nats', connected: true, detail: { stream } });
    expect(typeof health.detail?.messages).toBe('number');
  });
});

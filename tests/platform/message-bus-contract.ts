import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidSubject, type ConsumeOptions, type DeadLetter, type DeliveredMessage, type MessageBus, type MessageConsumer } from '../../src/platform/message-bus.js';

export type BusUnderTest = {
  bus: MessageBus;
  /** Subjects the bus accepts start with this prefix. */
  subjectPrefix: string;
  cleanup(): Promise<void>;
};

/** Polls until `check` stops throwing, then returns its result; fails with the last error after `timeoutMs`. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Long enough for a wrongly repeated delivery to show up. */
const SETTLE_MS = 400;

type Delivery = { id: string; subject: string; sequence: number; deliveryCount: number };

/**
 * The behaviour every MessageBus adapter must show (ARCHITECTURE.md, "Processors and scale-out").
 * Each test works under subjects and durable names of its own, so tests share one bus.
 */
export function describeMessageBusContract(name: string, open: () => Promise<BusUnderTest>): void {
  describe(`${name} message bus behaviour`, () => {
    let underTest: BusUnderTest;
    let bus: MessageBus;
    const running: MessageConsumer[] = [];
    let scope = 0;

    beforeAll(async () => {
      underTest = await open();
      bus = underTest.bus;
    });

    afterAll(async () => {
      await Promise.all(running.map((c) => c.stop()));
      await underTest.cleanup();
    });

    /** A subject namespace and durable-name stem private to one test. */
    const newScope = () => {
      scope += 1;
      const token = `s${scope}`;
      return { subject: (...tokens: string[]) => [underTest.subjectPrefix, token, ...tokens].join('.'), durable: (n: string) => `${token}_${n}` };
    };

    const consume = async (options: Partial<ConsumeOptions> & Pick<ConsumeOptions, 'durable' | 'filterSubjects'>) => {
      const deliveries: Delivery[] = [];
      const consumer = await bus.consume({
        redeliveryDelayMs: () => 20,
        ...options,
        async handler(message) {
          deliveries.push({ id: message.id, subject: message.subject, sequence: message.sequence, deliveryCount: message.deliveryCount });
          await options.handler?.(message);
        },
      });
      running.push(consumer);
      return { deliveries, consumer };
    };

    const publish = (subject: string, id: string) => bus.publish({ subject, id, payload: JSON.stringify({ id }) });

    it('stores a repeated id once and answers the original sequence', async () => {
      const s = newScope();
      const first = await publish(s.subject('x'), 'm-1');
      const again = await publish(s.subject('x'), 'm-1');
      const other = await publish(s.subject('x'), 'm-2');
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ duplicate: true, sequence: first.sequence });
      expect(other.duplicate).toBe(false);
      expect(other.sequence).toBeGreaterThan(first.sequence);

      const { deliveries } = await consume({ durable: s.durable('d'), filterSubjects: [s.subject('>')] });
      await eventually(() => expect(deliveries).toHaveLength(2));
      await pause(SETTLE_MS);
      expect(deliveries.map((d) => d.id)).toEqual(['m-1', 'm-2']);
    });

    it('matches filters with NATS wildcard semantics: * is one token, > one or more trailing tokens', async () => {
      const s = newScope();
      const published = ['a.x', 'a.b.c', 'b.x', 'a', 'c.x', 'c.y'];
      for (const tail of published) await publish(s.subject(...tail.split('.')), tail);

      const cases: [string[], string[]][] = [
        [[s.subject('a', '*')], ['a.x']],
        [[s.subject('a', '>')], ['a.x', 'a.b.c']],
        [[s.subject('*', 'x')], ['a.x', 'b.x', 'c.x']],
        [[s.subject('a', '*'), s.subject('b', '*')], ['a.x', 'b.x']],
        [[s.subject('a'), s.subject('c', 'y')], ['a', 'c.y']],
        [[s.subject('>')], published],
      ];
      const consumers = await Promise.all(cases.map(([filters], i) => consume({ durable: s.durable(`f${i}`), filterSubjects: filters })));
      for (const [i, [, expected]] of cases.entries()) {
        await eventually(() => expect(consumers[i]!.deliveries).toHaveLength(expected.length));
      }
      await pause(SETTLE_MS);
      cases.forEach(([, expected], i) => expect(consumers[i]!.deliveries.map((d) => d.id)).toEqual(expected));
    });

    it('delivers one message at a time, in publish order', async () => {
      const s = newScope();
      const sequential = Array.from({ length: 60 }, (_, i) => `seq-${i}`);
      for (const id of sequential) await publish(s.subject('e', String(sequential.indexOf(id) % 3)), id);
      // Concurrent publishes: the bus's order is whatever sequence each was given.
      const concurrent = await Promise.all(Array.from({ length: 60 }, (_, i) => publish(s.subject('e', String(i % 3)), `par-${i}`).then((r) => ({ id: `par-${i}`, ...r }))));

      let inFlight = 0;
      let maxInFlight = 0;
      const { deliveries } = await consume({
        durable: s.durable('d'),
        filterSubjects: [s.subject('e', '*')],
        async handler() {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await pause(1);
          inFlight--;
        },
      });
      await eventually(() => expect(deliveries).toHaveLength(120));
      expect(maxInFlight).toBe(1);
      expect(deliveries.slice(0, 60).map((d) => d.id)).toEqual(sequential);
      expect(deliveries.slice(60).map((d) => d.id)).toEqual([...concurrent].sort((a, b) => a.sequence - b.sequence).map((c) => c.id));
      const sequences = deliveries.map((d) => d.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(deliveries.every((d) => d.deliveryCount === 1)).toBe(true);
    });

    it('redelivers a message whose handler threw, counting deliveries, until it succeeds', async () => {
      const s = newScope();
      const deadLetters: DeadLetter[] = [];
      const { deliveries } = await consume({
        durable: s.durable('d'),
        filterSubjects: [s.subject('>')],
        maxDeliver: 5,
        onDeadLetter: (d) => void deadLetters.push(d),
        async handler(message) {
          if (message.id === 'flaky' && message.deliveryCount < 3) throw new Error(`attempt ${message.deliveryCount} failed`);
        },
      });
      await publish(s.subject('x'), 'flaky');
      await publish(s.subject('x'), 'steady');
      await eventually(() => expect(deliveries.filter((d) => d.id === 'flaky')).toHaveLength(3));
      await eventually(() => expect(deliveries.filter((d) => d.id === 'steady')).toHaveLength(1));
      await pause(SETTLE_MS);
      expect(deliveries.filter((d) => d.id === 'flaky').map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
      expect(deliveries.filter((d) => d.id === 'steady').map((d) => d.deliveryCount)).toEqual([1]);
      expect(deadLetters).toEqual([]);
    });

    it('dead-letters a message after maxDeliver failed deliveries and never delivers it again', async () => {
      const s = newScope();
      const deadLetters: DeadLetter[] = [];
      const { deliveries } = await consume({
        durable: s.durable('d'),
        filterSubjects: [s.subject('>')],
        maxDeliver: 3,
        onDeadLetter: (d) => void deadLetters.push(d),
        async handler(message) {
          if (message.id === 'poison') throw new Error('cannot process poison');
        },
      });
      await publish(s.subject('x'), 'poison');
      await publish(s.subject('x'), 'after');
      await eventually(() => expect(deadLetters).toHaveLength(1));
      await eventually(() => expect(deliveries.filter((d) => d.id === 'after')).toHaveLength(1));
      await pause(SETTLE_MS * 2);
      expect(deliveries.filter((d) => d.id === 'poison').map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]!.message.id).toBe('poison');
      expect(deadLetters[0]!.message.deliveryCount).toBe(3);
      expect((deadLetters[0]!.error as Error).message).toBe('cannot process poison');
    });

    it('gives a durable created after publishing the messages already published', async () => {
      const s = newScope();
      for (const id of ['r-1', 'r-2', 'r-3']) await publish(s.subject('x'), id);
      const { deliveries } = await consume({ durable: s.durable('late'), filterSubjects: [s.subject('x')] });
      await eventually(() => expect(deliveries.map((d) => d.id)).toEqual(['r-1', 'r-2', 'r-3']));
    });

    it('resumes a stopped durable where it left off, without redelivering acknowledged messages', async () => {
      const s = newScope();
      const durable = s.durable('d');
      const first = await consume({ durable, filterSubjects: [s.subject('>')] });
      for (const id of ['a-1', 'a-2', 'a-3']) await publish(s.subject('x'), id);
      await eventually(() => expect(first.deliveries).toHaveLength(3));
      await first.consumer.stop();

      for (const id of ['b-1', 'b-2']) await publish(s.subject('x'), id);
      const second = await consume({ durable, filterSubjects: [s.subject('>')] });
      await eventually(() => expect(second.deliveries).toHaveLength(2));
      await pause(SETTLE_MS);
      expect(first.deliveries.map((d) => d.id)).toEqual(['a-1', 'a-2', 'a-3']);
      expect(second.deliveries.map((d) => [d.id, d.deliveryCount])).toEqual([
        ['b-1', 1],
        ['b-2', 1],
      ]);
    });

    it('lets the running handler finish and acknowledges it when stopped', async () => {
      const s = newScope();
      const durable = s.durable('d');
      let release: () => void = () => undefined;
      let markStarted: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (markStarted = resolve));
      const { consumer } = await consume({
        durable,
        filterSubjects: [s.subject('>')],
        handler: () => {
          markStarted();
          return new Promise<void>((resolve) => (release = resolve));
        },
      });
      await publish(s.subject('x'), 'slow');
      await started;
      let stopped = false;
      const stopping = consumer.stop().then(() => (stopped = true));
      await pause(100);
      expect(stopped).toBe(false);
      release();
      await stopping;

      const again = await consume({ durable, filterSubjects: [s.subject('>')] });
      await pause(SETTLE_MS);
      expect(again.deliveries).toEqual([]);
    });

    it('shares a durable between consumers: each message goes to one of them, and they work in parallel', async () => {
      const s = newScope();
      const durable = s.durable('workers');
      let inFlight = 0;
      let maxInFlight = 0;
      const slowHandler = async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await pause(300);
        inFlight--;
      };
      const workers = await Promise.all([1, 2].map(() => consume({ durable, filterSubjects: [s.subject('job')], handler: slowHandler })));
      for (const id of ['j-1', 'j-2', 'j-3', 'j-4']) await publish(s.subject('job'), id);
      await eventually(() => expect(workers.flatMap((w) => w.deliveries)).toHaveLength(4));
      await pause(SETTLE_MS);
      const delivered = workers.flatMap((w) => w.deliveries);
      expect(delivered.map((d) => d.id).sort()).toEqual(['j-1', 'j-2', 'j-3', 'j-4']);
      expect(delivered.every((d) => d.deliveryCount === 1)).toBe(true);
      expect(workers.every((w) => w.deliveries.length > 0)).toBe(true);
      expect(maxInFlight).toBe(2);
    });

    it('carries headers and payload bytes unchanged', async () => {
      const s = newScope();
      const received: DeliveredMessage[] = [];
      await consume({ durable: s.durable('d'), filterSubjects: [s.subject('x')], handler: async (m) => void received.push(m) });
      const payload = JSON.stringify({ text: 'fairness ≥ 0.8', n: 3 });
      await bus.publish({ subject: s.subject('x'), id: 'h-1', payload, headers: { 'Raia-Position': '42', 'Raia-Stream-Id': 'model-1' } });
      const bytes = new Uint8Array([0, 1, 2, 255]);
      await bus.publish({ subject: s.subject('x'), id: 'h-2', payload: bytes });
      await eventually(() => expect(received).toHaveLength(2));
      expect(received[0]!.headers).toEqual({ 'Raia-Position': '42', 'Raia-Stream-Id': 'model-1' });
      expect(received[0]!.data()).toEqual({ text: 'fairness ≥ 0.8', n: 3 });
      expect(new TextDecoder().decode(received[0]!.payload)).toBe(payload);
      expect(received[1]!.headers).toEqual({});
      expect([...received[1]!.payload]).toEqual([0, 1, 2, 255]);
    });

    it('refuses wildcard publish subjects and malformed filters', async () => {
      const s = newScope();
      await expect(bus.publish({ subject: s.subject('*'), id: 'w', payload: '' })).rejects.toBeInstanceOf(InvalidSubject);
      await expect(bus.publish({ subject: `${s.subject('x')}.`, id: 'w', payload: '' })).rejects.toBeInstanceOf(InvalidSubject);
      await expect(bus.consume({ durable: s.durable('d'), filterSubjects: [s.subject('>', 'x')], handler: async () => undefined })).rejects.toBeInstanceOf(InvalidSubject);
      await expect(bus.consume({ durable: s.durable('d'), filterSubjects: [], handler: async () => undefined })).rejects.toThrow(/at least one/);
    });

    it('reports itself connected', async () => {
      const health = await bus.health();
      expect(health.kind).toBe(bus.kind);
      expect(health.connected).toBe(true);
    });
  });
}

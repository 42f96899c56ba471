import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/platform/in-process-bus.js';
import type { DeliveredMessage, MessageBus } from '../../src/platform/message-bus.js';
import { connectNatsBus } from '../../src/platform/nats-bus.js';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  provider.register();
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

const adapters: [string, () => Promise<{ bus: MessageBus; prefix: string; cleanup(): Promise<void> }>][] = [
  ['in-process', async () => ({ bus: createInProcessBus(), prefix: 'raia.events', cleanup: async () => undefined })],
  [
    'NATS JetStream',
    async () => {
      const suffix = randomBytes(4).toString('hex');
      const stream = `RAIA_TRACE_${suffix}`;
      const bus = await connectNatsBus({ url: NATS_URL, stream, subjectPrefix: `raia-trace-${suffix}.events` });
      return {
        bus,
        prefix: `raia-trace-${suffix}.events`,
        async cleanup() {
          await bus.close();
          const nc = await connect({ servers: NATS_URL });
          await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
          await nc.close();
        },
      };
    },
  ],
];

describe.each(adapters)('message bus tracing on %s', (_name, open) => {
  it('publishes in a producer span whose context travels in the traceparent header, and handles each delivery in a consumer span linked to it', async () => {
    const { bus, prefix, cleanup } = await open();
    try {
      exporter.reset();
      const subject = `${prefix}.model.registered`;
      const parent = trace.getTracer('test').startSpan('caller');
      await context.with(trace.setSpan(context.active(), parent), () => bus.publish({ subject, id: randomUUID(), payload: '{}' }));
      parent.end();

      let delivered: DeliveredMessage | null = null;
      let activeInHandler: string | undefined;
      const handled = new Promise<void>((resolve) => {
        void bus.consume({
          durable: `tracing-${randomBytes(3).toString('hex')}`,
          filterSubjects: [`${prefix}.>`],
          async handler(message) {
            delivered = message;
            activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
            resolve();
          },
        });
      });
      await handled;
      await bus.close();

      const spans = exporter.getFinishedSpans();
      const publish = spans.find((s) => s.name === `publish ${subject}`)!;
      expect(publish.kind).toBe(SpanKind.PRODUCER);
      expect(publish.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(publish.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      // W3C Trace Context: version-traceid-parentid-flags, the parent being the producer span.
      expect(delivered!.headers.traceparent).toBe(`00-${publish.spanContext().traceId}-${publish.spanContext().spanId}-01`);

      const process = spans.find((s) => s.name === `process ${subject}`)!;
      expect(process.kind).toBe(SpanKind.CONSUMER);
      expect(process.spanContext().traceId).not.toBe(parent.spanContext().traceId);
      expect(process.links.map((l) => l.context.spanId)).toEqual([publish.spanContext().spanId]);
      expect(activeInHandler).toBe(process.spanContext().spanId);
    } finally {
      await cleanup();
    }
  });
});

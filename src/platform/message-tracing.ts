import { SpanKind } from '@opentelemetry/api';
import type { DeliveredMessage, OutgoingMessage, PublishResult } from './message-bus.js';
import { activeTraceparent, inSpan, linksTo, tracingEnabled } from './tracing.js';

/**
 * Spans for the message bus, named and attributed after the OpenTelemetry messaging conventions
 * (https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/). Both adapters use them,
 * so a message carries the same `traceparent` header over NATS and in process.
 */

/** A producer span around one publish; the message leaves with the span's context in its `traceparent` header. */
export function publishTraced(system: 'nats' | 'in-process', message: OutgoingMessage, publish: (message: OutgoingMessage) => Promise<PublishResult>): Promise<PublishResult> {
  if (!tracingEnabled()) return publish(message);
  return inSpan(
    `publish ${message.subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': system, 'messaging.operation.type': 'send', 'messaging.destination.name': message.subject, 'messaging.message.id': message.id },
    },
    async (span) => {
      const traceparent = activeTraceparent();
      const result = await publish(traceparent ? { ...message, headers: { ...message.headers, traceparent } } : message);
      span.setAttribute('raia.bus.duplicate', result.duplicate);
      return result;
    },
  );
}

/**
 * A consumer span around one delivery to a handler. It starts a trace of its own, linked to the
 * publisher's span: a redelivery, or a durable catching up, may come long after the publish.
 */
export function processTraced(system: 'nats' | 'in-process', durable: string, message: DeliveredMessage, handler: (message: DeliveredMessage) => Promise<void>): Promise<void> {
  if (!tracingEnabled()) return handler(message);
  return inSpan(
    `process ${message.subject}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links: linksTo([message.headers]),
      attributes: {
        'messaging.system': system,
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.subject,
        'messaging.consumer.group.name': durable,
        'messaging.message.id': message.id,
        'raia.bus.delivery_count': message.deliveryCount,
      },
    },
    () => handler(message),
  );
}

import { SpanKind } from '@opentelemetry/api';
import { inSpan, linksTo, tracingEnabled, type TraceCarrier } from './tracing.js';

/** What a span needs of a ledger event (src/events' StoredEvent has it). */
export type TracedEvent = { id: string; type: string; position: number; metadata: TraceCarrier };

/**
 * A span for a processor handling one ledger event. It starts a trace of its own, linked to the span
 * of the operation that appended the event (the `traceparent` of its metadata): a processor may
 * handle the event long after the request, or again while catching up after a restart.
 */
export function inEventSpan<T>(processor: string, event: TracedEvent, work: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work();
  return inSpan(
    `${processor} ${event.type}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links: linksTo([event.metadata]),
      attributes: { 'raia.processor': processor, 'raia.event.id': event.id, 'raia.event.type': event.type, 'raia.event.position': event.position },
    },
    work,
  );
}

/** A span for a processor handling a batch of events at once: linked to each appending operation. */
export function inEventBatchSpan<T>(processor: string, events: readonly TracedEvent[], work: () => Promise<T>): Promise<T> {
  if (!tracingEnabled() || events.length === 0) return work();
  return inSpan(
    processor,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links: linksTo(events.map((e) => e.metadata)),
      attributes: {
        'raia.processor': processor,
        'raia.events.count': events.length,
        'raia.events.first_position': events[0]!.position,
        'raia.events.last_position': events[events.length - 1]!.position,
      },
    },
    work,
  );
}

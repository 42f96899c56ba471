import {
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
} from '@opentelemetry/api';

/**
 * Spans and trace context through the OpenTelemetry API only. Without a started SDK
 * (src/platform/telemetry.ts) every call here is the API's no-op: no span records, nothing is
 * exported, and no trace context is written anywhere.
 */
export const tracer = trace.getTracer('raia');

/** A W3C trace context carrier (`traceparent`), as HTTP headers, NATS headers or event metadata hold it. */
export type TraceCarrier = { traceparent?: unknown };

// W3C Trace Context, version 00: https://www.w3.org/TR/trace-context/#traceparent-header
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The active span's context as a `traceparent`, or undefined outside a traced operation. Only the
 * trace context is written: baggage and tracestate may carry caller-supplied text, which must not
 * reach the ledger or the bus.
 */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const c = span.spanContext();
  if (!isSpanContextValid(c)) return undefined;
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The span context a carrier's `traceparent` names, or null when it has none (or a malformed one). */
export function spanContextOf(carrier: TraceCarrier | null | undefined): SpanContext | null {
  const value = carrier?.traceparent;
  if (typeof value !== 'string') return null;
  const m = TRACEPARENT.exec(value);
  if (!m) return null;
  const c: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(c) ? c : null;
}

/** A context whose parent is the carrier's span (the root context when it has none). */
export function contextOf(carrier: TraceCarrier | null | undefined): Context {
  const c = spanContextOf(carrier);
  return c ? trace.setSpanContext(ROOT_CONTEXT, c) : ROOT_CONTEXT;
}

/** Runs `work` with the carrier's span as the active parent (as is, without an SDK). */
export function inContextOf<T>(carrier: TraceCarrier | null | undefined, work: () => T): T {
  return tracingEnabled() ? context.with(contextOf(carrier), work) : work();
}

// The SDK's default limit on links per span; the rest would be dropped anyway.
const MAX_LINKS = 128;

/** Links to the spans the carriers name, without repeats (a batch of events from one request names it once). */
export function linksTo(carriers: Iterable<TraceCarrier | null | undefined>): Link[] {
  const links = new Map<string, Link>();
  for (const carrier of carriers) {
    const c = spanContextOf(carrier);
    if (c && !links.has(c.spanId)) links.set(c.spanId, { context: c });
    if (links.size === MAX_LINKS) break;
  }
  return [...links.values()];
}

/** Whether an SDK is registered. Without one, `inSpan` skips even the API's no-op spans (about 1 µs a call). */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('raia') !== undefined;
}

const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export type SpanSettings = { kind?: SpanKind; attributes?: Attributes; links?: Link[]; parent?: Context; root?: boolean };

/**
 * Runs `work` in a new active span (a child of the active one, of `parent`, or a new trace with
 * `root`), records a thrown error on it, and ends it when `work` settles.
 */
export async function inSpan<T>(name: string, settings: SpanSettings, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(NO_SPAN);
  const options = { kind: settings.kind, attributes: settings.attributes, links: settings.links, root: settings.root };
  return tracer.startActiveSpan(name, options, settings.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The active span's ids for a log line (`trace_id`, `span_id`), or nothing outside a traced operation. */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const c = span.spanContext();
  return isSpanContextValid(c) ? { trace_id: c.traceId, span_id: c.spanId } : {};
}

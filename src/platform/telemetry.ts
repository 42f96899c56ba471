import { createRequire } from 'node:module';
import type * as FastifyOtel from '@fastify/otel';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Instrumentation from '@opentelemetry/instrumentation';
import type * as HttpInstrumentation from '@opentelemetry/instrumentation-http';
import type * as PgInstrumentation from '@opentelemetry/instrumentation-pg';
import type * as UndiciInstrumentation from '@opentelemetry/instrumentation-undici';
import type * as Resources from '@opentelemetry/resources';
import type * as TraceNode from '@opentelemetry/sdk-trace-node';

/** A started OpenTelemetry SDK: traces go over OTLP/HTTP (JSON) to `endpoint`. */
export type Telemetry = {
  endpoint: string;
  /** The endpoint without credentials or query, for logs. */
  endpointForLogs: string;
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
};

export class TelemetryConfigError extends Error {
  readonly code = 'TELEMETRY_CONFIG';
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'TelemetryConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Where the standard OpenTelemetry variables ask traces to be sent, or null when they do not
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 */
export function tracesEndpoint(env: Env): string | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((e) => e.trim().toLowerCase());
  if (exporters.includes('none')) return null;
  const [variable, value] = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.trim()]
    : ['OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ?? ''];
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TelemetryConfigError(variable, 'must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TelemetryConfigError(variable, 'must be an http:// or https:// URL');
  // The exporter appends the signal path to the general endpoint only (spec, "Endpoint URLs for OTLP/HTTP").
  return variable === 'OTEL_EXPORTER_OTLP_ENDPOINT' ? `${value.replace(/\/+$/, '')}/v1/traces` : value;
}

/**
 * Starts tracing when the environment asks for it (see `tracesEndpoint`); otherwise returns null
 * and loads nothing. It must run before http, pg and fastify are first required, so that their
 * instrumentations can patch them: src/telemetry.ts, main.ts's first import, calls it.
 *
 * The SDK is loaded with `require` only when enabled (about 300 ms and 25 MB otherwise spent for
 * nothing); these packages are CommonJS, and a synchronous load keeps the patching ahead of the
 * modules main.ts imports next. Sampler, batch, limits, resource and exporter details follow the
 * standard OTEL_* variables, read by the SDK itself.
 */
export function startTelemetry(env: Env = process.env): Telemetry | null {
  const endpoint = tracesEndpoint(env);
  if (!endpoint) return null;
  const require = createRequire(import.meta.url);
  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof TraceNode;
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof Instrumentation;
  const { HttpInstrumentation: Http } = require('@opentelemetry/instrumentation-http') as typeof HttpInstrumentation;
  const { PgInstrumentation: Pg } = require('@opentelemetry/instrumentation-pg') as typeof PgInstrumentation;
  const { UndiciInstrumentation: Undici } = require('@opentelemetry/instrumentation-undici') as typeof UndiciInstrumentation;
  const { FastifyOtelInstrumentation: Fastify } = require('@fastify/otel') as typeof FastifyOtel;

  // Precedence, lowest first: SDK defaults, our service name, OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'raia' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
    // SQL scripts carry their values inline (the ledger's append); a bound keeps spans small.
    ...(env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT || env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT ? {} : { spanLimits: { attributeValueLengthLimit: 2048 } }),
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Prometheus scrapes every few seconds would bury the requests that matter.
      new Http({ ignoreIncomingRequestHook: (request) => request.url === '/metrics' }),
      new Undici(),
      // Pollers and listeners query all the time: only queries inside a traced operation get spans.
      new Pg({ requireParentSpan: true }),
      new Fastify({
        registerOnInitialization: true,
        ignorePaths: (route) => route.url === '/metrics',
        // Hook spans would be named after their plugin's source text; the request and handler spans carry the timing.
        instrumentHooks: false,
        lifecycleHook: (span, { hookName, request }) => span.updateName(`${hookName} ${request.method} ${request.routeOptions.url ?? 'unmatched'}`),
      }),
    ],
  });
  const { origin, pathname } = new URL(endpoint);
  return {
    endpoint,
    endpointForLogs: origin + pathname,
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}

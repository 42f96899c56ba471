import { TelemetryConfigError, startTelemetry, type Telemetry } from './platform/telemetry.js';

/**
 * The process's OpenTelemetry SDK, started (when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set) as this module is evaluated. main.ts imports it first:
 * ES modules are evaluated in import order, so http, pg and fastify are required after the
 * instrumentations are in place.
 */
export const telemetry: Telemetry | null = (() => {
  try {
    return startTelemetry(process.env);
  } catch (error) {
    if (!(error instanceof TelemetryConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
})();

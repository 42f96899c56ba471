// First: tracing must patch http, pg and fastify before they load.
import { telemetry } from './telemetry.js';
import { ConfigError, loadConfig, type Config } from './platform/config.js';
import { createLogger } from './platform/logger.js';
import { startRuntime } from './runtime.js';
import { buildApp } from './api/app.js';

/** `npm start`: the API server on the configured database (embedded PGlite by default). */
async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  if (telemetry) logger.info({ endpoint: telemetry.endpointForLogs }, 'tracing to OTLP/HTTP');
  const runtime = await startRuntime(config, { logger });
  const app = await buildApp(runtime);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // A second signal, or a stuck dependency, must not keep the process alive forever.
    setTimeout(() => process.exit(1), 15_000).unref();
    await app.close();
    await runtime.close();
    await telemetry?.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

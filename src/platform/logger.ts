import { pino, type Logger, type LoggerOptions } from 'pino';
import { activeTraceIds } from './tracing.js';

export type { Logger };

// Secrets and personal fields must never reach the logs, whatever a caller passes.
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'config.RAIA_SIGNING_KEY',
  'config.RAIA_MASTER_KEY',
  'config.DATABASE_URL',
  'config.RAIA_ACCESS_TOKEN_KEY',
  'config.RAIA_BOOTSTRAP_ADMIN_PASSWORD',
  'config.SMTP_URL',
  'config.RAIA_OIDC_PROVIDERS',
  '*.password',
  '*.token',
];

export const loggerOptions = (level: string): LoggerOptions => ({
  level,
  redact: { paths: redactPaths, censor: '[redacted]' },
  // A line written inside a traced request or processor names its trace, to find one from the other.
  mixin: activeTraceIds,
});

export function createLogger(level: string): Logger {
  return pino(loggerOptions(level));
}

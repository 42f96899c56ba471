import { resolve } from 'node:path';
import { validate as isCronExpression } from 'node-cron';
import { z } from 'zod';
import ipaddr from 'ipaddr.js';

// Every setting RAIA reads from the environment. README.md's configuration table mirrors this.
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .transform((s) => (s === '' ? undefined : s))
    .pipe(
      z
        .url()
        .refine((u) => protocols.some((p) => u.startsWith(p)), `must start with one of ${protocols.join(', ')}`)
        .optional(),
    )
    .optional();

const isCidr = (text: string) => {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
};

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const base64Key = (bytes: number) =>
  z
    .string()
    .refine((s) => Buffer.from(s, 'base64').length === bytes, `must be ${bytes} bytes, base64-encoded`)
    .optional();

// One OpenID Connect identity provider users may sign in with (RAIA_OIDC_PROVIDERS holds a JSON array of these).
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const oidcProviderSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug (lower-case letters, digits, dashes)'),
  // Plain http is only tolerable for a provider on the same machine (development, tests).
  issuer: httpUrl.refine((u) => {
    const { protocol, hostname } = new URL(u);
    return protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(hostname);
  }, 'must be an https URL (http only for localhost)'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  redirectUri: httpUrl,
  // Scope tokens as RFC 6749 §3.3 defines them; "openid" is what makes the request OIDC at all.
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be an OAuth scope token'))
    .default(['openid', 'email', 'profile'])
    .refine((scopes) => scopes.includes('openid'), 'must include "openid"'),
  label: z.string().min(1).optional(),
});

export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;

const oidcProviders = z
  .string()
  .trim()
  .default('')
  // The JSON parser's own message may quote the input, client secrets included: never pass it on.
  .transform((text, ctx): unknown => {
    if (text === '') return [];
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of providers' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(oidcProviderSchema, { error: 'must be a JSON array of providers' })
      .refine((providers) => new Set(providers.map((p) => p.id)).size === providers.length, 'provider ids must be unique'),
  );

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  RAIA_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: optionalUrl(['postgres://', 'postgresql://']),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier').optional(),
  DATABASE_POOL_SIZE: positiveInt(10),
  NATS_URL: optionalUrl(['nats://', 'tls://', 'ws://', 'wss://']),
  NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/).default('RAIA_EVENTS'),
  NATS_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('raia.events'),
  /** JetStream stream that keeps a copy of every ledger seal for outside observers (refusing deletes), or `off`. */
  NATS_SEAL_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/).default('RAIA_LEDGER_SEALS'),
  /** The subject seals are archived on; outside `<NATS_SUBJECT_PREFIX>.>`, which the bus stream holds. */
  NATS_SEAL_SUBJECT: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a NATS subject without wildcards').default('raia.ledger.sealed'),
  /** NATS server whose JetStream subjects data streams read (default: NATS_URL). */
  RAIA_STREAMS_NATS_URL: optionalUrl(['nats://', 'tls://', 'ws://', 'wss://']),
  /** Kafka brokers (host:port, comma-separated) data streams may read from; none: no Kafka sources. */
  RAIA_KAFKA_BROKERS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be comma-separated host:port pairs'))),
  /** Signed webhook ingest requests per minute and data stream. */
  RAIA_STREAM_INGEST_RATE_LIMIT_PER_MINUTE: positiveInt(600),
  EVENTSTORE_URL: optionalUrl(['esdb://', 'esdb+discover://', 'kurrentdb://', 'kurrentdb+discover://']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RAIA_SEAL_EVERY: positiveInt(1000),
  /** When to seal whatever is unsealed (node-cron syntax), or `off`. */
  RAIA_SEAL_CRON: z.string().min(1).default('*/5 * * * *').refine((s) => s === 'off' || isCronExpression(s), 'must be a cron expression or "off"'),
  /** When the shipped compliance packs are published to the ledger (if absent): at start, or at the first compliance request. */
  RAIA_COMPLIANCE_PACKS: z.enum(['startup', 'on-demand']).default('startup'),
  RAIA_SIGNING_KEY: z
    .string()
    .refine((s) => s.includes('PRIVATE KEY'), 'must be a PEM-encoded Ed25519 private key')
    .optional(),
  RAIA_MASTER_KEY: base64Key(32),
  /** How often, at most, the ledger witness file (`<data dir>/keys/ledger-witness.json`) takes in new acknowledgements. */
  RAIA_WITNESS_INTERVAL_MS: positiveInt(200),
  /** Fingerprints of earlier signing keys whose seals still verify (after a key rotation). */
  RAIA_TRUSTED_SEAL_KEY_IDS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[0-9a-f]{64}$/, 'must be comma-separated SHA-256 key fingerprints (hex)'))),
  RAIA_MIN_POSITION_WAIT_MS: positiveInt(5000),
  /** Live channels (docs/real-time.md): ping interval; a client that misses a pong is dropped. */
  RAIA_LIVE_HEARTBEAT_MS: positiveInt(15_000),
  /** Bytes a live client may have queued before it is disconnected as too slow. */
  RAIA_LIVE_MAX_BUFFERED_BYTES: positiveInt(1024 * 1024),
  /** How often `/ws/real-time` pushes the analytics channels a connection subscribed to. */
  RAIA_LIVE_ANALYTICS_INTERVAL_MS: positiveInt(2000),
  /** GET /api/v1/health/ready answers 503 while a projection is more than this many events behind the ledger. */
  RAIA_READY_MAX_LAG: positiveInt(1000),
  /** Base URL users reach RAIA at, for links in mails. */
  RAIA_PUBLIC_URL: z.url().default('http://localhost:8080').transform((u) => u.replace(/\/+$/, '')),
  /** Strict-Transport-Security: `auto` sends it when RAIA_PUBLIC_URL is https (TLS ends at or before RAIA), `on` always, `off` never. */
  RAIA_HSTS: z.enum(['auto', 'on', 'off'], { error: 'must be auto, on or off' }).default('auto'),
  RAIA_ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
  RAIA_SESSION_TTL_DAYS: positiveInt(30),
  RAIA_ACCESS_TOKEN_KEY: z
    .string()
    .refine((s) => s.includes('PRIVATE KEY'), 'must be a PEM-encoded Ed25519 private key')
    .optional(),
  SMTP_URL: optionalUrl(['smtp://', 'smtps://']),
  MAIL_FROM: z.string().min(3).default('RAIA <no-reply@raia.local>'),
  /** Requests per minute and client address on each sign-in, sign-up and recovery route. */
  RAIA_AUTH_RATE_LIMIT_PER_MINUTE: positiveInt(20),
  /**
   * A refused password sign-in answers no sooner than this many milliseconds after it arrived, so an
   * unknown address (one hash, no write) and a known one with a wrong password (hash, account read,
   * a recorded failure) take the same time from outside; 0 turns it off.
   */
  RAIA_FAILED_SIGN_IN_FLOOR_MS: z.coerce.number().int().min(0).max(10_000).default(150),
  RAIA_BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  RAIA_BOOTSTRAP_ADMIN_PASSWORD: z.string().min(1).optional(),
  /** Identity providers for single sign-on, as a JSON array of { id, issuer, clientId, clientSecret?, redirectUri, scopes?, label? }. */
  RAIA_OIDC_PROVIDERS: oidcProviders,
  /** Largest model artifact an upload may carry (bytes); uploads stream to disk, so this bounds disk, not memory. */
  RAIA_MAX_ARTIFACT_BYTES: positiveInt(2 * 1024 ** 3),
  /** Largest dataset file an upload may carry (bytes); streamed to storage and profiled in one pass. */
  RAIA_MAX_DATASET_BYTES: positiveInt(20 * 1024 ** 3),
  /** Largest document (text, Markdown, HTML, PDF, DOCX) an upload may carry (bytes); it is parsed in memory. */
  RAIA_MAX_DOCUMENT_BYTES: positiveInt(50 * 1024 ** 2),
  /** Chunk length and overlap in cl100k_base tokens (docs/documents.md). */
  RAIA_CHUNK_TOKENS: positiveInt(256),
  RAIA_CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).max(10_000).default(32),
  /** Which embedder documents and searches use: the offline Universal Sentence Encoder, an OpenAI-compatible server, or a local model run by transformers.js. */
  RAIA_EMBEDDINGS: z.enum(['universal-sentence-encoder', 'openai-compatible', 'transformers'], { error: 'must be universal-sentence-encoder, openai-compatible or transformers' }).default('universal-sentence-encoder'),
  /** openai-compatible: base URL up to the API version (…/v1). */
  RAIA_EMBEDDINGS_URL: optionalUrl(['http://', 'https://']),
  /** openai-compatible: the model name; transformers: a model folder (or a hub id when RAIA_EMBEDDINGS_ALLOW_REMOTE). */
  RAIA_EMBEDDINGS_MODEL: z.string().min(1).optional(),
  RAIA_EMBEDDINGS_DIMENSIONS: z.coerce.number().int().positive().optional(),
  RAIA_EMBEDDINGS_API_KEY: z.string().min(1).optional(),
  RAIA_EMBEDDINGS_ALLOW_REMOTE: z.enum(['true', 'false']).default('false').transform((s) => s === 'true'),
  /** Where model artifacts live: `filesystem` (`<data dir>/blobs`) or `s3` (RAIA_S3_BUCKET). */
  RAIA_BLOB_STORE: z.enum(['filesystem', 's3']).default('filesystem'),
  RAIA_S3_BUCKET: z
    .string()
    .trim()
    .transform((s) => (s === '' ? undefined : s))
    .pipe(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional())
    .optional(),
  /** For S3-compatible servers (MinIO, Ceph, R2…); unset means AWS. */
  RAIA_S3_ENDPOINT: optionalUrl(['http://', 'https://']),
  RAIA_S3_REGION: z.string().min(1).default('us-east-1'),
  /** Unset: path-style addressing when RAIA_S3_ENDPOINT is set, virtual-hosted style on AWS. */
  RAIA_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((s) => s === 'true')
    .optional(),
  /** Redis for the query cache (docs/cache.md); unset: an in-process LRU. */
  REDIS_URL: optionalUrl(['redis://', 'rediss://']),
  /** Entries the in-process cache keeps (LRU) when REDIS_URL is unset. */
  RAIA_CACHE_MAX_ENTRIES: positiveInt(5000),
  /** Seconds a cached answer lives (answers are keyed by projection position, so this only bounds memory). */
  RAIA_CACHE_TTL_SECONDS: positiveInt(600),
  /** JSON file registering external event publishers and their event schemas (docs/webhooks.md); unset: none. */
  RAIA_EVENT_SCHEMAS_FILE: z.string().trim().min(1).optional(),
  /** Comma-separated hosts, IPs or CIDR ranges webhooks may reach although private, loopback or link-local (docs/webhooks.md). */
  RAIA_WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== '')),
  /** Delays (ms, comma-separated) before each retry of a failed webhook delivery; after the last, the delivery is dead-lettered. */
  RAIA_WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .default('5000,30000,120000,600000,1800000,7200000')
    .refine((s) => s.split(',').every((x) => /^\d{1,9}$/.test(x.trim())), 'must be comma-separated milliseconds')
    .transform((s) => s.split(',').map((x) => Number(x.trim()))),
  /** Milliseconds a webhook receiver has to answer. */
  RAIA_WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /**
   * Addresses LLM provider base URLs may reach although private, loopback or link-local
   * (comma-separated CIDRs, e.g. `127.0.0.1/32,10.1.0.0/16`); empty: public addresses only.
   */
  RAIA_LLM_ALLOWED_ADDRESSES: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(z.string().refine((c) => isCidr(c), 'must be comma-separated CIDRs (address/prefix)'))),
  /** Longest an LLM provider call may take per attempt (for a stream: until the first byte, then between chunks). */
  RAIA_LLM_TIMEOUT_MS: positiveInt(60_000),
  /** Retries of an LLM provider call answered 429 or 5xx (or cut off), with backoff honouring retry-after. */
  RAIA_LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
});

export type RawConfig = z.infer<typeof configSchema>;

export type Config = RawConfig & { dataDir: string };

export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment; throws ConfigError naming every bad variable. Secrets are never echoed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (parsed.data.RAIA_BLOB_STORE === 's3' && !parsed.data.RAIA_S3_BUCKET) throw new ConfigError(['RAIA_S3_BUCKET: is required when RAIA_BLOB_STORE is s3']);
  const embeddings = parsed.data;
  if (embeddings.RAIA_EMBEDDINGS === 'openai-compatible' && !(embeddings.RAIA_EMBEDDINGS_URL && embeddings.RAIA_EMBEDDINGS_MODEL && embeddings.RAIA_EMBEDDINGS_DIMENSIONS)) {
    throw new ConfigError(['RAIA_EMBEDDINGS: openai-compatible needs RAIA_EMBEDDINGS_URL, RAIA_EMBEDDINGS_MODEL and RAIA_EMBEDDINGS_DIMENSIONS']);
  }
  if (embeddings.RAIA_EMBEDDINGS === 'transformers' && !embeddings.RAIA_EMBEDDINGS_MODEL) throw new ConfigError(['RAIA_EMBEDDINGS: transformers needs RAIA_EMBEDDINGS_MODEL (a model folder)']);
  if (embeddings.RAIA_CHUNK_OVERLAP_TOKENS >= embeddings.RAIA_CHUNK_TOKENS) throw new ConfigError(['RAIA_CHUNK_OVERLAP_TOKENS: must be less than RAIA_CHUNK_TOKENS']);
  return { ...parsed.data, dataDir: resolve(parsed.data.RAIA_DATA_DIR) };
}

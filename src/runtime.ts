import { StreamStateCache } from './commands/stream-state-cache.js';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Config } from './platform/config.js';
import { openDatabase, type Database } from './platform/database.js';
import { deriveKey, loadKeyMaterial, type KeyMaterial } from './platform/key-material.js';
import { createLogger, type Logger } from './platform/logger.js';
import { runMigrations } from './platform/migrations.js';
import type { MessageBus } from './platform/message-bus.js';
import { connectNatsBus } from './platform/nats-bus.js';
import { openNatsArchive } from './platform/nats-archive-stream.js';
import { createInProcessBus } from './platform/in-process-bus.js';
import type { EventStore } from './events/event-store.js';
import { PostgresEventStore } from './events/postgres/postgres-event-store.js';
import { EventStoreDbEventStore } from './events/eventstoredb/eventstoredb-event-store.js';
import { keyFingerprint } from './events/ledger-seal.js';
import { LEDGER_WITNESS_FILE, LedgerWitnessFile } from './events/ledger-witness-file.js';
import { witnessAppends } from './events/witnessed-event-store.js';
import { PersonalDataVault } from './events/personal-data.js';
import type { EventCatalogue } from './events/event-catalogue.js';
import { raiaEventCatalogue } from './events/catalogue/raia-event-catalogue.js';
import { ProjectionRunner } from './projections/projection-runner.js';
import { readModels } from './projections/read-models.js';
import { startEventRelay, type EventRelay } from './processors/event-relay.js';
import { startLedgerSealer, type LedgerSealer } from './processors/ledger-sealer.js';
import { sealArchive, type SealArchive } from './processors/seal-archive.js';
import { allMigrations } from './migrations.js';
import { systemActor } from './events/envelope.js';
import { SESSION_REVOCATIONS_CHANNEL, SessionStore } from './platform/session-store.js';
import { ApiKeyUsage } from './platform/api-key-usage.js';
import { FileBlobStorage, type BlobStorage } from './platform/blob-storage.js';
import { S3BlobStorage, connectS3 } from './platform/s3-blob-storage.js';
import { PredictionLog } from './platform/prediction-log.js';
import { ScoringModelCache } from './processors/model-scoring.js';
import { versionDeclaration } from './processors/explanation-service.js';
import { startExplanationJobs, type ExplanationJobs } from './processors/explanation-jobs.js';
import { startExportJobs, type ExportJobs } from './processors/exports/export-jobs.js';
import { exportRenderers } from './processors/exports/export-renderers.js';
import type { ExportFormat, ExportRenderer } from './processors/exports/export-document.js';
import { startDriftScheduler, type DriftScheduler } from './processors/drift-scheduler.js';
import { startStreamMonitor, type StreamMonitor } from './processors/stream-monitor.js';
import { publishShippedPacks } from './commands/compliance/shipped-packs.js';
import { connectNatsRecordSource } from './platform/nats-record-source.js';
import { OneTimeTokenStore } from './platform/one-time-token-store.js';
import { hashPassword, needsRehash, verifyNothing, verifyPassword } from './platform/password-hasher.js';
import { createMailTransport } from './platform/mail-transport.js';
import { enqueueMail, startMailSender, type MailSender } from './platform/mail-outbox.js';
import { BackgroundTasks } from './platform/background-tasks.js';
import { checkPassword } from './commands/user/password-policy.js';
import { registerAccount } from './commands/user/registration.js';
import type { IdentityDependencies } from './commands/user/identity-dependencies.js';
import { AccessTokens } from './api/auth/access-tokens.js';
import { createOidcSignIn, type OidcSignIn } from './platform/oidc-sign-in.js';
import type { ExportsForSubject } from './processors/privacy/exports-for-subject.js';
import { exportJobsForSubject } from './processors/exports/exports-for-subject.js';
import { startWebhooks, type Webhooks } from './processors/webhooks/webhooks.js';
import { PublisherRegistry } from './processors/external-events/publisher-registry.js';
import { startNotifier } from './processors/notifications/notifier.js';
import { QueryCache, memoryCacheBackend, redisCacheBackend } from './platform/query-cache.js';
import { ProviderConnections } from './processors/llm/provider-connections.js';
import { LlmApiKeyVault } from './processors/llm/llm-api-key-vault.js';
import type { PassageRetriever } from './processors/chat/passage-retriever.js';
import { documentRetriever } from './processors/chat/document-retriever.js';
import { openDocumentLibrary, type RunningDocumentLibrary } from './processors/documents/open-document-library.js';
import type { Embedder } from './processors/documents/embedders/embedder.js';
import { startLiveServices, type LiveServices } from './processors/live/live-services.js';
import { startEvaluationRunner, type EvaluationRunner } from './processors/evaluations/evaluation-runner.js';

/** Everything a RAIA process runs, wired from configuration (the composition root). */
export type Runtime = {
  config: Config;
  logger: Logger;
  db: Database;
  store: EventStore;
  catalogue: EventCatalogue;
  /** States this process's commands left streams in (commands decide on them instead of replaying). */
  streamStates: StreamStateCache;
  vault: PersonalDataVault;
  keys: KeyMaterial;
  bus: MessageBus;
  projections: ProjectionRunner;
  relay: EventRelay;
  sealer: LedgerSealer;
  identity: IdentityDependencies;
  accessTokens: AccessTokens;
  apiKeyUsage: ApiKeyUsage;
  /** Single sign-on with the configured OpenID Connect providers (none by default). */
  oidc: OidcSignIn;
  /** Model artifacts (and, later, dataset files), content-addressed under `<data>/blobs` or in an S3 bucket (RAIA_BLOB_STORE). */
  blobs: BlobStorage;
  scoringModels: ScoringModelCache;
  predictionLog: PredictionLog;
  /** Computes asynchronous explanation requests (POST /explainability/jobs). */
  explanationJobs: ExplanationJobs;
  /** Runs the scheduled drift checks (POST /drift/schedules). */
  driftScheduler: DriftScheduler;
  /** Renders requested exports (POST /export/*) into blob storage. */
  exportJobs: ExportJobs;
  /** Export file formats by name (CSV bundle, XLSX; PDF once its renderer is wired), for rendering and verification. */
  exportRenderers: ReadonlyMap<ExportFormat, ExportRenderer>;
  /** Monitors started data streams (NATS, webhook, Kafka) in windows against their reference. */
  streams: StreamMonitor;
  mailSender: MailSender;
  /** Export jobs naming a data subject, purged when the subject is erased (none until the export jobs are wired here). */
  exportsForSubject: ExportsForSubject;
  /** Documents for retrieval: upload, chunks and embeddings, hybrid search (docs/documents.md). */
  documents: RunningDocumentLibrary;
  /** Work requests leave running after their answer (identity steps that depend on the address). */
  backgroundTasks: BackgroundTasks;
  /** Webhook subscriptions' delivery (fan-out and dispatcher; docs/webhooks.md). */
  webhooks: Webhooks;
  /** External publishers and their event schemas (RAIA_EVENT_SCHEMAS_FILE). */
  publishers: PublisherRegistry;
  /** Answers of read-model queries (and room for provider responses, reports): Redis with REDIS_URL, else in-process (docs/cache.md). */
  cache: QueryCache;
  /**
   * LLM providers and chat: one HTTP agent for every provider call, sealed API keys, and the
   * retriever chat answers from (the document library's hybrid search).
   */
  llm: { connections: ProviderConnections; apiKeys: LlmApiKeyVault; retriever: PassageRetriever };
  /** Live channels' ledger feed, live analytics and the notification port (docs/real-time.md). */
  live: LiveServices;
  /** Runs started evaluations (resuming those a previous process left running; docs/evaluations.md). */
  evaluations: EvaluationRunner;
  startedAt: Date;
  close(): Promise<void>;
};

export type RuntimeOptions = {
  logger?: Logger;
  /** An embedded database to use instead of `<dataDir>/pglite` (tests). */
  pglite?: PGlite;
  /** An embedder to use instead of RAIA_EMBEDDINGS' (tests, benchmarks). */
  embedder?: Embedder;
};

export async function startRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const keys = loadKeyMaterial({ dataDir: config.dataDir, signingKeyPem: config.RAIA_SIGNING_KEY, masterKeyBase64: config.RAIA_MASTER_KEY, accessTokenKeyPem: config.RAIA_ACCESS_TOKEN_KEY });
  const db = config.DATABASE_URL
    ? await openDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE })
    : options.pglite
      ? await openDatabase({ pglite: options.pglite, schema: config.DATABASE_SCHEMA })
      : await openDatabase({ pgliteDir: join(config.dataDir, 'pglite'), schema: config.DATABASE_SCHEMA });
  const cleanups: (() => Promise<unknown>)[] = [() => db.close()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
  };
  try {
    const applied = await runMigrations(db.knex, allMigrations);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    const trustedKeyIds = new Set([keyFingerprint(keys.verifyKey), ...config.RAIA_TRUSTED_SEAL_KEY_IDS]);
    const ledger: EventStore = config.EVENTSTORE_URL
      ? new EventStoreDbEventStore(config.EVENTSTORE_URL, { trustedKeyIds })
      : new PostgresEventStore(db, { trustedKeyIds });
    cleanups.push(() => ledger.close());
    const witness = await LedgerWitnessFile.open({
      path: join(config.dataDir, 'keys', LEDGER_WITNESS_FILE),
      signingKey: keys.signingKey,
      verifyKey: keys.verifyKey,
      trustedKeyIds,
      intervalMs: config.RAIA_WITNESS_INTERVAL_MS,
      logger,
    });
    // Closed (cleanups run in reverse) after everything that appends has stopped, so its last write holds every acknowledgement.
    cleanups.push(() => witness.close());
    let seals: SealArchive | null = null;
    // The archive out of reach must not fail a verify: it is then left out (`sealArchive: null`).
    const archivedSeal = async () =>
      seals?.bound(trustedKeyIds).catch((err: unknown) => {
        logger.warn({ err }, 'the NATS seal archive is out of reach; verify goes without it');
        return null;
      }) ?? null;
    const store = witnessAppends(ledger, witness, archivedSeal);
    const catalogue = raiaEventCatalogue();
    const vault = new PersonalDataVault(db.knex, keys.masterKey);
    const bus = config.NATS_URL
      ? await connectNatsBus({ url: config.NATS_URL, stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX, logger, connectionName: 'raia' })
      : createInProcessBus({ logger, retainMessages: 10_000 });
    cleanups.push(() => bus.close());
    if (config.NATS_URL && config.NATS_SEAL_STREAM !== 'off') {
      const archive = await openNatsArchive({ url: config.NATS_URL, stream: config.NATS_SEAL_STREAM, subject: config.NATS_SEAL_SUBJECT });
      cleanups.push(() => archive.close());
      seals = sealArchive({ store, archive, keyIds: trustedKeyIds, logger });
    }
    // Not awaited: sealing must not wait for (or fail with) NATS; a missed seal goes out with the next catch-up.
    const archiveSeals = () => void seals?.catchUp().catch((err: unknown) => logger.error({ err }, 'archiving ledger seals failed; retried after the next seal'));
    archiveSeals();
    // A cut tail (the head below what an earlier run acknowledged or the archive holds) is worth saying at once, not only when someone verifies.
    const tail = await store.verify({ from: Math.max(1, (await ledger.head()).position) });
    if (!tail.ok) logger.error({ reason: tail.reason, firstBrokenPosition: tail.firstBrokenPosition }, 'the ledger falls short of what was acknowledged or sealed: run GET /api/v1/audit/verify');
    const relay = await startEventRelay({ store, bus, knex: db.knex, subjectPrefix: config.NATS_SUBJECT_PREFIX, logger });
    cleanups.push(() => relay.stop());
    // Projections with nothing to apply move their checkpoints once a second, not after every append.
    const projections = new ProjectionRunner({ knex: db.knex, store, catalogue, vault, logger, idleMoveDelayMs: 1000 }, readModels);
    await projections.start();
    cleanups.push(() => projections.stop());
    const mailSender = startMailSender({ knex: db.knex, transport: createMailTransport({ smtpUrl: config.SMTP_URL, dataDir: config.dataDir, from: config.MAIL_FROM }), logger, pollIntervalMs: 500 });
    cleanups.push(() => mailSender.stop());
    const backgroundTasks = new BackgroundTasks(logger);
    cleanups.push(() => backgroundTasks.drain());
    const identity: IdentityDependencies = {
      store,
      catalogue,
      vault,
      knex: db.knex,
      sessions: new SessionStore(db.knex, config.RAIA_SESSION_TTL_DAYS * 86_400_000),
      oneTimeTokens: new OneTimeTokenStore(db.knex),
      hashPassword,
      verifyPassword,
      needsRehash,
      verifyNothing,
      checkPassword,
      sendMail: async (mail) => {
        await enqueueMail(db.knex, mail);
        void mailSender.flush().catch((err: unknown) => logger.error({ err }, 'mail delivery failed'));
      },
      inBackground: (name, task) => backgroundTasks.start(name, task),
      // A key of its own, derived from the master key: digests of addresses are not reversible without it.
      emailDigestKey: deriveKey(keys.masterKey, 'raia email digest'),
      publicUrl: config.RAIA_PUBLIC_URL,
      clock: () => new Date(),
    };
    // Revocations by any process evict this one's cache of active sessions.
    await db.listen(SESSION_REVOCATIONS_CHANNEL, (announcement) => identity.sessions.forgetRevoked(announcement));
    const accessTokens = new AccessTokens(keys.accessTokenKey, keys.accessTokenVerifyKey, config.RAIA_ACCESS_TOKEN_TTL_SECONDS);
    if (config.RAIA_BOOTSTRAP_ADMIN_EMAIL && config.RAIA_BOOTSTRAP_ADMIN_PASSWORD) {
      const admin = await registerAccount(
        identity,
        { email: config.RAIA_BOOTSTRAP_ADMIN_EMAIL, name: 'Administrator', password: config.RAIA_BOOTSTRAP_ADMIN_PASSWORD, role: 'admin', method: 'admin-bootstrap', emailVerified: true },
        systemActor('bootstrap'),
      );
      if (admin.created) logger.info({ userId: admin.userId }, 'bootstrap administrator created');
    }
    if (config.RAIA_COMPLIANCE_PACKS === 'startup') {
      const published = await publishShippedPacks({ store, catalogue });
      if (published.length > 0) logger.info({ packs: published }, 'shipped compliance packs published');
    }
    const onSealed = async (seal: { toPosition: number; headHash: string }) => {
      archiveSeals();
      await witness.sealed(seal).catch((err: unknown) => logger.error({ err }, 'ledger witness write after a seal failed'));
    };
    const sealer = startLedgerSealer({ store, catalogue, signingKey: keys.signingKey, verifyKey: keys.verifyKey, every: config.RAIA_SEAL_EVERY, cron: config.RAIA_SEAL_CRON === 'off' ? undefined : config.RAIA_SEAL_CRON, logger, onSealed });
    cleanups.push(() => sealer.stop());
    logger.info({ database: db.dialect, ledger: store.name, bus: bus.kind }, 'runtime started');
    // Plain http issuers pass configuration only on this machine (development, tests).
    const oidc = createOidcSignIn(config.RAIA_OIDC_PROVIDERS, { allowInsecureRequests: true });
    const apiKeyUsage = new ApiKeyUsage(db.knex);
    const blobs: BlobStorage =
      config.RAIA_BLOB_STORE === 's3' && config.RAIA_S3_BUCKET
        ? new S3BlobStorage({
            client: connectS3({ region: config.RAIA_S3_REGION, endpoint: config.RAIA_S3_ENDPOINT, forcePathStyle: config.RAIA_S3_FORCE_PATH_STYLE }),
            bucket: config.RAIA_S3_BUCKET,
            cacheDir: join(config.dataDir, 'blob-cache'),
          })
        : new FileBlobStorage(join(config.dataDir, 'blobs'));
    cleanups.push(() => blobs.close());
    // Threshold-wrapper versions load the version they wrap, as the ledger declares it.
    const scoringModels = new ScoringModelCache(blobs, 16, (modelId, version) => versionDeclaration(store, modelId, version));
    cleanups.push(() => scoringModels.close());
    const explanationJobs = await startExplanationJobs({ store, catalogue, scoringModels, knex: db.knex, logger });
    cleanups.push(() => explanationJobs.stop());
    const driftScheduler = await startDriftScheduler({ store, catalogue, blobs, logger });
    cleanups.push(() => driftScheduler.stop());
    const renderers = exportRenderers();
    const exportJobs = await startExportJobs({ store, catalogue, vault, blobs, sealer, keys, renderers, workDir: join(config.dataDir, 'exports'), maxBytes: config.RAIA_MAX_DATASET_BYTES, knex: db.knex, logger });
    cleanups.push(() => exportJobs.stop());
    const streamsNatsUrl = config.RAIA_STREAMS_NATS_URL ?? config.NATS_URL;
    const streams = await startStreamMonitor({ store, catalogue, blobs, logger, nats: streamsNatsUrl ? await connectNatsRecordSource({ url: streamsNatsUrl, logger }) : null });
    cleanups.push(() => streams.close());
    const exportsForSubject = exportJobsForSubject({ knex: db.knex, store, catalogue, blobs });
    const publishers = PublisherRegistry.fromFile(config.RAIA_EVENT_SCHEMAS_FILE);
    const webhooks = await startWebhooks({ store, catalogue, vault, knex: db.knex, masterKey: keys.masterKey, allowedHosts: config.RAIA_WEBHOOK_ALLOWED_HOSTS, retryScheduleMs: config.RAIA_WEBHOOK_RETRY_SCHEDULE_MS, timeoutMs: config.RAIA_WEBHOOK_TIMEOUT_MS, logger });
    cleanups.push(() => webhooks.stop());
    const cache = new QueryCache(config.REDIS_URL ? await redisCacheBackend(config.REDIS_URL, logger) : memoryCacheBackend(config.RAIA_CACHE_MAX_ENTRIES), config.DATABASE_SCHEMA ?? 'public', config.RAIA_CACHE_TTL_SECONDS, logger);
    cleanups.push(() => cache.close());
    const notifier = await startNotifier({ store, catalogue, vault, knex: db.knex, logger, onMailQueued: () => void mailSender.flush().catch((err: unknown) => logger.error({ err }, 'mail delivery failed')) });
    cleanups.push(() => notifier.stop());
    const documents = await openDocumentLibrary({ config, db, store, catalogue, vault, masterKey: keys.masterKey, blobs, logger, embedder: options.embedder, projectionsReady: () => projections.ready() });
    cleanups.push(() => documents.close());
    const llmConnections = new ProviderConnections({
      allowedAddresses: config.RAIA_LLM_ALLOWED_ADDRESSES,
      policy: { timeoutMs: config.RAIA_LLM_TIMEOUT_MS, maxRetries: config.RAIA_LLM_MAX_RETRIES, backoffMs: 500, maxWaitMs: 30_000 },
    });
    cleanups.push(() => llmConnections.close());
    const llm = { connections: llmConnections, apiKeys: new LlmApiKeyVault(db.knex, keys.masterKey), retriever: documentRetriever(documents) };
    const live = await startLiveServices({ store, bus, knex: db.knex, subjectPrefix: config.NATS_SUBJECT_PREFIX, logger });
    cleanups.push(() => live.close());
    const evaluations = await startEvaluationRunner({ store, catalogue, knex: db.knex, apiKeys: llm.apiKeys, connections: llmConnections, env: process.env, retriever: () => llm.retriever, embedder: documents.embedder, logger });
    cleanups.push(() => evaluations.stop());
    return { config, logger, db, store, catalogue, streamStates: new StreamStateCache(catalogue), vault, keys, bus, projections, relay, sealer, identity, accessTokens, apiKeyUsage, oidc, blobs, scoringModels, predictionLog: new PredictionLog(db), explanationJobs, driftScheduler, exportJobs, exportRenderers: renderers, streams, mailSender, exportsForSubject, backgroundTasks, webhooks, publishers, cache, llm, documents, live, evaluations, startedAt: new Date(), close };
  } catch (error) {
    await close();
    throw error;
  }
}

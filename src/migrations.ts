import { ledgerMigrations } from './events/postgres/ledger-schema.js';
import { subjectKeyMigrations } from './events/personal-data.js';
import type { Migration } from './platform/migrations.js';
import { processorCheckpointMigrations } from './processors/processor-checkpoints.js';
import { projectionMigrations } from './projections/projection-state.js';
import { sessionStoreMigrations } from './platform/session-store.js';
import { oneTimeTokenMigrations } from './platform/one-time-token-store.js';
import { mailOutboxMigrations } from './platform/mail-outbox.js';
import { apiKeyUsageMigrations } from './platform/api-key-usage.js';
import { predictionLogMigrations } from './platform/prediction-log.js';
import { idempotencyKeyMigrations } from './platform/idempotency-store.js';
import { webhookSecretMigrations } from './platform/webhook-secrets.js';
import { webhookDeliveryMigrations } from './processors/webhooks/webhook-delivery-log.js';
import { llmApiKeyMigrations } from './processors/llm/llm-api-key-vault.js';
import { documentChunkMigrations } from './processors/documents/document-chunks.js';
import { liveConnectionMigrations } from './processors/live/analytics-subscriptions.js';
import { judgeCacheMigrations } from './processors/evaluations/judge-cache.js';

/** Every schema change of the relational database, from every module that owns tables; names are globally ordered. */
export const allMigrations: Migration[] = [...ledgerMigrations, ...subjectKeyMigrations, ...projectionMigrations, ...processorCheckpointMigrations, ...mailOutboxMigrations, ...sessionStoreMigrations, ...oneTimeTokenMigrations, ...apiKeyUsageMigrations, ...predictionLogMigrations, ...idempotencyKeyMigrations, ...webhookSecretMigrations, ...webhookDeliveryMigrations, ...llmApiKeyMigrations, ...documentChunkMigrations, ...liveConnectionMigrations, ...judgeCacheMigrations];

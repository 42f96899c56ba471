import type { Projection } from './projection.js';
import { ledgerSeals } from './ledger-seals.projection.js';
import { streamCatalog } from './stream-catalog.projection.js';
import { users } from './users.projection.js';
import { apiKeys } from './api-keys.projection.js';
import { modelRegistry } from './model-registry.projection.js';
import { datasetCatalog } from './dataset-catalog.projection.js';
import { streamRegistry } from './stream-registry.projection.js';
import { exportJobs } from './export-jobs.projection.js';
import { notifications } from './notifications.projection.js';
import { llmConfigurations } from './llm-configurations.projection.js';
import { chatSessions } from './chat-sessions.projection.js';
import { documents } from './documents.projection.js';
import { evaluations } from './evaluations.projection.js';

/** Every read model the API serves; each capability adds its projections here. */
export const readModels: Projection[] = [streamCatalog, ledgerSeals, users, apiKeys, modelRegistry, datasetCatalog, streamRegistry, exportJobs, notifications, llmConfigurations, chatSessions, documents, evaluations] as Projection[];

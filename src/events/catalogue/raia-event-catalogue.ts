import { EventCatalogue } from '../event-catalogue.js';
import { ledgerSealed } from './ledger.events.js';
import { subjectDataExported, subjectErased } from './privacy.events.js';
import { userEvents, userLoggedInV1Upcaster } from './user.events.js';
import { modelEvents } from './model.events.js';
import { fairnessEvents } from './fairness.events.js';
import { explanationEvents } from './explanation.events.js';
import { datasetEvents } from './dataset.events.js';
import { driftEvents } from './drift.events.js';
import { streamEvents } from './stream.events.js';
import { complianceEvents } from './compliance.events.js';
import { incidentEvents } from './incident.events.js';
import { exportEvents } from './export.events.js';
import { webhookEvents } from './webhook.events.js';
import { externalEvents } from './external-event.events.js';
import { notificationEvents } from './notification.events.js';
import { cacheEvents } from './cache.events.js';
import { llmEvents } from './llm.events.js';
import { chatEvents } from './chat.events.js';
import { documentEvents } from './document.events.js';
import { evaluationEvents } from './evaluation.events.js';

/** The catalogue of every event type RAIA writes. Each capability adds its definitions here. */
export function raiaEventCatalogue(): EventCatalogue {
  return new EventCatalogue()
    .register(ledgerSealed, subjectErased, subjectDataExported, ...userEvents, ...modelEvents, ...explanationEvents, ...fairnessEvents, ...datasetEvents, ...driftEvents, ...streamEvents, ...complianceEvents, ...incidentEvents, ...exportEvents, ...webhookEvents, ...externalEvents, ...notificationEvents, ...cacheEvents, ...llmEvents, ...chatEvents, ...documentEvents, ...evaluationEvents)
    .registerUpcaster(userLoggedInV1Upcaster);
}

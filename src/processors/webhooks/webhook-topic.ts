import type { JsonObject, StoredEvent } from '../../events/envelope.js';
import { jsonContains } from '../../events/event-store.js';

export type WebhookFilter = { dataContains?: JsonObject; streamCategory?: string };

/** `*`, an event type, or a prefix pattern ending in `.*` (`model.*`). */
export const TOPIC_PATTERN = /^(\*|[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*(\.\*)?)$/;

/** Whether an event is one a subscription to `topic` with `filter` receives. */
export function topicMatches(topic: string, filter: WebhookFilter, event: Pick<StoredEvent, 'type' | 'streamId' | 'data'>): boolean {
  const typeMatches = topic === '*' || topic === event.type || (topic.endsWith('.*') && event.type.startsWith(topic.slice(0, -1)));
  if (!typeMatches) return false;
  if (filter.streamCategory && !event.streamId.startsWith(`${filter.streamCategory}-`)) return false;
  return !filter.dataContains || jsonContains(event.data, filter.dataContains);
}

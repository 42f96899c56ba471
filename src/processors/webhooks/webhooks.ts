import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { OutboundAddressPolicy } from '../../platform/outbound-address-policy.js';
import { WebhookSecrets } from '../../platform/webhook-secrets.js';
import { startWebhookDispatcher, type WebhookDispatcher } from './webhook-dispatcher.js';
import { startWebhookFanout, type WebhookFanout } from './webhook-fanout.js';

export type Webhooks = { secrets: WebhookSecrets; policy: OutboundAddressPolicy; dispatcher: WebhookDispatcher; fanout: WebhookFanout; stop(): Promise<void> };

/** Webhook delivery of one process: the fan-out (queues deliveries) and the dispatcher (sends them), woken by each other. */
export async function startWebhooks(deps: {
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  knex: Knex;
  masterKey: Uint8Array;
  allowedHosts: readonly string[];
  retryScheduleMs: readonly number[];
  timeoutMs: number;
  logger?: Logger;
  pollIntervalMs?: number;
}): Promise<Webhooks> {
  const secrets = new WebhookSecrets(deps.knex, deps.masterKey);
  const policy = new OutboundAddressPolicy(deps.allowedHosts, 'RAIA_WEBHOOK_ALLOWED_HOSTS');
  const dispatcher = startWebhookDispatcher({ ...deps, secrets, policy, ...(deps.logger ? { logger: deps.logger } : {}) });
  const fanout = await startWebhookFanout(deps, () => dispatcher.kick());
  return {
    secrets,
    policy,
    dispatcher,
    fanout,
    async stop() {
      await fanout.stop();
      await dispatcher.stop();
    },
  };
}

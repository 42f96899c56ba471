import type { StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore, Subscription } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { enqueueMail } from '../../platform/mail-outbox.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import { listIncidents } from '../compliance/incident-register.js';
import { loadCheckpoint, saveCheckpoint } from '../processor-checkpoints.js';
import { resultEventId } from '../result-event-id.js';
import { DEFAULT_CHANNELS, NOTIFYING_TYPES, deadlineNearFor, notificationFor, type Audience, type NotificationDraft } from './notification-rules.js';
import { preferencesStreamId } from './notification-inbox.js';

export const NOTIFIER = 'notifier';
const RETRY_MS = 2000;
const NOTIFYING = new Set<string>(NOTIFYING_TYPES);

export type Notifier = { stop(): Promise<void> };

type Deps = {
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  knex: Knex;
  logger?: Logger;
  onMailQueued?: () => void;
  /** How long before an open incident's Art. 73 deadline its reporter and the risk officers are told. */
  incidentNoticeMs?: number;
  /** How often open incidents are checked (also after each incident event). */
  incidentScanMs?: number;
};

/**
 * Raises notifications: follows `$all` from its checkpoint, applies the rules
 * (notification-rules.ts) to each event, looks the audience up (the model's owner from its stream,
 * risk officers from the users read model, the requester from the first event of the cause's
 * stream), and records one `notification.raised` per recipient, with the channels the recipient
 * chose. Ids derive from the cause and the recipient, so a redelivered cause records nothing new;
 * e-mails go through the mail outbox under the notification's id, queued once.
 */
export async function startNotifier(deps: Deps): Promise<Notifier> {
  let checkpoint = await loadCheckpoint(deps.knex, NOTIFIER);
  let subscription: Subscription | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let sawIncident = false;
  const actor = { kind: 'system' as const, id: NOTIFIER };

  const firstOf = async (streamId: string) => (await deps.store.readStream(streamId, { limit: 1 }))[0];

  const recipientsOf = async (event: StoredEvent, draft: NotificationDraft): Promise<string[]> => {
    const found = new Set<string>();
    const add = (id: unknown) => typeof id === 'string' && id !== '' && found.add(id);
    for (const audience of draft.audience as Audience[]) {
      if (audience === 'actor' && event.actor.kind === 'user') add(event.actor.id);
      if (audience === 'model-owner' && draft.subject.type === 'model') add((await firstOf(`model-${draft.subject.id}`))?.data.ownerId);
      if (audience === 'requester') {
        const first = await firstOf(event.streamId);
        add(first?.data.requesterId ?? (first?.actor.kind === 'user' ? first.actor.id : undefined));
      }
      if (audience === 'risk-officers') for (const id of (await deps.knex('users').where({ role: 'risk_officer', status: 'active' }).pluck('user_id')) as string[]) add(id);
    }
    return [...found];
  };

  const channelsOf = async (userId: string, kind: string): Promise<string[]> => {
    const [latest] = await deps.store.readStream(preferencesStreamId(userId), { direction: 'backwards', limit: 1 });
    const chosen = (latest?.data.preferences as Record<string, string[]> | undefined)?.[kind];
    return chosen ?? [...DEFAULT_CHANNELS];
  };

  /** Records one notification per recipient; `idOf` derives each id from what caused it, so a second run records nothing. */
  const raise = async (draft: NotificationDraft, recipients: string[], idOf: (recipientId: string) => string, cause: { id?: string; correlationId?: string | null }) => {
    for (const recipientId of recipients) {
      const channels = await channelsOf(recipientId, draft.kind);
      if (channels.length === 0) continue;
      const notificationId = idOf(recipientId);
      const { schemaVersion, data } = deps.catalogue.validate('notification.raised', { notificationId, recipientId, kind: draft.kind, title: draft.title, subject: draft.subject, channels });
      await deps.store.append(`notification-${notificationId}`, [{ id: notificationId, type: 'notification.raised', schemaVersion, data, actor, ...(cause.id ? { causationId: cause.id } : {}), ...(cause.correlationId ? { correlationId: cause.correlationId } : {}) }], { expectedVersion: 'any' });
      if (channels.includes('email')) await mailOnce(notificationId, recipientId, draft);
    }
  };

  const notify = async (event: StoredEvent) => {
    const draft = notificationFor(event);
    if (draft) await raise(draft, await recipientsOf(event, draft), (recipientId) => resultEventId(event.id, `${NOTIFIER}:${recipientId}`), event);
  };

  const riskOfficers = async () => (await deps.knex('users').where({ role: 'risk_officer', status: 'active' }).pluck('user_id')) as string[];

  /** Open incidents not yet notified to the authority whose deadline is within the notice period: once per incident and deadline. */
  const scanIncidentDeadlines = async () => {
    const now = new Date();
    const notice = deps.incidentNoticeMs ?? 48 * 3_600_000;
    for (const incident of await listIncidents(deps, 'pseudonymised', { status: 'open' }, now)) {
      const draft = deadlineNearFor(incident, now, notice);
      if (!draft) continue;
      const recipients = [...new Set([incident.reportedBy, ...(await riskOfficers())])];
      await raise(draft, recipients, (recipientId) => resultEventId(incident.incidentId, `${NOTIFIER}:deadline:${incident.deadline}:${recipientId}`), {});
    }
  };
  let scanning: Promise<void> | null = null;
  const scanSoon = () => {
    scanning ??= scanIncidentDeadlines()
      .catch((err: unknown) => deps.logger?.error({ err }, 'incident deadline scan failed'))
      .finally(() => {
        scanning = null;
      });
  };
  const scanTimer = setInterval(scanSoon, deps.incidentScanMs ?? 60_000);
  scanTimer.unref();

  const mailOnce = async (notificationId: string, recipientId: string, draft: NotificationDraft) => {
    const user = (await deps.knex('users').select('email').where({ user_id: recipientId, status: 'active' }).first()) as { email: string } | undefined;
    if (!user) return;
    const queued = await deps.knex('raia_mail_outbox').where('id', notificationId).first('id');
    if (queued) return;
    await enqueueMail(deps.knex, { to: user.email, subject: `[RAIA] ${draft.title}`, text: `${draft.title}\n\n${draft.subject.type} ${draft.subject.id}` }, notificationId);
    deps.onMailQueued?.();
  };

  const follow = () => {
    subscription = deps.store.subscribeToAll({
      after: checkpoint,
      async onEvents(events) {
        for (const e of events) {
          if (stopped) return;
          if (NOTIFYING.has(e.type)) await notify(deps.catalogue.upcast(e));
          if (e.type.startsWith('incident.')) sawIncident = true;
          checkpoint = e.position;
        }
        if (sawIncident) scanSoon();
        sawIncident = false;
        await saveCheckpoint(deps.knex, NOTIFIER, checkpoint);
      },
      onError(error) {
        if (stopped) return;
        deps.logger?.error({ err: error, checkpoint }, 'notifier failed; retrying from the checkpoint');
        retry = setTimeout(() => {
          if (stopped) return;
          void loadCheckpoint(deps.knex, NOTIFIER).then((cp) => {
            checkpoint = cp;
            follow();
          }, follow);
        }, RETRY_MS);
      },
    });
  };
  follow();
  scanSoon();

  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(scanTimer);
      await subscription?.stop();
      await scanning;
    },
  };
}

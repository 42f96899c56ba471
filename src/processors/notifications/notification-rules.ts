import type { StoredEvent } from '../../events/envelope.js';
import type { NOTIFICATION_KINDS } from '../../events/catalogue/notification.events.js';

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Who a notification goes to, before ids are looked up. */
export type Audience = 'model-owner' | 'risk-officers' | 'requester' | 'actor';

export type NotificationDraft = { kind: NotificationKind; title: string; subject: { type: string; id: string }; audience: Audience[] };

/** The event types some rule reacts to. */
export const NOTIFYING_TYPES = ['drift.alert-raised', 'model.transition-refused', 'model.version-validated', 'explanation.computed', 'explanation.failed', 'export.completed', 'export.failed'] as const;

const clip = (text: string, max = 300) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The notification rules: which events notify whom, and how they read. Pure: recipients are
 * named by audience here and looked up by the notifier.
 */
export function notificationFor(event: Pick<StoredEvent, 'type' | 'data' | 'streamId'>): NotificationDraft | null {
  const d = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'drift.alert-raised':
      return {
        kind: 'drift-alert',
        title: clip(`Drift alert (${String(d.severity)}): ${String(d.message)}`),
        subject: d.modelId ? { type: 'model', id: String(d.modelId) } : { type: 'dataset', id: String(d.datasetId) },
        audience: d.modelId ? ['model-owner', 'risk-officers'] : ['risk-officers'],
      };
    case 'model.transition-refused':
      return {
        kind: 'transition-refused',
        title: clip(`${String(d.transition)} of version ${String(d.version)} refused: ${(d.reasons as string[]).join('; ')}`),
        subject: { type: 'model', id: String(d.modelId) },
        audience: ['actor', 'model-owner'],
      };
    case 'model.version-validated': {
      const checks = (d.checks as { passed?: boolean; status?: string }[] | undefined) ?? [];
      const failing = checks.some((c) => c.passed === false || c.status === 'failed');
      if (failing) return null;
      return { kind: 'approval-requested', title: `Version ${String(d.version)} of a model was validated and awaits approval`, subject: { type: 'model', id: String(d.modelId) }, audience: ['risk-officers'] };
    }
    case 'explanation.computed':
    case 'explanation.failed':
      // Only asynchronous jobs notify: a synchronous explanation was answered in its request.
      if (!d.jobId) return null;
      return {
        kind: 'evaluation-finished',
        title: event.type === 'explanation.computed' ? 'Your explanation job finished' : clip(`Your explanation job failed: ${String(d.reason)}`),
        subject: { type: 'explanation-job', id: String(d.jobId) },
        audience: ['requester'],
      };
    case 'export.completed':
    case 'export.failed':
      return {
        kind: 'export-finished',
        title: event.type === 'export.completed' ? `Your export ${String(d.filename)} is ready` : clip(`Your export failed: ${String(d.reason)}`),
        subject: { type: 'export', id: String(d.exportId) },
        audience: ['requester'],
      };
    default:
      return null;
  }
}

/** Channels a kind reaches a user on when they chose none: in-app only. */
export const DEFAULT_CHANNELS = ['in-app'] as const;

/** The notice of an open incident whose Art. 73 reporting deadline is within `noticeMs` (or passed) and not yet reported to the authority. */
export function deadlineNearFor(incident: { incidentId: string; status: string; deadline: string; authorityNotifiedAt: string | null; category: string }, now: Date, noticeMs: number): NotificationDraft | null {
  if (incident.status !== 'open' || incident.authorityNotifiedAt !== null) return null;
  const left = new Date(incident.deadline).getTime() - now.getTime();
  if (left > noticeMs) return null;
  const hours = Math.round(left / 3_600_000);
  return {
    kind: 'incident-deadline-near',
    title: left <= 0 ? `Incident reporting deadline passed ${-hours} h ago (${incident.category}, Art. 73)` : `Incident reporting deadline in ${hours} h (${incident.category}, Art. 73): ${incident.deadline}`,
    subject: { type: 'incident', id: incident.incidentId },
    audience: ['actor', 'risk-officers'],
  };
}

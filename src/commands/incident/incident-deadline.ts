import type { INCIDENT_CATEGORIES } from '../../events/catalogue/incident.events.js';

export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];

/**
 * Days after awareness within which a serious incident must be reported to the market
 * surveillance authorities, Regulation (EU) 2024/1689 (AI Act), Art. 73:
 * - 73(2): in general, immediately after the causal link is established and not later than
 *   15 days after the provider (or deployer) becomes aware of the serious incident;
 * - 73(3): a widespread infringement, or a serious incident under Art. 3(49)(b) (serious and
 *   irreversible disruption of the management or operation of critical infrastructure):
 *   immediately and not later than 2 days after becoming aware;
 * - 73(4): the death of a person: immediately and not later than 10 days after becoming aware
 *   (or after suspecting the causal link).
 * "Immediately" is earlier still; the date computed here is the latest lawful one.
 */
export const ART_73_REPORTING_DAYS: Record<IncidentCategory, number> = {
  'serious-incident': 15,
  'widespread-infringement': 2,
  'critical-infrastructure': 2,
  death: 10,
};

const DAY_MS = 86_400_000;

/** The latest lawful reporting time: awareness plus the category's days (exact 24-hour days, in UTC). */
export const reportingDeadline = (awareAt: Date, category: IncidentCategory): Date => new Date(awareAt.getTime() + ART_73_REPORTING_DAYS[category] * DAY_MS);

/**
 * Whether the report is (or was) late: notified after the deadline, or not notified and the
 * deadline has passed at `now`.
 */
export function isOverdue(deadline: Date, authorityNotifiedAt: Date | null, now: Date): boolean {
  return authorityNotifiedAt ? authorityNotifiedAt.getTime() > deadline.getTime() : now.getTime() > deadline.getTime();
}

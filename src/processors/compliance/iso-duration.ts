import { ISO_DURATION } from '../../events/catalogue/compliance.events.js';

/** An ISO 8601 duration's parts (weeks folded into days). */
export type Duration = { years: number; months: number; days: number; hours: number; minutes: number; seconds: number };

export function parseDuration(text: string): Duration {
  const m = ISO_DURATION.exec(text);
  if (!m) throw new Error(`not an ISO 8601 duration: ${text}`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), days: n(3) * 7 + n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

/**
 * `start` plus the duration, calendar-wise in UTC for years and months (ISO 8601 §4.4.3.2: a
 * month is a calendar month; 31 January + P1M is the last day of February), exactly for the rest.
 */
export function addDuration(start: Date, d: Duration): Date {
  const t = new Date(start.getTime());
  if (d.years || d.months) {
    const day = t.getUTCDate();
    t.setUTCDate(1);
    t.setUTCMonth(t.getUTCMonth() + d.years * 12 + d.months);
    const lastDay = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
    t.setUTCDate(Math.min(day, lastDay));
  }
  return new Date(t.getTime() + ((d.days * 24 + d.hours) * 60 + d.minutes) * 60_000 + d.seconds * 1000);
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** A duration in words: `12 months`, `1 day`, `6 hours 30 minutes`. */
export function durationInWords(d: Duration): string {
  const parts = [
    d.years && plural(d.years, 'year'),
    d.months && plural(d.months, 'month'),
    d.days && plural(d.days, 'day'),
    d.hours && plural(d.hours, 'hour'),
    d.minutes && plural(d.minutes, 'minute'),
    d.seconds && plural(d.seconds, 'second'),
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : '0 seconds';
}

/** An elapsed time in words, in its largest whole unit: `3 days`, `5 hours`, `40 seconds`. */
export function ageInWords(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s >= 86_400) return plural(Math.floor(s / 86_400), 'day');
  if (s >= 3600) return plural(Math.floor(s / 3600), 'hour');
  if (s >= 60) return plural(Math.floor(s / 60), 'minute');
  return plural(s, 'second');
}

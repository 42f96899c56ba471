import { describe, expect, it } from 'vitest';
import { addDuration, ageInWords, durationInWords, parseDuration } from '../../../src/processors/compliance/iso-duration.js';

describe('ISO 8601 durations', () => {
  it('parses dates and times, weeks as seven days', () => {
    expect(parseDuration('P1Y2M3W4DT5H6M7S')).toEqual({ years: 1, months: 2, days: 25, hours: 5, minutes: 6, seconds: 7 });
    expect(parseDuration('PT1S')).toEqual({ years: 0, months: 0, days: 0, hours: 0, minutes: 0, seconds: 1 });
    for (const bad of ['P', 'PT', '1Y', 'P1H', 'P1.5D', 'one year']) expect(() => parseDuration(bad), bad).toThrow();
  });

  it('adds months by the calendar, clamping to the end of a shorter month', () => {
    expect(addDuration(new Date('2025-01-31T12:00:00Z'), parseDuration('P1M')).toISOString()).toBe('2025-02-28T12:00:00.000Z');
    expect(addDuration(new Date('2024-01-31T12:00:00Z'), parseDuration('P1M')).toISOString()).toBe('2024-02-29T12:00:00.000Z');
    expect(addDuration(new Date('2024-02-29T00:00:00Z'), parseDuration('P1Y')).toISOString()).toBe('2025-02-28T00:00:00.000Z');
    expect(addDuration(new Date('2025-03-15T08:00:00Z'), parseDuration('P12M')).toISOString()).toBe('2026-03-15T08:00:00.000Z');
    expect(addDuration(new Date('2025-03-15T08:00:00Z'), parseDuration('P6M')).toISOString()).toBe('2025-09-15T08:00:00.000Z');
    expect(addDuration(new Date('2025-12-31T23:00:00Z'), parseDuration('P1DT2H')).toISOString()).toBe('2026-01-02T01:00:00.000Z');
  });

  it('says durations and ages in words', () => {
    expect(durationInWords(parseDuration('P12M'))).toBe('12 months');
    expect(durationInWords(parseDuration('P1D'))).toBe('1 day');
    expect(durationInWords(parseDuration('PT6H30M'))).toBe('6 hours 30 minutes');
    expect(ageInWords(3 * 86_400_000 + 5_000)).toBe('3 days');
    expect(ageInWords(5 * 3_600_000)).toBe('5 hours');
    expect(ageInWords(1_500)).toBe('1 second');
  });
});

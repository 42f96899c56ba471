import { describe, expect, it } from 'vitest';
import { WindowSeries, type ClosedWindow } from '../../../src/analytics/live/window-series.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

describe('window series (running totals) against recomputing over the horizon', () => {
  it('agrees with a rescan at every step', () => {
    const random = mulberry32(7);
    const series = new WindowSeries(60_000);
    const all: ClosedWindow[] = [];
    let now = 0;
    for (let i = 0; i < 2000; i++) {
      now += Math.floor(random() * 3000);
      const w: ClosedWindow = { closedAtMs: now, records: Math.floor(random() * 500), errors: Math.floor(random() * 5), missingRate: random() * 0.2, typeErrorRate: random() * 0.05, datasetDrift: random() < 0.2, driftShare: random() };
      all.push(w);
      series.add(w);
      series.advance(now);
      const inside = all.filter((x) => x.closedAtMs > now - 60_000);
      const records = inside.reduce((s, x) => s + x.records, 0);
      const summary = series.summary();
      expect(summary.windows).toBe(inside.length);
      expect(summary.records).toBe(records);
      expect(summary.errors).toBe(inside.reduce((s, x) => s + x.errors, 0));
      if (records > 0) expect(summary.missingRate!).toBeCloseTo(inside.reduce((s, x) => s + x.missingRate * x.records, 0) / records, 9);
      if (records > 0) expect(summary.typeErrorRate!).toBeCloseTo(inside.reduce((s, x) => s + x.typeErrorRate * x.records, 0) / records, 9);
      expect(summary.driftedWindowShare).toBe(inside.length ? inside.filter((x) => x.datasetDrift).length / inside.length : null);
      expect(summary.last).toBe(w);
    }
  });
});

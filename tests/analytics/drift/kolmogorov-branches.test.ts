import { describe, expect, it } from 'vitest';
import { kolmogorovNSurvival, kolmogorovSurvival, smirnovSurvival } from '../../../src/analytics/drift/kolmogorov-distribution.js';
import { ksTwoSample } from '../../../src/analytics/drift/kolmogorov-smirnov.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('kstwo.sf on each branch (scipy 1.17.1)', () => {
  it.each([
    [10, 0.04, 1, 'n·d ≤ ½'],
    [10, 0.08, 0.9999978058034054, 'n·d ≤ 1 closed form'],
    [300, 0.003, 1, 'n·d ≤ 1 closed form, large n'],
    [10, 0.95, 1.9531250000000172e-13, 'n·d ≥ n − 1'],
    [10, 0.55, 0.0022805103214843725, 'd ≥ ½'],
    [100, 0.15, 0.019839242125643017, 'Durbin, n ≤ 140'],
    [100, 0.3, 1.7719869892662917e-8, 'Smirnov, n ≤ 140'],
    [1000, 0.01, 0.9999496745370611, 'Durbin, n > 140'],
    [1000, 0.04, 0.07933956059000224, 'Pelz–Good'],
    [50000, 0.005, 0.16353363492434803, 'Pelz–Good'],
    [200000, 0.002, 0.39995085369038097, 'Pelz–Good, n > 100 000'],
    [200000, 0.004, 0.003314212822560255, 'Smirnov, n·d² ≥ 2.2'],
    [150, 0.2, 9.805366045892556e-6, 'Smirnov, n > 140'],
  ])('kstwo.sf(%f at n = %i) (%s)', (n, d, expected) => {
    expect(rel(kolmogorovNSurvival(n, d), expected)).toBeLessThan(1e-9);
  });

  it('is 0 far in the tail and refuses bad arguments', () => {
    expect(kolmogorovNSurvival(1000, 0.7)).toBe(0);
    expect(kolmogorovNSurvival(2000, 0.45)).toBe(0);
    expect(kolmogorovNSurvival(10, 1)).toBe(0);
    expect(kolmogorovNSurvival(10, 0)).toBe(1);
    expect(kolmogorovNSurvival(10, -0.1)).toBe(1);
    for (const [n, d] of [
      [0, 0.1],
      [-3, 0.1],
      [2.5, 0.1],
      [10, NaN],
    ])
      expect(kolmogorovNSurvival(n!, d!)).toBeNaN();
  });
});

describe('smirnov and kolmogorov (scipy.special)', () => {
  it.each([
    [5, 0.3, 0.34282],
    [20, 0.1, 0.6290710188849629],
    [100, 0.05, 0.5871453380805337],
    [7, 0.9, 9.999999999999985e-8],
  ])('smirnov(%i, %f)', (n, d, expected) => {
    expect(rel(smirnovSurvival(n, d), expected)).toBeLessThan(1e-11);
  });

  it('smirnov is 1 at d ≤ 0 and 0 at d ≥ 1', () => {
    expect(smirnovSurvival(5, 0)).toBe(1);
    expect(smirnovSurvival(5, -1)).toBe(1);
    expect(smirnovSurvival(5, 1)).toBe(0);
    expect(smirnovSurvival(5, 1.5)).toBe(0);
  });

  it.each([
    [0.3, 0.9999906941986655],
    [0.8, 0.5441424115741981],
    [1.0, 0.26999967167735456],
    [1.5, 0.022217962616525127],
    [2.5, 7.453306344157342e-6],
  ])('kolmogorov(%f)', (x, expected) => {
    expect(rel(kolmogorovSurvival(x), expected)).toBeLessThan(1e-12);
  });

  it('kolmogorov is 1 at x ≤ 0 and NaN at NaN', () => {
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(-1)).toBe(1);
    expect(kolmogorovSurvival(NaN)).toBeNaN();
  });
});

describe('ksTwoSample details (scipy.stats.ks_2samp)', () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const y = [3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5];

  it('reports where the gap is largest and its sign', () => {
    const r = ksTwoSample(x, y);
    expect(r).toMatchObject({ statistic: 0.5, method: 'exact', statisticLocation: 8, statisticSign: 1, n1: 8, n2: 10 });
    expect(rel(r.pValue, 0.1659582247817542)).toBeLessThan(1e-12);
    expect(ksTwoSample(y, x)).toMatchObject({ statistic: 0.5, statisticLocation: 8, statisticSign: -1, n1: 10, n2: 8 });
  });

  it('takes the method asked for', () => {
    const asymp = ksTwoSample(x, y, { method: 'asymp' });
    expect(asymp.method).toBe('asymp');
    expect(rel(asymp.pValue, 0.1875)).toBeLessThan(1e-9);
    expect(ksTwoSample(x, y, { method: 'exact' }).method).toBe('exact');
  });

  it('rounds the effective size half to even, as numpy does, for the asymptotic p-value', () => {
    // n1 = n2 = 5: n1·n2/(n1 + n2) = 2.5 → 2 (kstwo.sf(.6, 2) = .32; at 3 it would be .144).
    const five = ksTwoSample([1, 2, 3, 4, 5], [3.5, 4.5, 5.5, 6.5, 7.5], { method: 'asymp' });
    expect(rel(five.pValue, 0.31999999999999984)).toBeLessThan(1e-9);
    // n1 = n2 = 7: 3.5 → 4.
    const seven = ksTwoSample([1, 2, 3, 4, 5, 6, 7], [3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5], { method: 'asymp' });
    expect(rel(seven.pValue, 0.35089546022490614)).toBeLessThan(1e-9);
  });

  it('sorts unsorted input and refuses an empty sample', () => {
    expect(ksTwoSample([8, 1, 7, 2, 6, 3, 5, 4], y.slice().reverse()).statistic).toBe(0.5);
    expect(() => ksTwoSample([], [1])).toThrow(new RangeError('ksTwoSample needs two non-empty samples'));
    expect(() => ksTwoSample([1], [])).toThrow(RangeError);
  });
});

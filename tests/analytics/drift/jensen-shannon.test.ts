import { describe, expect, it } from 'vitest';
import { jensenShannonDistance } from '../../../src/analytics/drift/jensen-shannon.js';

describe('Jensen–Shannon distance', () => {
  it('matches scipy.spatial.distance.jensenshannon, normalising each side and taking the base', () => {
    expect(jensenShannonDistance([0.1, 0.2, 0.7], [0.3, 0.3, 0.4])).toBeCloseTo(0.2736668758986993, 14);
    expect(jensenShannonDistance([1, 0, 3], [0, 2, 2], Math.E)).toBeCloseTo(0.5220295860189919, 14);
    expect(jensenShannonDistance([5, 5, 0], [1, 2, 7], 10)).toBeCloseTo(0.3890865048781642, 14);
  });

  it('refuses distributions of different lengths', () => {
    expect(() => jensenShannonDistance([1, 2], [1])).toThrow(new RangeError('p and q differ in length'));
  });
});

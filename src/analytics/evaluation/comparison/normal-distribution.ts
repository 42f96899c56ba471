import { regularizedGammaQ } from '../../drift/incomplete-gamma.js';

/** P(|Z| >= |z|) for a standard normal Z: erfc(|z|/√2) = Q(1/2, z²/2). */
export function normalTwoSidedPValue(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return Math.min(1, regularizedGammaQ(0.5, (z * z) / 2));
}

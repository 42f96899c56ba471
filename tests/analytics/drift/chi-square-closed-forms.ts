/**
 * Reference values for the drift tests, independent of src: erf by its Maclaurin series and the
 * χ² survival function in closed form for 1-3 degrees of freedom.
 */

/** erf by its Maclaurin series 2/√π Σ (−1)ⁿ z^(2n+1) / (n! (2n+1)); exact enough for z < 2.5. */
export function erf(z: number): number {
  let term = z;
  let sum = z;
  for (let n = 1; n < 200; n++) {
    term *= (-z * z) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export const erfc = (z: number): number => 1 - erf(z);
/** χ² survival in closed form: dof 1 erfc(√(x/2)); dof 2 exp(−x/2); dof 3 erfc(√(x/2)) + √(2x/π) e^(−x/2). */
export const chi2sf1 = (x: number): number => erfc(Math.sqrt(x / 2));
export const chi2sf2 = (x: number): number => Math.exp(-x / 2);
export const chi2sf3 = (x: number): number => erfc(Math.sqrt(x / 2)) + Math.sqrt((2 * x) / Math.PI) * Math.exp(-x / 2);

/**
 * Solves A x = b for a small dense symmetric system (normal equations of KernelSHAP and the LIME
 * surrogate) by Gaussian elimination with partial pivoting. A is n x n row-major and is
 * overwritten, as is b. A pivot below `tolerance` times the largest diagonal means the direction is
 * not identified by the data; its coefficient is set to 0 (a minimum-change choice, not an error).
 */
export function solveLinearSystem(A: Float64Array, b: Float64Array, n: number, tolerance = 1e-12): Float64Array {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(A[i * n + i]!));
  const eps = tolerance * (scale > 0 ? scale : 1);
  const singular = new Uint8Array(n);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    let best = Math.abs(A[col * n + col]!);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(A[r * n + col]!);
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (best <= eps) {
      singular[col] = 1;
      continue;
    }
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = A[col * n + k]!;
        A[col * n + k] = A[pivot * n + k]!;
        A[pivot * n + k] = t;
      }
      const t = b[col]!;
      b[col] = b[pivot]!;
      b[pivot] = t;
    }
    const d = A[col * n + col]!;
    for (let r = col + 1; r < n; r++) {
      const factor = A[r * n + col]! / d;
      if (factor === 0) continue;
      for (let k = col; k < n; k++) A[r * n + k]! -= factor * A[col * n + k]!;
      b[r]! -= factor * b[col]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    if (singular[i] === 1) continue;
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= A[i * n + k]! * x[k]!;
    x[i] = s / A[i * n + i]!;
  }
  return x;
}

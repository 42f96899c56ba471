/** Model scores used by permutation importance. Each is "higher is better" or a loss, as `higherIsBetter` says. */
export type PerformanceMetric = 'accuracy' | 'log-loss' | 'roc-auc' | 'rmse' | 'r2';

export const higherIsBetter: Record<PerformanceMetric, boolean> = { accuracy: true, 'log-loss': false, 'roc-auc': true, rmse: false, r2: true };

export function score(metric: PerformanceMetric, y: Float64Array, prediction: Float64Array): number {
  switch (metric) {
    case 'accuracy':
      return accuracy(y, prediction);
    case 'log-loss':
      return logLoss(y, prediction);
    case 'roc-auc':
      return rocAuc(y, prediction);
    case 'rmse':
      return rmse(y, prediction);
    case 'r2':
      return rSquared(y, prediction);
    default: {
      const never: never = metric;
      throw new Error(`unknown metric ${String(never)}`);
    }
  }
}

/** Share of rows where (p >= 0.5) equals the 0/1 label. */
export function accuracy(y: Float64Array, p: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < y.length; i++) if ((p[i]! >= 0.5 ? 1 : 0) === y[i]) hits++;
  return hits / y.length;
}

/** Mean binary cross-entropy, probabilities clipped to [1e-15, 1 - 1e-15] as sklearn does. */
export function logLoss(y: Float64Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / y.length;
}

/** Area under the ROC curve by the Mann-Whitney U statistic, ties counted one half (midranks). */
export function rocAuc(y: Float64Array, p: Float64Array): number {
  const n = y.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  let rankSumPositive = 0;
  let positives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]!] === p[order[i]!]) j++;
    const midrank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        rankSumPositive += midrank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function rmse(y: Float64Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - p[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/** Coefficient of determination 1 - SS_res / SS_tot. */
export function rSquared(y: Float64Array, p: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i]!;
  mean /= y.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < y.length; i++) {
    res += (y[i]! - p[i]!) ** 2;
    tot += (y[i]! - mean) ** 2;
  }
  return tot > 0 ? 1 - res / tot : res === 0 ? 1 : 0;
}

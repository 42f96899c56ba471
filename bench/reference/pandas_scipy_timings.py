"""Reference timings for `npm run bench -- data` (bench/data.bench.ts).

Usage: pandas_scipy_timings.py REFERENCE_CSV CURRENT_CSV KS_COLUMN

Prints one JSON object on its last line:
  readCsvMs      pandas.read_csv of REFERENCE_CSV (default options)
  describeMs     DataFrame.describe(include='all') on it (no parsing)
  ksMs           scipy.stats.ks_2samp on KS_COLUMN of both files (missing values dropped; best of 3)
  ksStatistic, ksPValue, ksN1, ksN2, ksMethod: the test's answer, to check both sides agree.
The KS column of CURRENT_CSV is read with usecols before the clock starts.
"""

import json
import sys
import time

import numpy as np
import pandas as pd
import scipy
from scipy.stats import ks_2samp


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> None:
    reference_csv, current_csv, column = sys.argv[1:4]

    start = time.perf_counter()
    frame = pd.read_csv(reference_csv)
    read_seconds = time.perf_counter() - start

    start = time.perf_counter()
    summary = frame.describe(include="all")
    describe_seconds = time.perf_counter() - start

    a = frame[column].dropna().to_numpy(dtype=np.float64)
    b = pd.read_csv(current_csv, usecols=[column])[column].dropna().to_numpy(dtype=np.float64)
    best = float("inf")
    result = None
    for _ in range(3):
        start = time.perf_counter()
        result = ks_2samp(a, b)
        best = min(best, time.perf_counter() - start)

    print(
        json.dumps(
            {
                "pandas": pd.__version__,
                "scipy": scipy.__version__,
                "numpy": np.__version__,
                "rows": int(len(frame)),
                "columns": int(frame.shape[1]),
                "describedColumns": int(summary.shape[1]),
                "readCsvMs": ms(read_seconds),
                "describeMs": ms(describe_seconds),
                "ksMs": ms(best),
                "ksStatistic": float(result.statistic),
                "ksPValue": float(result.pvalue),
                "ksN1": int(len(a)),
                "ksN2": int(len(b)),
            }
        )
    )


if __name__ == "__main__":
    main()

/**
 * Running totals over the evaluated windows of a data stream that closed within a time horizon:
 * a window is added once, when it closes, and subtracted once, when it leaves the horizon, so the
 * summary costs nothing to read however long the stream runs.
 */
export type ClosedWindow = { closedAtMs: number; records: number; errors: number; missingRate: number; typeErrorRate: number; datasetDrift: boolean; driftShare: number };

export type WindowSeriesSummary = {
  horizonMs: number;
  windows: number;
  records: number;
  errors: number;
  /** Record-weighted mean of the windows' missing-value and type-error rates (null without records). */
  missingRate: number | null;
  typeErrorRate: number | null;
  /** Share of the windows that found dataset drift (null without windows). */
  driftedWindowShare: number | null;
  last: ClosedWindow | null;
};

export class WindowSeries {
  private readonly queue: ClosedWindow[] = [];
  private head = 0;
  private records = 0;
  private errors = 0;
  private missingWeighted = 0;
  private typeErrorWeighted = 0;
  private drifted = 0;
  private last: ClosedWindow | null = null;

  constructor(readonly horizonMs: number) {}

  add(window: ClosedWindow): void {
    this.queue.push(window);
    this.records += window.records;
    this.errors += window.errors;
    this.missingWeighted += window.missingRate * window.records;
    this.typeErrorWeighted += window.typeErrorRate * window.records;
    if (window.datasetDrift) this.drifted++;
    if (!this.last || window.closedAtMs >= this.last.closedAtMs) this.last = window;
  }

  /** Drops the windows that closed at or before `nowMs - horizonMs` (they arrive in closing order). */
  advance(nowMs: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.closedAtMs <= nowMs - this.horizonMs) {
      const w = this.queue[this.head++]!;
      this.records -= w.records;
      this.errors -= w.errors;
      this.missingWeighted -= w.missingRate * w.records;
      this.typeErrorWeighted -= w.typeErrorRate * w.records;
      if (w.datasetDrift) this.drifted--;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  summary(): WindowSeriesSummary {
    const windows = this.queue.length - this.head;
    return {
      horizonMs: this.horizonMs,
      windows,
      records: this.records,
      errors: this.errors,
      missingRate: this.records > 0 ? this.missingWeighted / this.records : null,
      typeErrorRate: this.records > 0 ? this.typeErrorWeighted / this.records : null,
      driftedWindowShare: windows > 0 ? this.drifted / windows : null,
      last: this.last,
    };
  }
}

import { WindowSeries, type WindowSeriesSummary } from '../../analytics/live/window-series.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { LedgerFeed } from './ledger-feed.js';

export type StreamLiveMetrics = {
  /** The stream's windows that closed within the horizon (none yet: an empty summary). */
  summary(streamId: string): WindowSeriesSummary;
  stop(): void;
};

/**
 * Per data stream, the windows evaluated lately (`stream.window-evaluated`, heard on the live
 * ledger feed as they are committed): records, errors, record-weighted quality rates and the share
 * of windows with drift over a sliding horizon, kept as running totals.
 */
export function startStreamLiveMetrics(feed: LedgerFeed, options: { horizonMs?: number; clock?: () => number } = {}): StreamLiveMetrics {
  const horizonMs = options.horizonMs ?? 15 * 60_000;
  const clock = options.clock ?? Date.now;
  const series = new Map<string, WindowSeries>();
  const seriesOf = (streamId: string) => {
    let s = series.get(streamId);
    if (!s) series.set(streamId, (s = new WindowSeries(horizonMs)));
    return s;
  };
  const unlisten = feed.listen((events: StoredEvent[]) => {
    for (const e of events) {
      if (e.type === 'stream.deleted') series.delete(String(e.data.streamId));
      if (e.type !== 'stream.window-evaluated') continue;
      const d = e.data as { streamId: string; to: string; records: number; errors: number; quality: { missingRate: number; typeErrorRate: number }; datasetDrift: boolean; driftShare: number };
      seriesOf(d.streamId).add({
        closedAtMs: new Date(d.to).getTime(),
        records: d.records,
        errors: d.errors,
        missingRate: d.quality.missingRate,
        typeErrorRate: d.quality.typeErrorRate,
        datasetDrift: d.datasetDrift,
        driftShare: d.driftShare,
      });
    }
  });
  return {
    summary(streamId) {
      const s = seriesOf(streamId);
      s.advance(clock());
      return s.summary();
    },
    stop: unlisten,
  };
}

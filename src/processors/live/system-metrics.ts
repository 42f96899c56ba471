import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export type ProcessMetrics = {
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number };
  /** Share of one core used by this process since the previous reading (user + system time). */
  cpu: { userSeconds: number; systemSeconds: number; coreShare: number };
  uptimeSeconds: number;
};

/**
 * This process's event-loop delay (perf_hooks histogram, reset at each reading so it describes the
 * interval since the last one), memory and CPU use.
 */
export class ProcessSampler {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor() {
    this.histogram.enable();
  }

  sample(): ProcessMetrics {
    const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
    const h = this.histogram;
    const eventLoopDelayMs = h.count > 0 ? { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) } : { p50: 0, p99: 0, max: 0, mean: 0 };
    h.reset();
    const now = performance.now();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const coreShare = now > this.lastAt ? usedMicros / 1000 / (now - this.lastAt) : 0;
    this.lastCpu = cpu;
    this.lastAt = now;
    const m = process.memoryUsage();
    return {
      eventLoopDelayMs,
      memory: { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external },
      cpu: { userSeconds: cpu.user / 1e6, systemSeconds: cpu.system / 1e6, coreShare },
      uptimeSeconds: process.uptime(),
    };
  }

  stop(): void {
    this.histogram.disable();
  }
}

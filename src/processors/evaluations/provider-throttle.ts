/**
 * Calls to one provider: at most `concurrency` at a time and at most `requestsPerMinute` started in
 * any sliding minute (null: no rate limit). Waiters are served first come, first served.
 */
export class ProviderThrottle {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly starts: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly concurrency: number,
    private readonly requestsPerMinute: number | null,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Runs `call` when a slot is free and the rate allows. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
    try {
      return await call();
    } finally {
      this.active--;
      this.pump();
    }
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.active < this.concurrency) {
      if (this.requestsPerMinute !== null) {
        const now = this.now();
        while (this.starts.length > 0 && this.starts[0]! <= now - 60_000) this.starts.shift();
        if (this.starts.length >= this.requestsPerMinute) {
          // Wake when the oldest start leaves the window.
          if (!this.timer) {
            this.timer = setTimeout(() => {
              this.timer = undefined;
              this.pump();
            }, this.starts[0]! + 60_000 - now);
          }
          return;
        }
        this.starts.push(now);
      }
      this.active++;
      this.waiting.shift()!();
    }
  }

  /** Drops the pending wake-up (the run is over). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** One throttle per provider target (provider and base URL) of a run, so a judge on another provider is limited on its own. */
export class ProviderThrottles {
  private readonly byTarget = new Map<string, ProviderThrottle>();

  constructor(
    private readonly concurrency: number,
    private readonly requestsPerMinute: number | null,
  ) {}

  of(target: { provider: string; baseUrl: string | null }): ProviderThrottle {
    const key = `${target.provider} ${target.baseUrl ?? ''}`;
    let throttle = this.byTarget.get(key);
    if (!throttle) this.byTarget.set(key, (throttle = new ProviderThrottle(this.concurrency, this.requestsPerMinute)));
    return throttle;
  }

  close(): void {
    for (const t of this.byTarget.values()) t.close();
  }
}

import type { Logger } from './logger.js';

/**
 * Work a request starts but does not wait for. Identity requests use it for the steps that depend
 * on whether an account exists, so that their answer takes the same time either way. A failure is
 * logged, never thrown at a caller who has long had an answer; shutdown waits for what is running.
 * Not durable: work lost to a crash is redone when the user asks again (recovery, sign-up).
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  start(name: string, task: () => Promise<unknown>): void {
    const run = (async () => {
      // Begins once the current request's answer is under way.
      await new Promise((resolve) => setImmediate(resolve));
      await task();
    })()
      .catch((err: unknown) => this.logger.error({ err, task: name }, 'background task failed'))
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves once every task started so far, and every task those started, has ended. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

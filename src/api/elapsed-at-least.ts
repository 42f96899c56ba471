import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once at least `ms` have passed since `startedAt` (a `performance.now()` reading): an
 * answer whose duration would otherwise tell which path a request took (an account exists or not)
 * is held to a floor both paths stay under.
 */
export async function elapsedAtLeast(startedAt: number, ms: number): Promise<void> {
  const left = startedAt + ms - performance.now();
  if (left > 0) await sleep(left);
}

/**
 * Turns a producer that pushes items (a callback inside the HTTP policy's attempt) into an async
 * iterable the caller pulls from; the producer's failure is thrown to the consumer after the
 * items it pushed.
 */
export async function* pushedStream<T>(produce: (emit: (item: T) => void) => Promise<void>): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: { error: unknown } | null = null;
  const done = produce((item) => {
    queue.push(item);
    wake?.();
  })
    .catch((error: unknown) => {
      failure = { error };
    })
    .finally(() => {
      finished = true;
      wake?.();
    });
  for (;;) {
    while (queue.length > 0) yield queue.shift()!;
    if (finished) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  }
  await done;
  if (failure) throw (failure as { error: unknown }).error;
}

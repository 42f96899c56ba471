/**
 * Concurrent lookups of the same kind answered by one query: under load, reads of stream heads or
 * projection checkpoints arrive dozens at a time, and one round trip for all of them costs the
 * database and this process about what one of them did.
 *
 * A call is never answered by a query that began before it was made, so an answer shows at least
 * every write acknowledged before the call (read-your-writes holds as with a query per call): calls
 * made while a query is in flight wait for the next one, which starts when that one settles and
 * carries every key asked for meanwhile. Calls in the same turn of the event loop share a query.
 */
export class CoalescedLookup<K, V> {
  private queued = new Map<K, { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[]>();
  private inFlight = false;
  private scheduled = false;

  /** `load` answers every key it knows (a key it leaves out answers `undefined`). */
  constructor(private readonly load: (keys: K[]) => Promise<Map<K, V>>) {}

  get(key: K): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const waiting = this.queued.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.queued.set(key, [{ resolve, reject }]);
      if (!this.inFlight && !this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.start());
      }
    });
  }

  private start(): void {
    this.scheduled = false;
    if (this.inFlight || this.queued.size === 0) return;
    const batch = this.queued;
    this.queued = new Map();
    this.inFlight = true;
    const settle = () => {
      this.inFlight = false;
      if (this.queued.size > 0) this.start();
    };
    let loading: Promise<Map<K, V>>;
    try {
      loading = this.load([...batch.keys()]);
    } catch (error) {
      loading = Promise.reject(error);
    }
    loading.then(
      (answers) => {
        settle();
        for (const [key, waiting] of batch) for (const w of waiting) w.resolve(answers.get(key));
      },
      (error: unknown) => {
        settle();
        for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
      },
    );
  }
}

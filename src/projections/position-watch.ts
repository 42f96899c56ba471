/**
 * What one waiter (`ProjectionRunner.waitFor`) knows of where some projections' tables stand: per
 * projection, the latest of the checkpoint rows it read and the moves the runner told it of.
 * Latest, not highest: a rebuild of the same version swaps in tables that may stand behind the ones
 * they replace, and says so with a move. A row read that began before a move is older than it,
 * whenever it answers.
 */
export class PositionWatch {
  private readonly seen = new Map<string, { position: number; current: boolean; tick: number }>();
  private tick = 0;

  constructor(private readonly names: readonly string[]) {}

  /** A move the runner committed (always of the code's version). False when the projection is not watched. */
  moved(name: string, position: number): boolean {
    if (!this.names.includes(name)) return false;
    this.seen.set(name, { position, current: true, tick: ++this.tick });
    return true;
  }

  /** Starts a read of the rows; `read` records each row it found (`current`: of the code's version). */
  reading(): { read(name: string, position: number, current: boolean): void } {
    const started = ++this.tick;
    return {
      read: (name, position, current) => {
        const known = this.seen.get(name);
        if (!this.names.includes(name) || (known && known.tick > started)) return;
        this.seen.set(name, { position, current, tick: started });
      },
    };
  }

  /** Every watched projection is known to be of the code's version and at `minPosition` or past it. */
  reached(minPosition: number): boolean {
    return this.names.every((name) => {
      const known = this.seen.get(name);
      return known !== undefined && known.current && known.position >= minPosition;
    });
  }
}

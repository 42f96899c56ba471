import { describe, expect, it } from 'vitest';
import { PositionWatch } from '../../src/projections/position-watch.js';

describe('PositionWatch: what a waiter knows of where projections stand', () => {
  it('has reached a position only once every watched projection is known, current and at it or past it', () => {
    const watch = new PositionWatch(['models', 'datasets']);
    expect(watch.reached(0)).toBe(false);
    const reading = watch.reading();
    reading.read('models', 10, true);
    expect(watch.reached(10)).toBe(false); // datasets not known yet
    reading.read('datasets', 9, true);
    expect(watch.reached(9)).toBe(true);
    expect(watch.reached(10)).toBe(false);
    expect(watch.moved('datasets', 10)).toBe(true);
    expect(watch.reached(10)).toBe(true);
    expect(watch.reached(11)).toBe(false);
  });

  it('a row of another version is not current, however far it stands; a move by the runner is', () => {
    const watch = new PositionWatch(['models']);
    watch.reading().read('models', 50, false);
    expect(watch.reached(1)).toBe(false);
    watch.moved('models', 2);
    expect(watch.reached(2)).toBe(true);
  });

  it('ignores projections it does not watch, in moves and in rows', () => {
    const watch = new PositionWatch(['models']);
    expect(watch.moved('datasets', 100)).toBe(false);
    watch.reading().read('datasets', 100, true);
    expect(watch.reached(0)).toBe(false);
  });

  it('keeps the latest, not the highest: a rebuild of the same version may swap in tables that stand further back', () => {
    const watch = new PositionWatch(['models']);
    watch.moved('models', 40);
    watch.moved('models', 25);
    expect(watch.reached(25)).toBe(true);
    expect(watch.reached(26)).toBe(false);
  });

  it('a row read that began before a move does not overwrite it when it answers after it', () => {
    const watch = new PositionWatch(['models']);
    const early = watch.reading();
    watch.moved('models', 30);
    early.read('models', 20, true);
    expect(watch.reached(30)).toBe(true);
    // A read begun after the move is newer than it.
    const late = watch.reading();
    late.read('models', 12, true);
    expect(watch.reached(13)).toBe(false);
  });
});

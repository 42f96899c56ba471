import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirectoryInUse, lockDataDirectory } from '../../src/platform/data-directory-lock.js';

const root = mkdtempSync(join(tmpdir(), 'raia-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const paths = () => {
  n += 1;
  return { dir: join(root, `db${n}`), lock: join(root, `db${n}.lock`) };
};
/** The pid of a process that has exited (so no process has it, for now). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('the data directory lock', () => {
  it('writes the holder pid and start time, refuses a second holder naming it, and is free again once released', () => {
    const { dir, lock } = paths();
    const held = lockDataDirectory(dir, lock);
    const holder = JSON.parse(readFileSync(lock, 'utf8'));
    expect(holder.pid).toBe(process.pid);
    expect(Math.abs(Date.parse(holder.startedAt) - (Date.now() - process.uptime() * 1000))).toBeLessThan(2000);
    let refusal: unknown;
    try {
      lockDataDirectory(dir, lock);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirectoryInUse);
    expect((refusal as Error).message).toContain(`in use by process ${process.pid}`);
    held.release();
    expect(existsSync(lock)).toBe(false);
    lockDataDirectory(dir, lock).release();
  });

  it('takes over the lock of a process that is gone', () => {
    const { dir, lock } = paths();
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), startedAt: new Date().toISOString() }));
    const held = lockDataDirectory(dir, lock);
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
    held.release();
  });

  it('takes over a lock whose pid now belongs to a process started later (a restarted container reuses pid 1)', () => {
    const { dir, lock } = paths();
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startedAt: '2020-01-01T00:00:00.000Z', startTicks: 1 }));
    const held = lockDataDirectory(dir, lock);
    expect(JSON.parse(readFileSync(lock, 'utf8')).startedAt).not.toBe('2020-01-01T00:00:00.000Z');
    held.release();
  });

  it('takes over an unreadable lock file, and release leaves a lock another process took over alone', () => {
    const { dir, lock } = paths();
    writeFileSync(lock, 'not json');
    const held = lockDataDirectory(dir, lock);
    const theirs = JSON.stringify({ pid: 1, startedAt: new Date().toISOString() });
    writeFileSync(lock, theirs);
    held.release();
    expect(readFileSync(lock, 'utf8')).toBe(theirs);
  });
});

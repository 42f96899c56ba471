import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * An exclusive hold on a directory that one process at a time may use (embedded PGlite's data
 * directory: a second process opening it corrupts what the first one writes). The hold is a lock
 * file created exclusively, naming the holder's pid and start time; a lock whose holder is gone
 * (or whose pid now belongs to another process, as after a container restart, where the server
 * is pid 1 again) is taken over.
 */
export type DataDirectoryLock = { path: string; release(): void };

export type LockHolder = { pid: number; startedAt: string; hostname?: string; command?: string; startTicks?: number | null };

export class DataDirectoryInUse extends Error {
  constructor(
    readonly directory: string,
    readonly lockPath: string,
    readonly holder: LockHolder,
  ) {
    super(
      `${directory} is in use by process ${holder.pid} (started ${holder.startedAt}${holder.command ? `, ${holder.command}` : ''}): ` +
        `the embedded database allows one process at a time. Stop that process first, or work through its HTTP API; ` +
        `if no such process runs, delete ${lockPath}.`,
    );
    this.name = 'DataDirectoryInUse';
  }
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), which tells a
 * pid's current process from an earlier one with the same pid; null where /proc does not exist.
 */
function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is parenthesised and may hold spaces: count fields after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function isRunning(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.startTicks == null) return true;
  const ticks = startTicks(holder.pid);
  return ticks === null || ticks === holder.startTicks;
}

function readHolder(path: string): { text: string; holder: LockHolder | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    return { text, holder: typeof parsed.pid === 'number' && typeof parsed.startedAt === 'string' ? (parsed as LockHolder) : null };
  } catch {
    // A lock file its writer had not finished (or garbage): judged like a dead holder's.
    return { text, holder: null };
  }
}

/**
 * Moves a stale lock aside and checks it is the one judged stale: another process may have taken
 * it over between the judgement and the move, and its fresh lock must stay.
 */
function removeStale(path: string, staleText: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readFileSync(aside, 'utf8');
  if (moved !== staleText) {
    try {
      linkSync(aside, path);
    } catch {
      // A third process locked it meanwhile: theirs stands.
    }
  }
  unlinkSync(aside);
}

export function lockDataDirectory(directory: string, lockPath: string): DataDirectoryLock {
  const me: LockHolder = {
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 200),
    startTicks: startTicks(process.pid),
  };
  const text = `${JSON.stringify(me)}\n`;
  // Written whole beside the lock, then linked into place: link fails if the lock exists, and a
  // lock file is never seen half-written.
  const draft = `${lockPath}.${process.pid}.new`;
  writeFileSync(draft, text, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(draft, lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const current = readHolder(lockPath);
        if (current === null) continue;
        // This very process holding it means a second open in one process: as unsafe as another process.
        if (current.holder && isRunning(current.holder)) throw new DataDirectoryInUse(directory, lockPath, current.holder);
        removeStale(lockPath, current.text);
        continue;
      }
      return lockHeld(lockPath, text);
    }
  } finally {
    unlinkSync(draft);
  }
  const holder = readHolder(lockPath)?.holder;
  throw holder ? new DataDirectoryInUse(directory, lockPath, holder) : new Error(`could not lock ${directory} (${lockPath} keeps changing)`);
}

function lockHeld(lockPath: string, text: string): DataDirectoryLock {
  return {
    path: lockPath,
    release() {
      // Only our own lock: never one another process took over.
      if (readHolder(lockPath)?.text === text) unlinkSync(lockPath);
    },
  };
}

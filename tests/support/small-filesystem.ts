import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A real full disk for tests: a small tmpfs, where writes past its size fail with ENOSPC from the
// kernel. Mounting needs root with CAP_SYS_ADMIN; suites that need it skip elsewhere, saying why.

export function mountTmpfs(dir: string, bytes: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
}

/** Lazily: a test's open handles on it must not keep the mount (and its data dir) alive. */
export function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}

/** Whether this process can mount a tmpfs (tried once, on a scratch directory). */
export const canMountTmpfs: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'raia-tmpfs-probe-'));
  try {
    mountTmpfs(probe, 64 * 1024);
    unmount(probe);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

export const TMPFS_SKIP_REASON = 'SKIPPED: mounting a small tmpfs needs root with CAP_SYS_ADMIN';

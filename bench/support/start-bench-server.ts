import { spawn } from 'node:child_process';
import { join } from 'node:path';

export type BenchServer = { base: string; scientist: string; auditor: string; stop(): Promise<void> };

/**
 * Starts RAIA in a process of its own (bench/support/bench-server.ts) with `env` added to this
 * process's environment, so that the bench's clients do not share its event loop; resolves once it
 * serves. BENCH_CPU_PROF=<dir>: the server writes a CPU profile there when it stops.
 */
export function startBenchServer(env: Record<string, string>): Promise<BenchServer> {
  const profileDir = process.env.BENCH_CPU_PROF ?? process.env.BENCH_API_CPU_PROF;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(import.meta.dirname, 'bench-server.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const fail = () => reject(new Error(`the RAIA process did not start:\n${output}`));
    child.once('exit', fail);
    child.stderr.on('data', (d) => (output += String(d)));
    child.stdout.on('data', (d) => {
      output += String(d);
      const ready = /^READY (.*)$/m.exec(output);
      if (!ready) return;
      child.off('exit', fail);
      const { base, scientist, auditor } = JSON.parse(ready[1]!) as { base: string; scientist: string; auditor: string };
      resolve({ base, scientist, auditor, stop: async () => void (child.kill('SIGTERM'), await exited) });
    });
  });
}

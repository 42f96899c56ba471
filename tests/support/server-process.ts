import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The project's root (the checkout under test). */
export const projectRoot = join(import.meta.dirname, '..', '..');

/** `npm run <name>`'s command line as package.json declares it, with `node` as this Node binary. */
export function npmScript(name: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const script = scripts[name];
  if (!script) throw new Error(`package.json has no "${name}" script`);
  // `exec node …`: the shell npm runs the script with becomes node (so signals reach it).
  const [command, ...args] = script.replace(/^exec /, '').split(' ');
  if (command !== 'node') throw new Error(`"${name}" runs ${command}, not node: ${script}`);
  return [process.execPath, ...args];
}

/** Compiles src/ with the project's build script (`npm run build`) into `<appDir>/dist`. */
export function buildInto(appDir: string): void {
  execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build.mjs'), join(appDir, 'dist')], { cwd: projectRoot, stdio: 'pipe' });
}

/**
 * A built copy of the project in a temporary directory (package.json, dist/ and the checkout's
 * node_modules by symlink), so tests run what `npm start` runs without writing the checkout's dist/.
 */
export function builtApp(): string {
  const appDir = mkdtempSync(join(tmpdir(), 'raia-built-'));
  copyFileSync(join(projectRoot, 'package.json'), join(appDir, 'package.json'));
  symlinkSync(join(projectRoot, 'node_modules'), join(appDir, 'node_modules'), 'dir');
  buildInto(appDir);
  return appDir;
}

export type ServerProcess = {
  child: ChildProcessWithoutNullStreams;
  /** The base URL, once the server logs that it listens. */
  listening: Promise<string>;
  exited: Promise<number | null>;
  output(): string;
};

/** Starts `command` (a server) in `cwd` with `env` added to this process's environment. */
export function spawnServer(command: string[], cwd: string, env: Record<string, string>): ServerProcess {
  const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    child.stdout.on('data', () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output}`));
    });
  });
  // A test that expects an exit must not also see an unhandled rejection of `listening`.
  listening.catch(() => undefined);
  return { child, listening, exited, output: () => output };
}

/** Runs `command` to its end with `stdin` as input. */
export function runToEnd(command: string[], cwd: string, env: Record<string, string>, stdin = ''): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.on('exit', (code) => resolve({ code, out }));
    child.stdin.end(stdin);
  });
}

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInto, projectRoot, runToEnd, spawnServer, type ServerProcess } from '../support/server-process.js';

/**
 * The Docker image, without a Docker engine: the runtime stage of the Dockerfile is followed step
 * by step (its COPY sources, its ENV, `npm ci --omit=dev`, the build stage's output, its CMD and
 * HEALTHCHECK), so a runtime import of a development dependency, or a Dockerfile step that drifts
 * from what works, fails here.
 */
type Stage = { from: string; instructions: { op: string; args: string }[] };

function dockerfileStages(): Stage[] {
  const text = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op === 'FROM') stages.push({ from: args, instructions: [] });
    else stages.at(-1)!.instructions.push({ op: op!, args });
  }
  return stages;
}

/** `ENV A=1 B=2` pairs (values without spaces, as ours are). */
const envPairs = (args: string) => Object.fromEntries(args.split(/\s+/).map((pair) => pair.split('=') as [string, string]));

const servers: ServerProcess[] = [];
let work: string;
let appDir: string;
let runtimeEnv: Record<string, string>;
let install: { status: number | null; stderr: string };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'raia-image-'));
  appDir = join(work, 'app');
  mkdirSync(appDir);
  const [build, runtime] = dockerfileStages();
  expect(build!.from).toMatch(/^node:20-slim AS build$/);
  expect(build!.instructions).toContainEqual({ op: 'RUN', args: 'npm run build' });
  runtimeEnv = {};
  for (const { op, args } of runtime!.instructions) {
    if (op === 'ENV') Object.assign(runtimeEnv, envPairs(args));
    if (op === 'COPY' && args.startsWith('--from=build ')) {
      // The build stage's output: what `npm run build` makes of src/ with every dependency installed.
      expect(args).toBe('--from=build /app/dist ./dist');
      buildInto(appDir);
    } else if (op === 'COPY') {
      const parts = args.split(/\s+/);
      const dest = join(appDir, parts.at(-1)!);
      for (const source of parts.slice(0, -1)) cpSync(join(projectRoot, source), parts.length > 2 || dest.endsWith('/') ? join(dest, basename(source)) : dest, { recursive: true });
    } else if (op === 'RUN' && args.startsWith('npm ci')) {
      // The install as the image runs it (the cache clean-up after it is the image's own business).
      expect(args.split(' && ')[0]).toBe('npm ci --omit=dev');
      const result = spawnSync('npm', ['ci', '--omit=dev', '--prefer-offline'], { cwd: appDir, env: { ...process.env, ...runtimeEnv }, encoding: 'utf8', timeout: 280_000 });
      install = { status: result.status, stderr: result.stderr };
    }
  }
}, 300_000);

afterAll(() => {
  for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the production image (Dockerfile runtime stage)', () => {
  it('installs production dependencies only, with no engine or configuration warnings', () => {
    expect(install.status).toBe(0);
    expect(install.stderr).not.toContain('EBADENGINE');
    expect(install.stderr).not.toMatch(/Unknown (project|env|user|builtin) config/);
    expect(existsSync(join(appDir, 'node_modules', 'fastify'))).toBe(true);
    for (const dev of ['typescript', 'tsx', 'vitest', 'canonicalize']) expect(existsSync(join(appDir, 'node_modules', dev))).toBe(false);
    expect(existsSync(join(appDir, 'src'))).toBe(false);
  });

  it('starts with its CMD, answers liveness, readiness and its HEALTHCHECK, refuses a second process on its data, and stops on SIGTERM', async () => {
    const stages = dockerfileStages();
    const runtime = stages.at(-1)!;
    const cmd = JSON.parse(runtime.instructions.filter((i) => i.op === 'CMD').at(-1)!.args) as string[];
    expect(cmd[0]).toBe('node');
    const dataDir = join(work, 'data');
    const env = { ...runtimeEnv, RAIA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: '', NATS_URL: '', EVENTSTORE_URL: '' };
    const server = spawnServer([process.execPath, ...cmd.slice(1)], appDir, env);
    servers.push(server);
    const base = await server.listening;
    expect((await fetch(`${base}/api/v1/health`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/health/ready`)).status).toBe(200);

    const healthcheck = runtime.instructions.find((i) => i.op === 'HEALTHCHECK')!.args;
    const probe = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(probe[0]).toBe('node');
    const port = new URL(base).port;
    expect(spawnSync(process.execPath, probe.slice(1), { env: { ...process.env, PORT: port }, timeout: 20_000 }).status).toBe(0);

    // An admin task inside the image (no compiler there): refused while the server holds the data.
    const createAdmin = await runToEnd(['npm', 'run', 'create-admin', '--', '--email', 'root@raia.test'], appDir, { ...env, LOG_LEVEL: 'warn' }, 'a strong admin passphrase\n');
    expect(createAdmin.out).toContain('using the existing build');
    expect(createAdmin.code).toBe(3);
    expect(createAdmin.out).toContain(`pid ${server.child.pid}`);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
  }, 120_000);
});

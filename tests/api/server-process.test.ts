import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...process.env, ...env } });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 45_000);
    child.stdout.on('data', () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`server exited:\n${output}`)));
  });
  return { child, listening, exited, output: () => output };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the server process (npm start)', () => {
  it('starts on the embedded database with no external server, serves, and shuts down gracefully on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-start-'));
    dirs.push(dataDir);
    const admin = { email: 'admin@raia.test', password: 'bootstrap passphrase 2026' };
    const server = startServer({
      RAIA_DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      NATS_URL: '',
      EVENTSTORE_URL: '',
      RAIA_BOOTSTRAP_ADMIN_EMAIL: admin.email,
      RAIA_BOOTSTRAP_ADMIN_PASSWORD: admin.password,
    });
    const base = await server.listening;
    expect((await fetch(`${base}/api/v1/health/detailed`)).status).toBe(401);
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const health = await (await fetch(`${base}/api/v1/health/detailed`, { headers: { authorization: `Bearer ${accessToken}` } })).json();
    expect(health).toMatchObject({ status: 'ok', database: { dialect: 'pglite' }, bus: { kind: 'in-process' } });
    expect(existsSync(join(dataDir, 'pglite'))).toBe(true);
    expect(existsSync(join(dataDir, 'keys', 'master-key.b64'))).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('shutting down');
    expect(server.output()).toContain('bootstrap administrator created');
    expect(server.output()).not.toContain(admin.password);
  }, 90_000);

  it('refuses to start on bad configuration, naming the variable', async () => {
    const server = startServer({ PORT: 'eighty', RAIA_DATA_DIR: join(tmpdir(), 'raia-never') });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('PORT:');
    await expect(server.listening).rejects.toThrow();
  }, 60_000);
});

describe('npm run create-admin', () => {
  it('creates an administrator from a password on stdin, who can then sign in', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-admin-'));
    dirs.push(dataDir);
    const env = { ...process.env, RAIA_DATA_DIR: dataDir, DATABASE_URL: '', NATS_URL: '', EVENTSTORE_URL: '', LOG_LEVEL: 'warn' };
    const run = (password: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/create-admin.ts', '--email', 'root@raia.test', '--name', 'Root'], { cwd: root, env });
        let out = '';
        child.stdout.on('data', (d) => (out += String(d)));
        child.stderr.on('data', (d) => (out += String(d)));
        child.on('exit', (code) => resolve({ code, out }));
        child.stdin.end(`${password}\n`);
      });
    const weak = await run('short');
    expect(weak.code).toBe(2);
    expect(weak.out).toContain('at least 12 characters');
    const created = await run('a strong admin passphrase');
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/administrator created: [0-9a-f-]{36}/);
    expect(created.out).not.toContain('a strong admin passphrase');
    const again = await run('a strong admin passphrase');
    expect(again.code).toBe(1);

    const server = startServer({ RAIA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: '', NATS_URL: '', EVENTSTORE_URL: '' });
    const base = await server.listening;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'root@raia.test', password: 'a strong admin passphrase' }) });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe('admin');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 120_000);
});

import { request } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtApp, npmScript, runToEnd, spawnServer, type ServerProcess } from '../support/server-process.js';

const servers: ServerProcess[] = [];
const dirs: string[] = [];
/** A built copy of the project: these tests run what `npm start` and `npm run create-admin` run. */
let appDir: string;

beforeAll(() => {
  appDir = builtApp();
  dirs.push(appDir);
}, 180_000);

/** A server (or admin task) on the embedded database in `dataDir`, on a free loopback port. */
const embedded = (dataDir: string, extra: Record<string, string> = {}) => ({ RAIA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: '', NATS_URL: '', EVENTSTORE_URL: '', ...extra });

const signIn = async (base: string, credentials: { email: string; password: string }) =>
  fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });

function startServer(env: Record<string, string>) {
  const server = spawnServer(npmScript('start'), appDir, env);
  servers.push(server);
  return server;
}

afterAll(() => {
  for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the server process (npm start: the build, run by node)', () => {
  it('starts on the embedded database with no external server, serves, and shuts down gracefully on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-start-'));
    dirs.push(dataDir);
    const admin = { email: 'admin@raia.test', password: 'bootstrap passphrase 2026' };
    const server = startServer(embedded(dataDir, { RAIA_BOOTSTRAP_ADMIN_EMAIL: admin.email, RAIA_BOOTSTRAP_ADMIN_PASSWORD: admin.password }));
    const base = await server.listening;
    expect((await fetch(`${base}/api/v1/health/detailed`)).status).toBe(401);
    const login = await signIn(base, admin);
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

  it('on SIGTERM finishes the request in flight, refuses new connections and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-drain-'));
    dirs.push(dataDir);
    const admin = { email: 'drain@raia.test', password: 'bootstrap passphrase 2026' };
    const server = startServer(embedded(dataDir, { RAIA_BOOTSTRAP_ADMIN_EMAIL: admin.email, RAIA_BOOTSTRAP_ADMIN_PASSWORD: admin.password }));
    const base = await server.listening;
    const { accessToken } = (await (await signIn(base, admin)).json()) as { accessToken: string };

    // A dataset upload whose body arrives slowly: half of it before SIGTERM, the rest after.
    const boundary = 'raia-slow-upload';
    const csv = `x,y\n${Array.from({ length: 2000 }, (_, i) => `${i},${i % 7}`).join('\n')}\n`;
    const body = Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="metadata"\r\n\r\n{"name":"slow upload"}\r\n` +
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="slow.csv"\r\ncontent-type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`,
    );
    const url = new URL(`${base}/api/v1/datasets/upload`);
    const upload = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length } });
    const answered = new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
      upload.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      });
      upload.on('error', reject);
    });
    const half = Math.floor(body.length / 2);
    upload.write(body.subarray(0, half));
    await new Promise((r) => setTimeout(r, 500));

    server.child.kill('SIGTERM');
    const deadline = Date.now() + 10_000;
    while (!server.output().includes('shutting down') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${base}/api/v1/health`)).rejects.toThrow();
    expect(server.child.exitCode).toBeNull();

    for (let at = half; at < body.length; at += 4096) {
      upload.write(body.subarray(at, Math.min(at + 4096, body.length)));
      await new Promise((r) => setTimeout(r, 100));
    }
    upload.end();
    const { status, json } = await answered;
    expect(status).toBe(201);
    expect(json).toMatchObject({ version: 1, rowCount: 2000, format: 'csv' });
    expect(await server.exited).toBe(0);
    // What the request recorded was written before the database closed: it is there after a restart.
    const again = startServer(embedded(dataDir));
    const againBase = await again.listening;
    const { accessToken: token } = (await (await signIn(againBase, admin)).json()) as { accessToken: string };
    const dataset = await fetch(`${againBase}/api/v1/datasets/${String(json.id)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(dataset.status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 120_000);

  it('under npm start, SIGTERM sent to npm reaches the server, which shuts down gracefully', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-npm-'));
    dirs.push(dataDir);
    // --ignore-scripts: no prestart build (this copy is built already); npm start itself still runs.
    const server = spawnServer(['npm', 'start', '--ignore-scripts'], appDir, embedded(dataDir));
    servers.push(server);
    const base = await server.listening;
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(true);
    server.child.kill('SIGTERM');
    await server.exited;
    // The server closed its database (the lock goes last) rather than being orphaned by npm.
    const deadline = Date.now() + 20_000;
    while (existsSync(join(dataDir, 'pglite.lock')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    expect(server.output()).toContain('shutting down');
    await expect(fetch(`${base}/api/v1/health`)).rejects.toThrow();
  }, 90_000);

  it('refuses to start on bad configuration, naming the variable', async () => {
    const server = startServer({ PORT: 'eighty', RAIA_DATA_DIR: join(tmpdir(), 'raia-never') });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('PORT:');
    await expect(server.listening).rejects.toThrow();
  }, 60_000);
});

describe('npm run create-admin', () => {
  const createAdmin = (dataDir: string, password: string, email = 'root@raia.test') =>
    runToEnd([...npmScript('create-admin'), '--email', email, '--name', 'Root'], appDir, embedded(dataDir, { LOG_LEVEL: 'warn' }), `${password}\n`);

  it('creates an administrator from a password on stdin, who can then sign in', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-admin-'));
    dirs.push(dataDir);
    const weak = await createAdmin(dataDir, 'short');
    expect(weak.code).toBe(2);
    expect(weak.out).toContain('at least 12 characters');
    const created = await createAdmin(dataDir, 'a strong admin passphrase');
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/administrator created: [0-9a-f-]{36}/);
    expect(created.out).not.toContain('a strong admin passphrase');
    const again = await createAdmin(dataDir, 'a strong admin passphrase');
    expect(again.code).toBe(1);

    const server = startServer(embedded(dataDir));
    const base = await server.listening;
    const login = await signIn(base, { email: 'root@raia.test', password: 'a strong admin passphrase' });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe('admin');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 120_000);

  it('refuses while a server runs on the same embedded database, naming its pid and what to do; works once it stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-busy-'));
    dirs.push(dataDir);
    const server = startServer(embedded(dataDir));
    const base = await server.listening;
    const refused = await createAdmin(dataDir, 'a strong admin passphrase');
    expect(refused.code).toBe(3);
    expect(refused.out).toContain(`pid ${server.child.pid}`);
    expect(refused.out).toContain('POST /api/v1/admin/invitations');
    expect(refused.out).toContain(`kill ${server.child.pid}`);
    // A second attempt refuses as promptly (it used to hang), and the server is unharmed.
    const second = await createAdmin(dataDir, 'a strong admin passphrase');
    expect(second.code).toBe(3);
    expect((await fetch(`${base}/api/v1/health/ready`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);

    const created = await createAdmin(dataDir, 'a strong admin passphrase');
    expect(created.code).toBe(0);
    // A server killed outright leaves its lock behind: the next start takes it over (its pid is gone).
    const killed = startServer(embedded(dataDir));
    await killed.listening;
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(true);
    const restarted = startServer(embedded(dataDir));
    const restartedBase = await restarted.listening;
    expect((await signIn(restartedBase, { email: 'root@raia.test', password: 'a strong admin passphrase' })).status).toBe(200);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
  }, 180_000);
});

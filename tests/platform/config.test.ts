import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { loadKeyMaterial } from '../../src/platform/key-material.js';
import { keyFingerprint } from '../../src/events/ledger-seal.js';

describe('configuration', () => {
  it('applies the documented defaults: port 8080, ./data, embedded database, in-process bus', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', RAIA_DATA_DIR: './data', LOG_LEVEL: 'info', NATS_STREAM: 'RAIA_EVENTS', RAIA_SEAL_EVERY: 1000 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.NATS_URL).toBeUndefined();
    expect(config.EVENTSTORE_URL).toBeUndefined();
    expect(config.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it('fails fast naming every bad variable, without echoing secrets', () => {
    const secret = Buffer.alloc(16, 7).toString('base64');
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', NATS_URL: 'http://nats', LOG_LEVEL: 'loud', RAIA_MASTER_KEY: secret, RAIA_SEAL_CRON: 'sometimes' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'DATABASE_URL', 'NATS_URL', 'LOG_LEVEL', 'RAIA_MASTER_KEY', 'RAIA_SEAL_CRON']) expect(message).toContain(`${name}:`);
    expect(message).not.toContain(secret);
  });

  it('treats empty URLs as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', NATS_URL: ' ' }).DATABASE_URL).toBeUndefined();
  });
});

describe('key material', () => {
  it('generates the signing and master keys once, owner-readable only, and reuses them', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-keys-'));
    const first = loadKeyMaterial({ dataDir });
    const second = loadKeyMaterial({ dataDir });
    expect(keyFingerprint(second.verifyKey)).toBe(keyFingerprint(first.verifyKey));
    expect(second.masterKey.equals(first.masterKey)).toBe(true);
    expect(first.masterKey).toHaveLength(32);
    for (const file of ['ledger-signing-ed25519.pem', 'master-key.b64']) expect(statSync(join(dataDir, 'keys', file)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, 'keys', 'ledger-signing-ed25519.pem'), 'utf8')).toContain('PRIVATE KEY');
  });

  it('prefers keys given in configuration', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-keys-'));
    const master = randomBytes(32);
    expect(loadKeyMaterial({ dataDir, masterKeyBase64: master.toString('base64') }).masterKey.equals(master)).toBe(true);
  });
});

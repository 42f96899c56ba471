import { createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export type KeyMaterial = {
  /** Ed25519 key that signs ledger seals. */
  signingKey: KeyObject;
  verifyKey: KeyObject;
  /** 32-byte key-encryption key that wraps the per-subject data keys. */
  masterKey: Buffer;
  /** Ed25519 key that signs access tokens (JWT, EdDSA); separate from the seal key so each can rotate alone. */
  accessTokenKey: KeyObject;
  accessTokenVerifyKey: KeyObject;
};

/** Reads a secret file, or creates it once with owner-only permissions. */
function readOrCreate(path: string, create: () => string | Buffer): Buffer {
  if (existsSync(path)) return readFileSync(path);
  const value = create();
  writeFileSync(path, value, { mode: 0o600, flag: 'wx' });
  return readFileSync(path);
}

/**
 * Secrets come from configuration when given, otherwise from `<dataDir>/keys`, generated on first start.
 * They are never logged.
 */
export function loadKeyMaterial(options: { dataDir: string; signingKeyPem?: string; masterKeyBase64?: string; accessTokenKeyPem?: string }): KeyMaterial {
  const dir = join(options.dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ed25519 = (given: string | undefined, file: string, variable: string) => {
    const pem = given ?? readOrCreate(join(dir, file), () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })).toString('utf8');
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${variable} must be an Ed25519 key`);
    return key;
  };
  const signingKey = ed25519(options.signingKeyPem, 'ledger-signing-ed25519.pem', 'RAIA_SIGNING_KEY');
  const accessTokenKey = ed25519(options.accessTokenKeyPem, 'access-token-ed25519.pem', 'RAIA_ACCESS_TOKEN_KEY');
  const masterKey = options.masterKeyBase64
    ? Buffer.from(options.masterKeyBase64, 'base64')
    : Buffer.from(readOrCreate(join(dir, 'master-key.b64'), () => randomBytes(32).toString('base64')).toString('utf8').trim(), 'base64');
  if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  return { signingKey, verifyKey: createPublicKey(signingKey), masterKey, accessTokenKey, accessTokenVerifyKey: createPublicKey(accessTokenKey) };
}

/**
 * A 32-byte key of its own for one purpose, derived from the master key (HKDF-SHA-256, no salt,
 * `info` naming the purpose), so no two uses share a key and none can be recomputed without it.
 */
export function deriveKey(masterKey: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
}

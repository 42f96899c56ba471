import { readFileSync } from 'node:fs';

// NIST SP 800-63B §5.1.1.2: length and a blocklist, no composition rules.
const MIN_LENGTH = 12;
const MAX_LENGTH = 128;
const common = new Set(readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean));

/** Every rule a candidate password breaks, as messages for the user; empty when it is acceptable. */
export function checkPassword(password: string, context: { email?: string; name?: string }): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  const lower = password.toLowerCase();
  if (length < MIN_LENGTH) problems.push(`must be at least ${MIN_LENGTH} characters`);
  if (length > MAX_LENGTH) problems.push(`must be at most ${MAX_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are what it rejects
  if (/[\u0000-\u001f\u007f]/.test(password)) problems.push('must not contain control characters');
  if (common.has(lower)) problems.push('is one of the most common passwords');
  if (length > 0 && new Set(password).size === 1) problems.push('must not repeat a single character');
  const email = context.email?.toLowerCase();
  const personal = [email, email?.split('@')[0], context.name?.toLowerCase()].filter((p): p is string => Boolean(p && p.length >= 3));
  if (personal.some((p) => lower === p || lower.includes(p))) problems.push('must not contain your e-mail address or name');
  return problems;
}

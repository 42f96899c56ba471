import { describe, expect, it } from 'vitest';
import { checkPassword } from '../../src/commands/user/password-policy.js';

describe('password policy', () => {
  it('accepts long passphrases', () => {
    expect(checkPassword('correct horse battery staple', {})).toEqual([]);
    expect(checkPassword('Ünïcödé pässwörd ✓✓', { email: 'a@example.org' })).toEqual([]);
  });
  it('names each broken rule', () => {
    expect(checkPassword('Zk3!vQ', {})).toEqual(['must be at least 12 characters']);
    expect(checkPassword('x'.repeat(129), {})).toContain('must be at most 128 characters');
    expect(checkPassword('aaaaaaaaaaaaaaa', {})).toContain('must not repeat a single character');
    expect(checkPassword('1qaz2wsx3edc', {})).toContain('is one of the most common passwords');
    expect(checkPassword('QWERTY123456', {})).toContain('is one of the most common passwords');
    expect(checkPassword('tab\there is bad!', {})).toContain('must not contain control characters');
    expect(checkPassword('alice.smith-2026!', { email: 'alice.smith@example.org' })).toContain('must not contain your e-mail address or name');
    expect(checkPassword('my name is Bartholomew', { name: 'Bartholomew' })).toContain('must not contain your e-mail address or name');
  });
  it('counts characters, not UTF-16 units', () => {
    expect(checkPassword('😀😀😀😀😀😀😀😀😀😀😀', {})).toContain('must be at least 12 characters');
  });
});

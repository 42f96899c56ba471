import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkPassword } from '../../src/commands/user/password-policy.js';

const TOO_SHORT = 'must be at least 12 characters';
const TOO_LONG = 'must be at most 128 characters';
const COMMON = 'is one of the most common passwords';
const REPEATED = 'must not repeat a single character';
const CONTROL = 'must not contain control characters';
const IDENTITY = 'must not be your e-mail address or name';

describe('password policy (NIST SP 800-63B)', () => {
  it('accepts long passphrases without composition rules', () => {
    expect(checkPassword('correct horse battery staple', {})).toEqual([]);
    expect(checkPassword('all lower case and long', { email: 'alice@example.org', name: 'Alice Smith' })).toEqual([]);
    expect(checkPassword('Ünïcödé pässwörd ✓✓', { email: 'a@example.org' })).toEqual([]);
    expect(checkPassword('my name is Bartholomew, hi', { name: 'Bartholomew' })).toEqual([]);
  });

  it('bounds the length at 12 to 128 characters, inclusive', () => {
    expect(checkPassword('Zk3!vQ', {})).toEqual([TOO_SHORT]);
    expect(checkPassword('Zk3!vQ9#mW2p', {})).toEqual([]);
    expect(checkPassword('Zk3!vQ9#mW2'.padEnd(128, 'x'), {})).toEqual([]);
    expect(checkPassword('Zk3!vQ9#mW2'.padEnd(129, 'x'), {})).toEqual([TOO_LONG]);
    expect(checkPassword('', {})).toEqual([TOO_SHORT]);
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    // 11 emoji are 22 UTF-16 units but 11 characters; 12 are enough.
    expect(checkPassword('😀🎉🔑🌍🚀🍕🎸📚🧩🦊🌈', {})).toEqual([TOO_SHORT]);
    expect(checkPassword('😀🎉🔑🌍🚀🍕🎸📚🧩🦊🌈⚡', {})).toEqual([]);
    expect(checkPassword('😀'.repeat(65), {})).toEqual([REPEATED]);
  });

  it('refuses common passwords whatever their case', () => {
    expect(checkPassword('1qaz2wsx3edc', {})).toEqual([COMMON]);
    expect(checkPassword('QWERTY123456', {})).toEqual([COMMON]);
    expect(checkPassword('password', {})).toEqual([TOO_SHORT, COMMON]);
  });

  it('refuses a single repeated character', () => {
    expect(checkPassword('aaaaaaaaaaaaaaa', {})).toContain(REPEATED);
    expect(checkPassword('aaaaaaaaaaaaaab', {})).not.toContain(REPEATED);
  });

  it('refuses control characters, C0, DEL and C1 alike', () => {
    expect(checkPassword('tab\there is bad!', {})).toEqual([CONTROL]);
    expect(checkPassword('new line\nis bad too', {})).toEqual([CONTROL]);
    expect(checkPassword('delete\u007fis bad too', {})).toEqual([CONTROL]);
    expect(checkPassword('c1 control\u0085 is bad', {})).toEqual([CONTROL]);
  });

  it('refuses the e-mail, its local part or the name, and them with only digits and symbols added', () => {
    const context = { email: 'alice.smith@example.org', name: 'Alice Smith' };
    expect(checkPassword('alice.smith@example.org', context)).toEqual([IDENTITY]);
    expect(checkPassword('Alice.Smith@Example.org', context)).toEqual([IDENTITY]);
    expect(checkPassword('alice.smith-2026!', context)).toEqual([IDENTITY]);
    expect(checkPassword('Alice Smith 1990', context)).toEqual([IDENTITY]);
    expect(checkPassword('bartholomew1234', { name: 'Bartholomew' })).toEqual([IDENTITY]);
    expect(checkPassword('1234567890123', { email: '1234567890123@example.org' })).toEqual([IDENTITY]);
  });

  it('compares identities in lower case, letter by letter: ß is not ss', () => {
    // Upper-casing would turn "Strauß" into "STRAUSS" and make it the name.
    expect(checkPassword('Strauß-1234567', { name: 'Strauss' })).toEqual([]);
    expect(checkPassword('strauss-1234567', { name: 'Strauss' })).toEqual([IDENTITY]);
  });

  it('an identity without letters must match exactly, case folded to lower case', () => {
    // Circled letters are cased symbols, not letters: only the exact comparison sees them.
    expect(checkPassword('ⓐⓑⓒⓓⓔⓕⓖⓗⓘⓙⓚⓛ', { name: 'ⒶⒷⒸⒹⒺⒻⒼⒽⒾⒿⓀⓁ' })).toEqual([IDENTITY]);
    expect(checkPassword('ⒶⒷⒸⒹⒺⒻⒼⒽⒾⒿⓀⓁ', { name: 'ⓐⓑⓒⓓⓔⓕⓖⓗⓘⓙⓚⓛ' })).toEqual([IDENTITY]);
    // Two letterless strings are not alike merely because neither has letters.
    expect(checkPassword('5678 9012 3456', { name: '1234', email: '42@example.org' })).toEqual([]);
  });

  it('a blank name is no identity', () => {
    expect(checkPassword('  ', { name: '  ' })).toEqual([TOO_SHORT, REPEATED]);
    expect(checkPassword('', { name: '' })).toEqual([TOO_SHORT]);
  });

  it('reports every broken rule at once', () => {
    expect(checkPassword('aaa\u0000', {})).toEqual([TOO_SHORT, CONTROL]);
    expect(checkPassword('bob', { name: 'Bob' })).toEqual([TOO_SHORT, IDENTITY]);
  });
});

describe('vendored common-password list', () => {
  const lines = readFileSync(new URL('../../src/commands/user/common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean);
  it('holds 10,000 distinct lower-case entries', () => {
    expect(lines).toHaveLength(10_000);
    expect(new Set(lines).size).toBe(10_000);
    expect(lines.every((line) => line === line.toLowerCase() && line === line.trim())).toBe(true);
  });
});

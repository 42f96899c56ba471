import { describe, expect, it } from 'vitest';
import { InvalidSubject, assertPublishSubject, assertSubjectFilter, subjectMatches } from '../../src/platform/message-bus.js';

// Cases from the NATS documentation, "Subject-Based Messaging": `*` matches a single token,
// `>` one or more tokens and only at the end.
const cases: [string, string, boolean][] = [
  ['time.us.east', 'time.us.east', true],
  ['time.us.east', 'time.us.east.atlanta', false],
  ['time.*.east', 'time.us.east', true],
  ['time.*.east', 'time.eu.east', true],
  ['time.*.east', 'time.us.east.atlanta', false],
  ['time.us.*', 'time.us', false],
  ['time.us.>', 'time.us.east', true],
  ['time.us.>', 'time.us.east.atlanta', true],
  ['time.us.>', 'time.us', false],
  ['time.*.*', 'time.us.east', true],
  ['*.*.east.>', 'time.us.east.atlanta', true],
  ['*.*.east.>', 'time.us.east', false],
  ['>', 'time', true],
  ['>', 'time.us.east', true],
  ['*', 'time', true],
  ['*', 'time.us', false],
];

describe('subject matching', () => {
  it.each(cases)('filter %s against %s is %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });

  it('accepts only literal tokens in published subjects', () => {
    expect(() => assertPublishSubject('raia.events.model.version-added')).not.toThrow();
    for (const bad of ['raia.*', 'raia.>', 'raia..x', '.raia', 'raia.', 'raia x', '']) expect(() => assertPublishSubject(bad)).toThrow(InvalidSubject);
  });

  it('accepts > only as the last token of a filter', () => {
    for (const good of ['raia.>', 'raia.*.x', '*', '>']) expect(() => assertSubjectFilter(good)).not.toThrow();
    for (const bad of ['raia.>.x', 'raia..x', 'ra*ia.x', 'raia.x>', '']) expect(() => assertSubjectFilter(bad)).toThrow(InvalidSubject);
  });
});

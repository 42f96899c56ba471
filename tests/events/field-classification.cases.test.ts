import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classifyFields, credential, fieldPathCovers, personal } from '../../src/events/field-classification.js';

// The sealed-field shape of personal-data.ts ({ $pii: 'v1', … }), written out here.
const sealed = z.object({ $pii: z.literal('v1'), subject: z.string(), iv: z.string(), ct: z.string(), tag: z.string() });

describe('classifyFields: paths written out by hand', () => {
  it('walks nested objects, arrays, optional and nullable wrappers', () => {
    const schema = z.object({
      id: z.string(),
      owner: z.object({ email: personal(z.string()), profile: z.object({ phone: personal(z.string()).optional() }) }),
      logins: z.array(z.object({ ip: personal(z.string()).nullable(), token: credential(z.string()) })),
      grid: z.array(z.array(personal(z.number()))),
    });
    const { classified, sealed: found } = classifyFields(schema);
    expect(classified).toEqual([
      { path: ['owner', 'email'], fieldClass: 'personal' },
      { path: ['owner', 'profile', 'phone'], fieldClass: 'personal' },
      { path: ['logins', '*', 'ip'], fieldClass: 'personal' },
      { path: ['logins', '*', 'token'], fieldClass: 'credential' },
      { path: ['grid', '*', '*'], fieldClass: 'personal' },
    ]);
    expect(found).toEqual([]);
  });

  it('walks record values under a * segment', () => {
    const schema = z.object({ byUser: z.record(z.string(), z.object({ name: personal(z.string()), secret: sealed })) });
    expect(classifyFields(schema)).toEqual({
      classified: [{ path: ['byUser', '*', 'name'], fieldClass: 'personal' }],
      sealed: [['byUser', '*', 'secret']],
    });
    expect(classifyFields(z.record(z.string(), credential(z.string())))).toEqual({ classified: [{ path: ['*'], fieldClass: 'credential' }], sealed: [] });
  });

  it('walks every option of a union (and a discriminated union) at the same path', () => {
    const schema = z.object({ contact: z.union([z.object({ email: personal(z.string()) }), z.object({ phone: credential(z.string()) }), z.null()]) });
    expect(classifyFields(schema).classified).toEqual([
      { path: ['contact', 'email'], fieldClass: 'personal' },
      { path: ['contact', 'phone'], fieldClass: 'credential' },
    ]);
    const tagged = z.discriminatedUnion('kind', [z.object({ kind: z.literal('a'), who: sealed }), z.object({ kind: z.literal('b'), key: credential(z.string()) })]);
    expect(classifyFields(tagged)).toEqual({ classified: [{ path: ['key'], fieldClass: 'credential' }], sealed: [['who']] });
  });

  it('walks both sides of an intersection and the input of a pipe', () => {
    const both = z.intersection(z.object({ a: personal(z.string()) }), z.object({ b: credential(z.string()) }));
    expect(classifyFields(both).classified).toEqual([
      { path: ['a'], fieldClass: 'personal' },
      { path: ['b'], fieldClass: 'credential' },
    ]);
    const piped = z.object({ p: z.object({ mail: personal(z.string()), raw: sealed }).transform((v) => v.mail) });
    expect(classifyFields(piped)).toEqual({ classified: [{ path: ['p', 'mail'], fieldClass: 'personal' }], sealed: [['p', 'raw']] });
  });

  it('a mark covers the inside of the marked value: inner marks are not listed again', () => {
    const schema = z.object({ who: personal(z.object({ key: credential(z.string()), more: z.array(personal(z.string())) })) });
    expect(classifyFields(schema).classified).toEqual([{ path: ['who'], fieldClass: 'personal' }]);
    expect(classifyFields(credential(z.object({ x: personal(z.string()) }))).classified).toEqual([{ path: [], fieldClass: 'credential' }]);
  });

  it('a sealed field is an object whose $pii is the literal v1, and nothing else', () => {
    expect(classifyFields(z.object({ s: sealed, t: sealed.nullable() })).sealed).toEqual([['s'], ['t']]);
    expect(classifyFields(z.object({ s: z.object({ $pii: z.literal(['v0', 'v1']) }) })).sealed).toEqual([['s']]);
    // $pii present but not the literal 'v1': an ordinary object, searched inside.
    const lookalikes = z.object({
      str: z.object({ $pii: z.string(), inner: personal(z.string()) }),
      v2: z.object({ $pii: z.literal('v2'), inner: credential(z.string()) }),
      en: z.object({ $pii: z.enum(['v1']) }),
      none: z.object({ pii: z.literal('v1') }),
    });
    expect(classifyFields(lookalikes)).toEqual({
      classified: [
        { path: ['str', 'inner'], fieldClass: 'personal' },
        { path: ['v2', 'inner'], fieldClass: 'credential' },
      ],
      sealed: [],
    });
    expect(classifyFields(z.array(z.literal('v1'))).sealed).toEqual([]);
  });
});

describe('fieldPathCovers', () => {
  it('covers itself and its descendants, not its ancestors or siblings', () => {
    expect(fieldPathCovers(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(fieldPathCovers(['a'], ['a', 'b', 'c'])).toBe(true);
    expect(fieldPathCovers([], ['a'])).toBe(true);
    expect(fieldPathCovers([], [])).toBe(true);
    expect(fieldPathCovers(['a', 'b'], ['a'])).toBe(false);
    expect(fieldPathCovers(['a'], [])).toBe(false);
    expect(fieldPathCovers(['a', 'b'], ['a', 'c'])).toBe(false);
    expect(fieldPathCovers(['b', 'a'], ['a', 'a'])).toBe(false);
    expect(fieldPathCovers(['x'], ['y'])).toBe(false);
  });

  it('* on either side matches any one segment, and only one', () => {
    expect(fieldPathCovers(['*'], ['x'])).toBe(true);
    expect(fieldPathCovers(['x'], ['*'])).toBe(true);
    expect(fieldPathCovers(['*'], ['*'])).toBe(true);
    expect(fieldPathCovers(['list', '*', 'ip'], ['list', '3', 'ip'])).toBe(true);
    expect(fieldPathCovers(['list', '3'], ['list', '*', 'ip'])).toBe(true);
    expect(fieldPathCovers(['list', '*', 'ip'], ['list', '3', 'mail'])).toBe(false);
    // Longer than the inner path: not covered even though the extra segment is *.
    expect(fieldPathCovers(['a', '*'], ['a'])).toBe(false);
    expect(fieldPathCovers(['*', '*'], ['x'])).toBe(false);
  });
});

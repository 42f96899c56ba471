import { z } from 'zod';

/**
 * How a field of an event may leave the server, declared where the event's schema is defined:
 * - `personal`: data about a person (e-mail, name, IP address): shown in clear only to a caller
 *   allowed to read personal data, to everyone else as a stable pseudonym;
 * - `credential`: secret material (password hashes, key and token digests): never shown to anyone.
 * Unmarked plaintext fields are public; an unmarked sealed field is withheld (default deny).
 */
export type FieldClass = 'personal' | 'credential';

const classes = z.registry<{ fieldClass: FieldClass }>();

// A clone, so marking a shared schema (the sealed-field shape) here never marks its other uses.
function mark<S extends z.ZodType>(schema: S, fieldClass: FieldClass): S {
  const copy = schema.clone();
  classes.add(copy, { fieldClass });
  return copy;
}

/** Marks a field as personal data (see FieldClass). */
export const personal = <S extends z.ZodType>(schema: S): S => mark(schema, 'personal');

/** Marks a field as a credential: it never leaves the server (see FieldClass). */
export const credential = <S extends z.ZodType>(schema: S): S => mark(schema, 'credential');

/** A path into event data; `*` stands for any array index or record key. */
export type FieldPath = readonly string[];
export type ClassifiedField = { path: FieldPath; fieldClass: FieldClass };

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType; out?: z.ZodType; left?: z.ZodType; right?: z.ZodType };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Whether a schema describes a sealed field (`{ $pii: 'v1', … }`, personal-data.ts). */
function describesSealedField(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type !== 'object' || !def.shape?.$pii) return false;
  const pii = defOf(def.shape.$pii) as Def & { values?: unknown[] };
  return pii.type === 'literal' && Boolean(pii.values?.includes('v1'));
}

/**
 * Every marked field of an event schema and every sealed field in it, by path. A marked field's
 * insides are not searched further: the mark covers the whole value.
 */
export function classifyFields(schema: z.ZodType): { classified: ClassifiedField[]; sealed: FieldPath[] } {
  const classified: ClassifiedField[] = [];
  const sealed: FieldPath[] = [];
  const walk = (node: z.ZodType, path: FieldPath, marked: FieldClass | null): void => {
    const own = classes.get(node)?.fieldClass ?? null;
    if (own && !marked) classified.push({ path, fieldClass: own });
    const cls = marked ?? own;
    if (describesSealedField(node)) {
      sealed.push(path);
      return;
    }
    const def = defOf(node);
    switch (def.type) {
      case 'object':
        for (const [key, child] of Object.entries(def.shape ?? {})) walk(child, [...path, key], cls);
        return;
      case 'array':
        if (def.element) walk(def.element, [...path, '*'], cls);
        return;
      case 'record':
        if (def.valueType) walk(def.valueType, [...path, '*'], cls);
        return;
      case 'union':
        for (const option of def.options ?? []) walk(option, path, cls);
        return;
      case 'intersection':
        if (def.left) walk(def.left, path, cls);
        if (def.right) walk(def.right, path, cls);
        return;
      case 'pipe':
        if (def.in) walk(def.in, path, cls);
        return;
      default:
        // nullable, optional, default, readonly, catch…: the wrapped schema is the field.
        if (def.innerType) walk(def.innerType, path, cls);
    }
  };
  walk(schema, [], null);
  return { classified, sealed };
}

/** Whether `outer` is `inner` or one of its ancestors (`*` matching any key). */
export function fieldPathCovers(outer: FieldPath, inner: FieldPath): boolean {
  return outer.length <= inner.length && outer.every((segment, i) => segment === '*' || inner[i] === '*' || segment === inner[i]);
}

import { randomUUID } from 'node:crypto';

/** A JSON Schema node as the OpenAPI document at /docs/json has them (the parts read here). */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

/** A string property somewhere in a schema, and a minimal valid instance of the whole schema with that property set to a value. */
export type StringLeaf = { path: string[]; build(value: string): unknown };

const MAX_DEPTH = 8;
const STRING_CANDIDATES = ['x', 'a'.repeat(64), '0', 'abc', 'x-1', 'a@example.com'];

/** Schemas from an OpenAPI document: `$ref`s into `components.schemas` resolved. */
export class OpenApiSamples {
  constructor(private readonly components: Record<string, JsonSchema> = {}) {}

  resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let i = 0; s.$ref && i < 10; i++) s = this.components[s.$ref.replace('#/components/schemas/', '')] ?? {};
    return s;
  }

  acceptsString(schema: JsonSchema): boolean {
    const s = this.resolve(schema);
    const types = [s.type ?? []].flat();
    return types.includes('string') || (s.anyOf ?? s.oneOf ?? []).some((alt) => this.acceptsString(alt));
  }

  /** A minimal instance of `schema`: required properties only, the smallest lengths and counts it allows. */
  minimal(schema: JsonSchema, depth = 0): unknown {
    const s = this.resolve(schema);
    if ('const' in s) return s.const;
    if (s.enum) return s.enum[0];
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives) return this.minimal(alternatives.find((a) => this.resolve(a).type !== 'null') ?? alternatives[0]!, depth + 1);
    if (s.allOf) return Object.assign({}, ...s.allOf.map((part) => this.minimal(part, depth + 1)));
    const type = [s.type ?? 'object'].flat().find((t) => t !== 'null') ?? 'null';
    switch (type) {
      case 'string':
        return minimalString(s);
      case 'integer':
      case 'number': {
        const low = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
        return s.maximum !== undefined ? Math.min(low, s.maximum) : low;
      }
      case 'boolean':
        return false;
      case 'null':
        return null;
      case 'array':
        return depth > MAX_DEPTH ? [] : Array.from({ length: s.minItems ?? 0 }, () => this.minimal(s.items ?? {}, depth + 1));
      default: {
        if (depth > MAX_DEPTH) return {};
        const out: Record<string, unknown> = {};
        for (const name of s.required ?? []) out[name] = this.minimal(s.properties?.[name] ?? {}, depth + 1);
        return out;
      }
    }
  }

  /** Every string (property, array item, union alternative) in `schema`, nested ones too, with how to build a minimal instance holding a value there. */
  stringLeaves(schema: JsonSchema, depth = 0): StringLeaf[] {
    if (depth > MAX_DEPTH) return [];
    const s = this.resolve(schema);
    const leaves: StringLeaf[] = [];
    if ([s.type ?? []].flat().includes('string')) leaves.push({ path: [], build: (value) => value });
    for (const alternative of s.anyOf ?? s.oneOf ?? []) leaves.push(...this.stringLeaves(alternative, depth + 1));
    for (const [name, property] of Object.entries(s.properties ?? {})) {
      for (const leaf of this.stringLeaves(property, depth + 1)) {
        leaves.push({ path: [name, ...leaf.path], build: (value) => ({ ...(this.minimal(s) as object), [name]: leaf.build(value) }) });
      }
    }
    if (typeof s.additionalProperties === 'object') {
      for (const leaf of this.stringLeaves(s.additionalProperties, depth + 1)) {
        leaves.push({ path: ['key', ...leaf.path], build: (value) => ({ ...(this.minimal(s) as object), key: leaf.build(value) }) });
      }
    }
    if (s.items) {
      const rest = Math.max(0, (s.minItems ?? 1) - 1);
      for (const leaf of this.stringLeaves(s.items, depth + 1)) {
        leaves.push({ path: ['0', ...leaf.path], build: (value) => [leaf.build(value), ...Array.from({ length: rest }, () => this.minimal(s.items!))] });
      }
    }
    // The same path reached through two union alternatives is probed once.
    return leaves.filter((leaf, i) => leaves.findIndex((other) => other.path.join('.') === leaf.path.join('.')) === i);
  }
}

function minimalString(s: JsonSchema): string {
  switch (s.format) {
    case 'uuid':
      return randomUUID();
    case 'email':
      return 'someone@example.com';
    case 'date-time':
      return new Date().toISOString();
    case 'date':
      return new Date().toISOString().slice(0, 10);
    case 'uri':
      return 'https://example.com/';
  }
  const min = s.minLength ?? 1;
  const pattern = s.pattern ? new RegExp(s.pattern) : null;
  const fits = STRING_CANDIDATES.map((c) => (c.length >= min ? c : c.padEnd(min, c))).find((c) => !pattern || pattern.test(c));
  return fits ?? 'x'.repeat(min);
}

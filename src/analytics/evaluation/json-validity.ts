/**
 * Whether an answer is JSON (the whole answer, surrounding whitespace allowed, as RFC 8259 and
 * JSON.parse read it: no code fences, no trailing prose) and whether it satisfies a JSON Schema
 * (ajv, draft 2020-12, formats from ajv-formats, strict mode off so unknown keywords are ignored as
 * the specification says). Compiled validators are cached per schema object and by the schema's JSON
 * text: compiling costs about 2 ms, more than every other offline metric of an item together.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type JsonCheck = { valid: true; value: unknown } | { valid: false; reason: string };

// A JSON text starts, after whitespace, with one of these; checking first spares a thrown exception per prose answer.
const JSON_START = /^\s*(?:[{["\-0-9]|true|false|null)/;

export function parseJsonAnswer(answer: string): JsonCheck {
  if (!JSON_START.test(answer)) return { valid: false, reason: 'not JSON: the answer does not start with a JSON value' };
  try {
    return { valid: true, value: JSON.parse(answer) as unknown };
  } catch (error) {
    return { valid: false, reason: `not JSON: ${(error as Error).message}` };
  }
}

let ajv: Ajv2020 | null = null;
const compiled = new WeakMap<object, ValidateFunction | { error: string }>();
// Items read from a dataset carry equal schemas as distinct objects: cache by the schema's text too.
const compiledByText = new Map<string, ValidateFunction | { error: string }>();
const MAX_CACHED_SCHEMAS = 256;

function validatorFor(schema: object): ValidateFunction | { error: string } {
  let validator = compiled.get(schema);
  if (validator) return validator;
  const text = JSON.stringify(schema);
  validator = compiledByText.get(text);
  if (!validator) {
    if (!ajv) {
      ajv = new Ajv2020({ allErrors: false, strict: false });
      addFormats.default(ajv);
    }
    try {
      validator = ajv.compile(schema);
    } catch (error) {
      validator = { error: `invalid JSON Schema: ${(error as Error).message}` };
    }
    if (compiledByText.size >= MAX_CACHED_SCHEMAS) {
      compiledByText.delete(compiledByText.keys().next().value!);
      // ajv keeps every schema it compiled; compiled validators work without that cache.
      ajv.removeSchema();
    }
    compiledByText.set(text, validator);
  }
  compiled.set(schema, validator);
  return validator;
}

/** Throws nothing: an invalid schema is reported as `{ schemaError }` so the caller can refuse the request. */
export function checkJsonSchema(answer: string, schema: object, parsedAnswer?: JsonCheck): JsonCheck | { valid: false; schemaError: string } {
  const validator = validatorFor(schema);
  if ('error' in validator) return { valid: false, schemaError: validator.error };
  const parsed = parsedAnswer ?? parseJsonAnswer(answer);
  if (!parsed.valid) return parsed;
  if (validator(parsed.value)) return parsed;
  const first = validator.errors?.[0];
  return { valid: false, reason: first ? `schema: ${first.instancePath || '(root)'} ${first.message ?? ''}`.trim() : 'schema: invalid' };
}

/** An invalid schema is a caller error, found before any item is scored. */
export function jsonSchemaError(schema: object): string | null {
  const validator = validatorFor(schema);
  return 'error' in validator ? validator.error : null;
}

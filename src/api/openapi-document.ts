import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * A multipart/form-data body as the OpenAPI document describes it. Such a route reads its parts
 * as a stream (src/api/multipart-upload.ts), so it cannot declare them as a validated `body`:
 * it declares them here, for the document only. `json` is a JSON body the same route also takes.
 */
export type DocumentedMultipartBody = {
  file: { name: string; description: string; required: boolean };
  metadata: { schema: z.ZodType; description: string; required: boolean };
  json?: z.ZodType;
};

declare module 'fastify' {
  interface FastifyContextConfig {
    multipartBody?: DocumentedMultipartBody;
  }
}

const jsonSchemaOf = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** OpenAPI 3.1 form fields: a file is a string of bytes, a JSON field a string whose content has a schema. */
function requestBodyOf(body: DocumentedMultipartBody) {
  const form = {
    type: 'object',
    properties: {
      [body.file.name]: { type: 'string', contentMediaType: 'application/octet-stream', format: 'binary', description: body.file.description },
      metadata: { type: 'string', contentMediaType: 'application/json', contentSchema: jsonSchemaOf(body.metadata.schema), description: body.metadata.description },
    },
    required: [...(body.file.required ? [body.file.name] : []), ...(body.metadata.required ? ['metadata'] : [])],
    additionalProperties: false,
  };
  return { content: { 'multipart/form-data': { schema: form }, ...(body.json ? { 'application/json': { schema: jsonSchemaOf(body.json) } } : {}) } };
}

type Operation = { operationId?: string; security?: unknown[]; responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> };
type Document = { paths?: Record<string, Record<string, Operation>>; servers?: { url: string }[]; components?: { schemas?: Record<string, unknown> } };

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const PROBLEM_REF = '#/components/schemas/Problem';

const pascal = (word: string) =>
  word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

/**
 * An operationId derived from the method and path (`GET /api/v1/models/{id}/versions` →
 * `getModelsByIdVersions`): stable while the route is, unique because method and path are, and
 * the same rule for every route, so a client developer can predict a name from the path.
 */
export function operationIdOf(method: string, path: string): string {
  const segments = path
    .replace(/^\/api\/v1(?=\/|$)/, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment) ?? /^:(.+)$/.exec(segment);
      return param ? `By${pascal(param[1]!)}` : pascal(segment);
    });
  return method.toLowerCase() + (segments.join('') || 'Root');
}

/** Per route: zod schemas to JSON Schema, a multipart body's fields, a public route marked as needing no credentials. */
const transform: SwaggerTransform = (input) => {
  const result = jsonSchemaTransform(input);
  const config = input.route.config;
  if (!result.schema || (!config?.public && !config?.multipartBody)) return result;
  return {
    ...result,
    schema: { ...result.schema, ...(config.public ? { security: [] } : {}), ...(config.multipartBody ? { body: requestBodyOf(config.multipartBody) } : {}) },
  };
};

/**
 * The whole document: every schema a route names by id (`.meta({ id })`) emitted under
 * components.schemas so each `$ref` resolves, an operationId on every operation, and error
 * responses typed application/problem+json as they are sent (RFC 9457 §3).
 */
const transformObject = (publicUrl: string): SwaggerTransformObject => (input) => {
  const document = jsonSchemaTransformObject(input) as Document;
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      operation.operationId ??= operationIdOf(method, path);
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!/^[45]/.test(status) || !response.content) continue;
        const problem = Object.values(response.content).find((media) => media.schema?.$ref === PROBLEM_REF);
        if (problem) response.content = { 'application/problem+json': problem };
      }
    }
  }
  // Any JSON value is `{}` in JSON Schema. Its recursive zod form (a union containing arrays and
  // records of itself) is exact but generated clients cannot type it (TypeScript: TS2502).
  for (const name of ['JsonValue', 'JsonValueInput']) if (document.components?.schemas?.[name]) document.components.schemas[name] = { description: 'Any JSON value' };
  document.servers = [{ url: publicUrl }];
  return document as ReturnType<SwaggerTransformObject>;
};

export const openApiTransforms = (publicUrl: string) => ({ transform, transformObject: transformObject(publicUrl) });

import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

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

/** Per route: zod schemas to JSON Schema, and a public route marked as needing no credentials. */
const transform: SwaggerTransform = (input) => {
  const result = jsonSchemaTransform(input);
  const config = input.route.config as { public?: boolean } | undefined;
  if (!config?.public || !result.schema) return result;
  return { ...result, schema: { ...result.schema, security: [] } };
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

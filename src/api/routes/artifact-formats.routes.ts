import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ARTIFACT_FORMAT_SCHEMAS } from '../artifact-format-schemas.js';
import { notFound, problemSchema } from '../problem-details.js';

const formatSummary = z.object({ format: z.string(), slug: z.string(), mediaType: z.string(), summary: z.string(), schemaUrl: z.string() });

/** The artifact formats model versions accept, as JSON Schema: public, like the OpenAPI document. */
export const artifactFormatRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/v1/artifact-formats', {
    config: { public: true },
    schema: {
      tags: ['models'],
      summary: 'The artifact formats a model version accepts, each with the address of its JSON Schema (docs/model-artifacts.md)',
      response: { 200: z.object({ formats: z.array(formatSummary) }) },
    },
  }, async () => ({
    formats: ARTIFACT_FORMAT_SCHEMAS.map(({ format, slug, mediaType, summary }) => ({ format, slug, mediaType, summary, schemaUrl: `/api/v1/artifact-formats/${slug}/schema` })),
  }));

  app.get('/api/v1/artifact-formats/:slug/schema', {
    config: { public: true },
    schema: {
      tags: ['models'],
      summary: "An artifact format's JSON Schema (draft 2020-12), with a small example under `examples`",
      params: z.strictObject({ slug: z.string().max(100).describe('The format with "/" as "-": raia-tree-ensemble-v1, raia-linear-v1, xgboost-json, raia-threshold-wrapper-v1, onnx') }),
      response: { 200: z.record(z.string(), z.unknown()).describe('A JSON Schema document (draft 2020-12): free-form by nature, it describes an artifact rather than being one'), 404: problemSchema },
    },
  }, async (request, reply) => {
    const found = ARTIFACT_FORMAT_SCHEMAS.find((f) => f.slug === request.params.slug || f.format === request.params.slug);
    if (!found) throw notFound(`artifact format ${request.params.slug} (known: ${ARTIFACT_FORMAT_SCHEMAS.map((f) => f.slug).join(', ')})`);
    void reply.type('application/schema+json');
    return { ...found.schema, examples: [found.example] };
  });
};

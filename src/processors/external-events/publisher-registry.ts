import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { canonicalJsonOf } from '../../events/canonical-json.js';

/**
 * The registry of external publishers: each has a namespace (its events go to the stream
 * `external-<namespace>`), the RAIA user ids allowed to publish in it (the service accounts whose
 * API keys it uses) and a JSON Schema (draft 2020-12) per event type. It is configuration, read
 * from RAIA_EVENT_SCHEMAS_FILE at start: changing a schema is a deployment, reviewed like code, and
 * every published event records the SHA-256 of the schema that admitted it.
 */
const fileSchema = z.strictObject({
  publishers: z.record(
    z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'namespaces are lower-case slugs'),
    z.strictObject({
      publisherIds: z.array(z.string().min(1)).min(1),
      types: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'event types are letters, digits, dots, dashes, underscores'), z.record(z.string(), z.unknown())),
    }),
  ),
});

export type RegisteredType = { validate: ValidateFunction; schemaSha256: string };
export type Publisher = { namespace: string; publisherIds: ReadonlySet<string>; types: ReadonlyMap<string, RegisteredType> };

export class PublisherRegistry {
  private constructor(private readonly publishers: ReadonlyMap<string, Publisher>) {}

  static empty(): PublisherRegistry {
    return new PublisherRegistry(new Map());
  }

  /** Compiles every schema now, so a broken one stops the start rather than the first publish. */
  static fromJson(json: unknown): PublisherRegistry {
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`event schema registry: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const publishers = new Map<string, Publisher>();
    for (const [namespace, p] of Object.entries(parsed.data.publishers)) {
      const types = new Map<string, RegisteredType>();
      for (const [type, schema] of Object.entries(p.types)) {
        let validate: ValidateFunction;
        try {
          validate = ajv.compile(schema);
        } catch (error) {
          throw new Error(`event schema registry: ${namespace}/${type}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        types.set(type, { validate, schemaSha256: createHash('sha256').update(canonicalJsonOf(schema).text ?? '').digest('hex') });
      }
      publishers.set(namespace, { namespace, publisherIds: new Set(p.publisherIds), types });
    }
    return new PublisherRegistry(publishers);
  }

  static fromFile(path: string | undefined): PublisherRegistry {
    if (!path) return PublisherRegistry.empty();
    return PublisherRegistry.fromJson(JSON.parse(readFileSync(path, 'utf8')));
  }

  publisher(namespace: string): Publisher | undefined {
    return this.publishers.get(namespace);
  }
}

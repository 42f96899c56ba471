import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jsonValue } from '../../events/json-value.js';
import type { Runtime } from '../../runtime.js';
import { collectSubjectData, lookUpSubject, recordSubjectExport } from '../../processors/privacy/subject-data-export.js';
import { subjectExportZip } from '../../processors/privacy/subject-export-archive.js';
import { eraseUser } from '../../processors/privacy/subject-erasure.js';
import { documentsForSubject } from '../../processors/documents/documents-for-subject.js';
import type { ExportsForSubject } from '../../processors/privacy/exports-for-subject.js';
import { actorOf, principalOf, type Principal } from '../auth/access-control.js';
import { roleHas } from '../permissions.js';
import { HttpProblem, notFound, problemSchema } from '../problem-details.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 410: problemSchema };
const params = z.strictObject({ userId: z.uuid() });
const json = jsonValue;
const actor = z.object({ kind: z.string(), id: z.string(), role: z.string().optional(), apiKeyId: z.string().optional() });

const subjectExport = z.object({
  format: z.literal('raia.subject-export/1'),
  subjectId: z.string(),
  generatedAt: z.string(),
  ledgerPosition: z.number().int(),
  account: z.object({ userId: z.string(), email: z.string(), name: z.string(), role: z.string(), status: z.string(), emailVerified: z.boolean(), hasPassword: z.boolean(), lockedUntil: z.string().nullable() }),
  sessions: z.array(z.object({ sessionId: z.string(), userAgent: z.string().nullable(), createdAt: z.string(), lastUsedAt: z.string(), expiresAt: z.string(), revokedAt: z.string().nullable(), revokedReason: z.string().nullable() })),
  apiKeys: z.array(z.object({ id: z.string(), name: z.string(), prefix: z.string(), permissions: z.array(z.string()), expiresAt: z.string().nullable(), createdAt: z.string(), revokedAt: z.string().nullable(), lastUsedAt: z.string().nullable(), lastUsedIp: z.string().nullable() })),
  events: z.array(z.object({ id: z.string(), type: z.string(), schemaVersion: z.number().int(), streamId: z.string(), streamVersion: z.number().int(), position: z.number().int(), occurredAt: z.string(), actor, data: z.record(z.string(), json), hash: z.string() })),
  datasetRows: z.array(z.object({ datasetId: z.string(), version: z.number().int(), sha256: z.string(), columns: z.array(z.string()), rows: z.array(z.array(json)) })),
  mails: z.array(z.object({ id: z.string(), to: z.string(), subject: z.string(), status: z.string(), attempts: z.number().int(), createdAt: z.string(), sentAt: z.string().nullable() })),
});

const erasureImpact = z.object({
  subjectId: z.string(),
  alreadyErased: z.boolean(),
  proof: z.object({ eventId: z.string(), type: z.literal('privacy.subject-erased'), streamId: z.string(), position: z.number().int(), hash: z.string(), occurredAt: z.string(), keyDestroyed: z.boolean() }),
  shredded: z.object({
    streams: z.array(z.object({ streamId: z.string(), events: z.number().int(), sealedFields: z.number().int() })),
    datasetFiles: z.array(z.object({ datasetId: z.string(), version: z.number().int(), sha256: z.string(), rows: z.number().int() })),
  }),
  removed: z.object({
    readModels: z.array(z.object({ table: z.string(), rows: z.number().int() })),
    sessionsRevoked: z.number().int(),
    apiKeysRevoked: z.number().int(),
    mails: z.object({ outboxRows: z.number().int(), sentFiles: z.number().int() }),
    exports: z.array(z.object({ id: z.string(), action: z.literal('purged') })),
  }),
  storage: z.object({ compactedTables: z.array(z.string()), walRotated: z.boolean() }),
});

/** Whether the caller may export someone else's data: the permission, and for a key, granted to it. */
const mayExportOthers = (p: Principal) => roleHas(p.role, 'privacy:export') && (p.kind === 'user' || p.permissions.includes('privacy:export'));

/** Data-subject rights (GDPR art. 15, 17, 20): a person's export, and erasure with its impact report. */
export function privacyRoutes(runtime: Runtime, exportsForSubject: ExportsForSubject): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/v1/privacy/data-export/:userId', {
      // Everyone may export their own data; someone else's needs privacy:export (checked below).
      config: { permission: 'self:manage' },
      schema: {
        tags: ['privacy'],
        summary: 'Everything RAIA holds about a person, machine-readable (GDPR art. 15 and 20): yours, or anyone\'s with privacy:export',
        description: 'Account, sessions (no tokens), API keys (no keys or digests), every event the person authored or that names them (their own personal fields in clear; others\' and credentials withheld), their rows in personal datasets, and mail sent to them. `format=zip`: `export.json` and one CSV per table. Recorded as `privacy.data-exported` (who, for whom, counts; never the data).',
        params,
        querystring: z.strictObject({ format: z.enum(['json', 'zip']).default('json') }),
        response: { 200: subjectExport, ...errors },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      const { userId } = request.params;
      const others = mayExportOthers(principal);
      if (principal.userId !== userId && !others) throw new HttpProblem(403, 'forbidden', 'Forbidden', 'you may export only your own data; another person\'s export needs the privacy:export permission');
      const subject = await lookUpSubject(runtime.identity, userId);
      // Only a caller who may see anyone's data learns that an account was erased; to others it does not exist.
      if (subject.status === 'erased' && others) throw new HttpProblem(410, 'subject-erased', 'Subject erased', `user ${userId} was erased: nothing is left to export`, { code: 'SUBJECT_ERASED' });
      const exported = subject.status === 'present' ? await collectSubjectData(runtime, userId, new Date()) : null;
      if (!exported) throw notFound(`user ${userId}`);
      await recordSubjectExport(runtime.identity, exported, request.query.format, actorOf(principal));
      void reply.header('cache-control', 'no-store');
      if (request.query.format === 'json') return exported;
      const zip = await subjectExportZip(exported);
      // A Buffer is sent as it is (fastify serialises only objects): the schema above documents the JSON form.
      return reply.type('application/zip').header('content-disposition', `attachment; filename="raia-subject-export-${userId}.zip"`).send(zip as never);
    });

    app.post('/api/v1/privacy/data-deletion/:userId', {
      config: { permission: 'privacy:erase' },
      schema: {
        tags: ['privacy'],
        summary: 'Erase a person (GDPR art. 17): crypto-shredding plus everything it does not reach, answered with the impact report',
        description: 'Destroys the person\'s key (`privacy.subject-erased`, the proof), revokes their sessions and API keys, scrubs mail sent to them (outbox rows and sent .eml files), purges exports naming them, forgets user agents and IPs, and compacts the tables that held them. Idempotent: again, the same proof with nothing removed.',
        params,
        body: z.strictObject({ reason: z.string().trim().min(1).max(500) }),
        response: { 200: erasureImpact, ...errors },
      },
    }, async (request) => {
      const impact = await eraseUser(
        {
          identity: runtime.identity,
          db: runtime.db,
          blobs: runtime.blobs,
          apiKeyUsage: runtime.apiKeyUsage,
          dataDir: runtime.config.dataDir,
          projections: runtime.projections,
          mailSender: runtime.mailSender,
          exports: exportsForSubject,
          documents: documentsForSubject(runtime.documents),
          readWaitMs: Math.max(runtime.config.RAIA_MIN_POSITION_WAIT_MS, 10_000),
        },
        request.params.userId,
        request.body.reason,
        actorOf(principalOf(request)),
      );
      if (!impact) throw notFound(`user ${request.params.userId}`);
      return impact;
    });
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jsonValue } from '../../events/json-value.js';
import { keyFingerprint } from '../../events/ledger-seal.js';
import { latestSeal } from '../../projections/ledger-seals.projection.js';
import { replayStream } from '../../commands/stream-replay.js';
import { classifiedFieldsQueried, discloseEvents } from '../../events/event-disclosure.js';
import type { JsonObject } from '../../events/envelope.js';
import { AuditEventTexts, searchLedgerText } from '../audit-page-text.js';
import { auditEventSchema, auditPageSchema, auditSortQuery, disclosureOf, disclosureSchema, presentEvent } from '../audit-query.js';
import { principalOf } from '../auth/access-control.js';
import { sendJsonText } from '../json-text-reply.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { MAX_PAGE_SIZE, pageFields, pageQuery } from '../pagination.js';
import { ledgerSortQuery, streamPage } from '../ledger-page.js';

const position = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const eventType = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'must be an event type like model.registered');
const streamId = z.string().min(1).max(200);
const problems = { 400: problemSchema, 404: problemSchema };
const disclosed =
  'Events are disclosed by the classes their schemas declare: credentials (password hashes, key digests) read `[withheld]` for every role; personal fields (e-mail, name, IP address) are in clear with the `personal-data:read` permission and a stable `[personal:…]` pseudonym otherwise; sealed fields of no declared class are withheld. `hash` covers the event as stored (personal fields sealed), so it verifies against the ledger, not against the data shown.';

const criteria = {
  streamId: streamId.optional(),
  streamCategory: z.string().regex(/^[A-Za-z0-9_]+$/).optional(),
  actorId: z.string().min(1).max(200).optional(),
  correlationId: z.uuid().optional(),
  causationId: z.uuid().optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  after: position.optional().describe('Only events after this ledger position (a filter; as the cursor of the next page it is deprecated until 0.2.0: use offset)'),
  before: position.optional().describe('Only events before this ledger position (a filter; as the cursor of the next page it is deprecated until 0.2.0: use offset)'),
  ...pageQuery(100),
  ...auditSortQuery,
};

const logsQuery = z.strictObject({
  ...criteria,
  /** Comma-separated event types. */
  type: z
    .string()
    .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(eventType).max(50))
    .optional(),
});

const searchBody = z.strictObject({
  ...criteria,
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(100).describe(`Items per page, at most ${MAX_PAGE_SIZE}`),
  offset: z.number().int().min(0).max(1_000_000).default(0).describe('Items to skip: the `nextOffset` of the previous page'),
  after: z.number().int().min(0).optional().describe('Only events after this ledger position (a filter; as the cursor of the next page it is deprecated until 0.2.0: use offset)'),
  before: z.number().int().min(0).optional().describe('Only events before this ledger position (a filter; as the cursor of the next page it is deprecated until 0.2.0: use offset)'),
  types: z.array(eventType).max(50).optional(),
  dataContains: z.record(z.string(), jsonValue).optional(),
});

const bound = z.object({ acknowledgedPosition: z.number().int(), sealedThrough: z.number().int(), writtenAt: z.string().nullable() });
const verification = z.object({
  ok: z.boolean(),
  from: z.number().int(),
  to: z.number().int(),
  checked: z.number().int(),
  headPosition: z.number().int(),
  headHash: z.string(),
  firstBrokenPosition: z.number().int().nullable(),
  reason: z.string().nullable(),
  sealsChecked: z.number().int(),
  scope: z.object({ from: z.number().int(), to: z.number().int(), whole: z.boolean() }),
  sealedThrough: z.number().int(),
  unsealedEvents: z.number().int(),
  witness: bound.nullable(),
  sealArchive: bound.nullable(),
  signerKeyId: z.string(),
  latestSeal: z
    .object({ position: z.number().int(), fromPosition: z.number().int(), toPosition: z.number().int(), headHash: z.string(), merkleRoot: z.string(), keyId: z.string(), sealedAt: z.string() })
    .nullable(),
});

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  const { runtime } = app;
  // Audit pages are JSON text built from plain events' texts kept here (audit-page-text.ts).
  const eventTexts = new AuditEventTexts();

  app.get('/api/v1/audit/logs', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['audit'],
      summary: 'Ledger events filtered by stream, type, actor and time, in position order, paged by offset',
      description: disclosed,
      querystring: logsQuery,
      response: { 200: auditPageSchema, ...problems },
    },
  }, async (request, reply) => {
    const { type, ...rest } = request.query;
    return sendJsonText(reply, await searchLedgerText(runtime, { ...rest, types: type }, personalDataViewOf(principalOf(request)), eventTexts));
  });

  app.post('/api/v1/audit/search', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['audit'],
      summary: 'Search the ledger: several types, JSON containment on event data, time range',
      description: disclosed,
      body: searchBody,
      response: { 200: auditPageSchema, ...problems },
    },
  }, async (request, reply) => {
    const { dataContains, ...rest } = request.body;
    const view = personalDataViewOf(principalOf(request));
    // Containment matches the stored form: on a classified field it would confirm guesses about hidden values.
    const queried = dataContains ? classifiedFieldsQueried(runtime.catalogue, dataContains as JsonObject) : [];
    const errors = (cls: string) => queried.filter((q) => q.fieldClass === cls).map((q) => ({ field: ['body.dataContains', ...q.path].join('.'), message: cls === 'credential' ? 'is a credential field: it cannot be searched' : 'is a personal field: searching it needs the personal-data:read permission' }));
    if (errors('credential').length > 0) throw invalidFields(errors('credential'));
    if (view === 'pseudonymised' && errors('personal').length > 0) throw new HttpProblem(403, 'forbidden', 'Forbidden', errors('personal')[0]!.message, { errors: errors('personal') });
    return sendJsonText(reply, await searchLedgerText(runtime, { ...rest, dataContains: dataContains as Record<string, never> | undefined }, view, eventTexts));
  });

  app.get('/api/v1/audit/verify', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['audit'],
      summary: 'Re-walk the hash chain, check every seal and the tail against the ledger witness; names the first broken position',
      querystring: z.strictObject({ from: position.optional(), to: position.optional() }),
      response: { 200: verification, ...problems },
    },
  }, async (request) => {
    const result = await runtime.store.verify(request.query);
    return { ...result, signerKeyId: keyFingerprint(runtime.keys.verifyKey), latestSeal: await latestSeal(runtime.db.knex) };
  });

  app.get('/api/v1/audit/timeline/:streamId', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['audit'],
      summary: "A stream's events and its replayed state as of a point in time (default: now); the events oldest first unless `order=desc`, paged by offset",
      description: `${disclosed} The state and \`version\` are of the whole stream as of \`asOf\`, on every page; the events are cut into pages after the stream is read, in stream order (ledger position), so pages never repeat or skip an event.`,
      params: z.strictObject({ streamId }),
      querystring: z.strictObject({ asOf: isoTime.optional(), ...pageQuery(100), ...ledgerSortQuery('asc') }),
      response: {
        200: z.object({
          streamId: z.string(),
          asOf: z.string(),
          version: z.number().int(),
          aggregate: z.string().nullable(),
          state: z.unknown().describe("The aggregate's state replayed from the stream's events: its shape is the aggregate's own (its decider's state), one per aggregate kind named in `aggregate`"),
          events: z.array(auditEventSchema),
          ...pageFields,
          disclosure: disclosureSchema,
        }),
        ...problems,
      },
    },
  }, async (request) => {
    const { streamId: id } = request.params;
    const { asOf: at, ...page } = request.query;
    const asOf = at ?? new Date();
    const events = await runtime.store.readStream(id, { asOf });
    if (events.length === 0 && (await runtime.store.readStream(id, { limit: 1 })).length === 0) throw notFound(`stream ${id}`);
    const view = personalDataViewOf(principalOf(request));
    // The state is folded from the disclosed events, so it can hold nothing the events may not show.
    const disclosed = await discloseEvents(events, runtime, view);
    const replayed = replayStream(runtime.catalogue, id, disclosed);
    const { items, ...paging } = streamPage(disclosed, page);
    return {
      streamId: id,
      asOf: asOf.toISOString(),
      version: events.length - 1,
      aggregate: replayed.aggregate,
      state: replayed.state,
      events: items.map(presentEvent),
      ...paging,
      disclosure: disclosureOf(view),
    };
  });
};

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/api/permissions.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

/**
 * Who may call each route, written by hand from what the product should allow (not derived from
 * the routes' own config or src/api/permissions.ts), so a wrong guard fails here.
 * The auditor and the viewer are read-only roles: nothing they call may run an assessment or score
 * a model, since explanations and checks are recorded (an explanation counts as deploy evidence).
 */
const everyone: Role[] = ['admin', 'risk_officer', 'data_scientist', 'auditor', 'viewer'];
const keyHolders: Role[] = ['admin', 'risk_officer', 'data_scientist', 'auditor'];
const builders: Role[] = ['admin', 'data_scientist']; // register and change models, datasets and streams
const approvers: Role[] = ['admin', 'risk_officer'];
const assessors: Role[] = ['admin', 'risk_officer', 'data_scientist']; // run explanations, checks and assessments; score models
const operators: Role[] = ['admin', 'risk_officer', 'auditor']; // health details and metrics
const auditors: Role[] = ['admin', 'auditor'];
const admins: Role[] = ['admin'];
const complianceReaders: Role[] = ['admin', 'risk_officer', 'data_scientist', 'auditor']; // compliance status, packs, incidents
const complianceManagers: Role[] = ['admin', 'risk_officer']; // publish packs and controls, statements of applicability
const incidentReporters: Role[] = ['admin', 'risk_officer', 'data_scientist']; // report, update, close serious incidents
const exporters: Role[] = ['admin', 'risk_officer', 'data_scientist', 'auditor'];
const llmReaders: Role[] = ['admin', 'risk_officer', 'data_scientist', 'auditor']; // configurations (keys masked), providers, usage
const llmManagers: Role[] = ['admin', 'data_scientist']; // create, change, delete, test configurations (spends provider credit)
const chatters: Role[] = ['admin', 'risk_officer', 'data_scientist']; // chat turns are recorded actions; auditors and viewers stay read-only
const documentWriters: Role[] = ['admin', 'data_scientist']; // upload and delete retrieval documents
const evaluationReaders: Role[] = ['admin', 'risk_officer', 'data_scientist', 'auditor']; // evaluations, results, comparisons: evidence auditors read
const evaluationRunners: Role[] = ['admin', 'risk_officer', 'data_scientist']; // create, start, stop: they call providers and spend

const table: Record<string, Role[] | 'public'> = {
  'POST /api/v1/auth/register': 'public',
  'POST /api/v1/auth/verify-email': 'public',
  'POST /api/v1/auth/resend-verification': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/refresh': 'public',
  'POST /api/v1/auth/logout': everyone,
  'GET /api/v1/auth/me': everyone,
  'PUT /api/v1/auth/change-password': everyone,
  'POST /api/v1/auth/forgot-password': 'public',
  'POST /api/v1/auth/reset-password': 'public',
  'POST /api/v1/auth/accept-invitation': 'public', // the mailed one-time token is the credential
  'GET /api/v1/auth/sessions': everyone,
  'DELETE /api/v1/auth/sessions/{id}': everyone,
  'POST /api/v1/auth/api-keys': keyHolders,
  'GET /api/v1/auth/api-keys': keyHolders,
  'DELETE /api/v1/auth/api-keys/{id}': keyHolders,
  'GET /api/v1/auth/sso/providers': 'public',
  'GET /api/v1/auth/sso/{provider}': 'public',
  'GET /api/v1/auth/sso/{provider}/callback': 'public',

  'GET /api/v1/admin/users': admins,
  'POST /api/v1/admin/invitations': admins,
  'PUT /api/v1/admin/users/{id}/role': admins,
  'POST /api/v1/admin/users/{id}/deactivate': admins,
  'POST /api/v1/admin/users/{id}/reactivate': admins,

  'GET /api/v1/models': everyone,
  'POST /api/v1/models': builders,
  'GET /api/v1/models/{id}': everyone,
  'PUT /api/v1/models/{id}': builders,
  'DELETE /api/v1/models/{id}': builders,
  'GET /api/v1/models/{id}/versions': everyone,
  'POST /api/v1/models/{id}/versions': builders,
  'GET /api/v1/models/{id}/versions/{version}': everyone,
  'POST /api/v1/models/{id}/versions/{version}/validate': builders,
  'POST /api/v1/models/{id}/versions/{version}/approve': approvers,
  'POST /api/v1/models/{id}/deploy': builders,
  'POST /api/v1/models/{id}/retire': builders,
  'GET /api/v1/models/{id}/history': everyone,
  'POST /api/v1/models/{id}/predict': assessors,
  'POST /api/v1/models/{id}/outcomes': assessors,
  'GET /api/v1/models/{id}/performance': everyone,
  'GET /api/v1/models/{id}/card': everyone,
  'GET /api/v1/policies/deployment': everyone,
  'PUT /api/v1/policies/deployment': admins,

  'GET /api/v1/explainability/shap/{modelId}': assessors,
  'GET /api/v1/explainability/lime/{modelId}': assessors,
  'GET /api/v1/explainability/feature-importance/{modelId}': assessors,
  'GET /api/v1/explainability/partial-dependence/{modelId}': assessors,
  'POST /api/v1/explainability/shap/{modelId}': assessors,
  'POST /api/v1/explainability/lime/{modelId}': assessors,
  'POST /api/v1/explainability/feature-importance/{modelId}': assessors,
  'POST /api/v1/explainability/partial-dependence/{modelId}': assessors,
  'POST /api/v1/explainability/what-if-analysis': assessors,
  'POST /api/v1/explainability/jobs': assessors,
  'GET /api/v1/explainability/jobs/{id}': everyone,

  'POST /api/v1/datasets/upload': builders,
  'GET /api/v1/datasets': everyone,
  'GET /api/v1/datasets/{id}': everyone,
  'DELETE /api/v1/datasets/{id}': builders,
  'GET /api/v1/datasets/{id}/profile': everyone,
  'GET /api/v1/datasets/{id}/preview': everyone,
  'POST /api/v1/datasets/{id}/validate': assessors,
  'POST /api/v1/data-quality/assess/{datasetId}': assessors,
  'GET /api/v1/data-quality/report/{datasetId}': everyone,
  'GET /api/v1/data-quality/issues/{datasetId}': everyone,
  'POST /api/v1/data-quality/rules': builders,

  'POST /api/v1/drift/detect': assessors,
  'POST /api/v1/drift/schedules': assessors,
  'GET /api/v1/drift/schedules': everyone,
  'DELETE /api/v1/drift/schedules/{id}': assessors,
  'GET /api/v1/drift/reports/{modelId}': everyone,
  'GET /api/v1/drift/alerts': everyone,

  'GET /api/v1/streams': everyone,
  'POST /api/v1/streams': builders,
  'GET /api/v1/streams/{id}': everyone,
  'PUT /api/v1/streams/{id}': builders,
  'DELETE /api/v1/streams/{id}': builders,
  'POST /api/v1/streams/{id}/start': builders,
  'POST /api/v1/streams/{id}/stop': builders,
  'GET /api/v1/streams/{id}/metrics': everyone,
  'POST /api/v1/streams/{id}/ingest': 'public', // HMAC-signed by the source, no bearer token

  'POST /api/v1/fairness/analyze/{modelId}': assessors,
  'POST /api/v1/fairness/detect-bias': assessors,
  'GET /api/v1/fairness/reports/{modelId}': everyone,
  'GET /api/v1/bias/metrics/{modelId}': everyone,
  'POST /api/v1/bias/mitigation/{modelId}': assessors,

  'GET /api/v1/compliance/status': complianceReaders,
  'GET /api/v1/compliance/packs': complianceReaders,
  'POST /api/v1/compliance/packs': complianceManagers,
  'GET /api/v1/compliance/packs/{id}': complianceReaders,
  'POST /api/v1/compliance/packs/{id}/controls': complianceManagers,
  'PUT /api/v1/compliance/packs/{id}/controls/{controlId}/applicability': complianceManagers,
  'POST /api/v1/incidents': incidentReporters,
  'GET /api/v1/incidents': complianceReaders,
  'GET /api/v1/incidents/{id}': complianceReaders,
  'PUT /api/v1/incidents/{id}': incidentReporters,
  'POST /api/v1/incidents/{id}/close': incidentReporters,

  'GET /api/v1/health': 'public',
  'GET /api/v1/health/ready': 'public', // load balancers call it without a token
  'GET /api/v1/artifact-formats': 'public', // documentation, like the OpenAPI document
  'GET /api/v1/artifact-formats/{slug}/schema': 'public',
  'GET /api/v1/health/detailed': operators,
  'GET /metrics': operators,
  'GET /api/v1/metrics/system': operators,
  'GET /api/v1/metrics/application': operators,
  'GET /api/v1/metrics/database': operators,

  'GET /api/v1/audit/logs': auditors,
  'POST /api/v1/audit/search': auditors,
  'GET /api/v1/audit/verify': auditors,
  'GET /api/v1/audit/timeline/{streamId}': auditors,

  // Live channels (docs/real-time.md): each message is filtered again by the caller's permissions.
  'GET /ws/model-updates': everyone,
  'GET /ws/data-streams': everyone,
  'GET /ws/notifications': everyone,
  'GET /ws/real-time': everyone,
  'GET /api/v1/events/stream': everyone,
  'POST /api/v1/realtime/tickets': everyone,
  'GET /api/v1/analytics/real-time/models': everyone,
  'GET /api/v1/analytics/real-time/streams': everyone,
  'GET /api/v1/analytics/real-time/system': operators,
  'POST /api/v1/analytics/subscribe': everyone,
  'POST /api/v1/analytics/unsubscribe': everyone,
  // Someone else's export (the id called here is not the caller's) needs privacy:export; everyone may export their own (tests/api/privacy.test.ts).
  'GET /api/v1/privacy/data-export/{userId}': admins,
  'POST /api/v1/privacy/data-deletion/{userId}': admins,
  // Exports: everyone but the viewer asks for, lists, downloads, deletes and verifies their own;
  // audit-log and timeline exports additionally need audit:read (checked per kind, tested in exports.test.ts).
  'POST /api/v1/export/pdf': exporters,
  'POST /api/v1/export/excel': exporters,
  'POST /api/v1/export/csv': exporters,
  'POST /api/v1/compliance/generate-report': exporters,
  'GET /api/v1/export/jobs': exporters,
  'GET /api/v1/export/jobs/{id}/download': exporters,
  'DELETE /api/v1/export/jobs/{id}': exporters,
  'POST /api/v1/export/verify': exporters,

  // External publishers are service accounts of data scientists (or admins), further limited to the namespaces the registry lists them in.
  'POST /api/v1/events/publish': ['admin', 'data_scientist'],
  // Everyone may subscribe a webhook to their own notifications; other topics need audit:read (checked per topic, webhooks.test.ts).
  'POST /api/v1/events/subscribe/{topic}': everyone,
  'GET /api/v1/events/subscriptions': everyone,
  'GET /api/v1/events/subscriptions/{id}/deliveries': everyone,
  'POST /api/v1/events/subscriptions/{id}/replay': everyone,
  'DELETE /api/v1/events/subscriptions/{id}': everyone,
  // Each user's own notifications.
  'GET /api/v1/notifications': everyone,
  'POST /api/v1/notifications/mark-read/{id}': everyone,
  'DELETE /api/v1/notifications/{id}': everyone,
  'POST /api/v1/notifications/mark-all-read': everyone,
  'GET /api/v1/notifications/preferences': everyone,
  'PUT /api/v1/notifications/preferences': everyone,
  'GET /api/v1/cache/stats': operators,
  'POST /api/v1/cache/clear/{category}': admins,
  'DELETE /api/v1/cache/flush-all': admins,
  'GET /api/v1/llm/providers': llmReaders,
  'GET /api/v1/llm/configurations': llmReaders,
  'POST /api/v1/llm/configurations': llmManagers,
  'PUT /api/v1/llm/configurations/{id}': llmManagers,
  'DELETE /api/v1/llm/configurations/{id}': llmManagers,
  'POST /api/v1/llm/test-configuration': llmManagers,
  'POST /api/v1/chat': chatters,
  'GET /api/v1/chat/sessions': chatters,
  'GET /api/v1/chat/sessions/{id}/history': chatters,
  'DELETE /api/v1/chat/sessions/{id}': chatters,
  'POST /api/v1/chat/clear': chatters,
  // Documents for retrieval: everyone lists and searches (personal documents only with personal-data:read).
  'POST /api/v1/documents/upload': documentWriters,
  'GET /api/v1/documents': everyone,
  'DELETE /api/v1/documents/{id}': documentWriters,
  'POST /api/v1/documents/search': everyone,
  'POST /api/v1/evaluations': evaluationRunners,
  'GET /api/v1/evaluations': evaluationReaders,
  'GET /api/v1/evaluations/{id}': evaluationReaders,
  'POST /api/v1/evaluations/{id}/start': evaluationRunners,
  'POST /api/v1/evaluations/{id}/stop': evaluationRunners,
  'GET /api/v1/evaluations/{id}/results': evaluationReaders,
  'POST /api/v1/evaluations/compare': evaluationReaders,
};

describe('route permissions against a table written by hand', () => {
  let server: TestServer;
  let operations: string[];
  beforeAll(async () => {
    server = await startTestServer('pglite', { RAIA_AUTH_RATE_LIMIT_PER_MINUTE: '100000', RAIA_STREAM_INGEST_RATE_LIMIT_PER_MINUTE: '100000' });
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists every documented operation, and nothing else', () => {
    expect(operations.filter((op) => !(op in table)), 'operations missing from the table').toEqual([]);
    expect(Object.keys(table).filter((op) => !operations.includes(op)), 'table rows naming no operation').toEqual([]);
  });

  it('refuses (403) every role the table leaves out, and lets every role it names past the guard', async () => {
    const refusedWrongly: string[] = [];
    const allowedWrongly: string[] = [];
    for (const [operation, allowed] of Object.entries(table)) {
      const [method, path] = operation.split(' ') as ['GET' | 'POST' | 'PUT' | 'DELETE', string];
      const url = path.replace(/\{version\}/g, '1').replace(/\{provider\}/g, 'nowhere').replace(/\{[^}]+\}/g, '0193f0c2-0000-7000-8000-000000000000');
      const payload = method === 'GET' || method === 'DELETE' ? undefined : {};
      if (allowed === 'public') {
        // Open without a bearer token; a public route may still check its own credential (the ingest
        // route's HMAC signature answers 401 invalid-signature), but never the access guard's 401/403.
        for (const role of [null, ...everyone]) {
          const headers = role ? { authorization: `Bearer ${await server.tokenFor(role)}` } : {};
          const res = await server.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
          const type = res.statusCode === 401 || res.statusCode === 403 ? (res.json() as { type: string }).type : '';
          if (type.endsWith('/unauthenticated') || type.endsWith('/forbidden')) refusedWrongly.push(`${operation} as ${role ?? 'anonymous'}: ${res.statusCode} ${type}`);
        }
        continue;
      }
      for (const role of everyone) {
        // A fresh session per call: logging out or ending sessions must not spoil the next call.
        const res = await server.app.inject({ method, url, headers: { authorization: `Bearer ${await server.tokenFor(role)}` }, ...(payload ? { payload } : {}) });
        const mayCall = allowed.includes(role);
        if (mayCall && (res.statusCode === 401 || res.statusCode === 403)) refusedWrongly.push(`${operation} as ${role}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (!mayCall && res.statusCode !== 403) allowedWrongly.push(`${operation} as ${role}: ${res.statusCode}`);
        if (!mayCall && res.statusCode === 403) expect(res.json().type, `${operation} as ${role}`).toBe('https://raia.dev/problems/forbidden');
      }
    }
    expect(refusedWrongly, 'allowed by the table but refused').toEqual([]);
    expect(allowedWrongly, 'not allowed by the table but let through').toEqual([]);
  });
});

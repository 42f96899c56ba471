/**
 * The one permission table of RAIA (issue: identity). Every route declares the permission it
 * needs in its `config.permission`, or `config.public: true`; the access plugin enforces it.
 */
import { ROLES, type Role } from '../commands/user/roles.js';

export { ROLES, type Role };

export const PERMISSIONS = [
  'self:manage', // own profile, password, sessions
  'system:read', // detailed health, metrics
  'audit:read', // audit log, search, verification, timelines
  'models:read',
  'models:write',
  'models:approve',
  'models:predict', // score with a model, record outcomes
  'policies:manage', // set the deployment policy
  'datasets:read',
  'datasets:write',
  'assessments:run',
  'users:admin', // list users, change roles, deactivate
  'api-keys:manage', // own service-account keys
  'privacy:erase',
  'privacy:export', // another person's data-subject export (everyone may export their own)
  'compliance:read', // compliance status, gap lists, control packs, incidents
  'compliance:manage', // publish control packs and controls, statements of applicability
  'incidents:report', // report, update and close serious incidents (EU AI Act Art. 73)
  'exports:create', // request, list, download and delete one's own export jobs
  'events:publish', // record an external system's events in a namespace it publishes in
  'cache:manage', // clear a cache category, flush the whole cache
  'llm:read', // LLM configurations (keys masked), providers, usage and cost
  'llm:manage', // create, change, delete and test LLM configurations
  'chat:use', // chat with a configuration: own sessions and history
  'documents:read', // list and search the documents retrieval works on
  'documents:write', // upload and delete documents
  // Personal fields (e-mail, name, IP, personal dataset columns) in clear; without it they read as pseudonyms.
  'personal-data:read',
  'evaluations:read', // evaluations, their results per item and aggregates, comparisons
  'evaluations:run', // create, start and stop evaluations (they call LLM providers and spend)
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const all = [...PERMISSIONS];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: all,
  // Approves deployments (four eyes); audit access stays with auditors and admins.
  risk_officer: [
    'self:manage', 'system:read', 'models:read', 'models:approve', 'models:predict', 'datasets:read', 'assessments:run', 'api-keys:manage',
    'compliance:read', 'compliance:manage', 'incidents:report', 'exports:create', 'llm:read', 'chat:use', 'documents:read',
    'evaluations:read', 'evaluations:run',
  ],
  data_scientist: [
    'self:manage', 'models:read', 'models:write', 'models:predict', 'datasets:read', 'datasets:write', 'assessments:run', 'api-keys:manage',
    'compliance:read', 'incidents:report', 'exports:create', 'events:publish', 'llm:read', 'llm:manage', 'chat:use', 'documents:read', 'documents:write',
    'evaluations:read', 'evaluations:run',
  ],
  // Read-only, with full audit access (and keys, so audit exports can be automated).
  auditor: ['self:manage', 'system:read', 'audit:read', 'models:read', 'datasets:read', 'api-keys:manage', 'compliance:read', 'exports:create', 'llm:read', 'documents:read', 'evaluations:read'],
  viewer: ['self:manage', 'models:read', 'datasets:read', 'documents:read'],
};

export const roleHas = (role: Role, permission: Permission) => rolePermissions[role].includes(permission);

/** Roles lacking a permission: the test that calls every route with an insufficient role uses it. */
export const rolesWithout = (permission: Permission): Role[] => ROLES.filter((r) => !roleHas(r, permission));

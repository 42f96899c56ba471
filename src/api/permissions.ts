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
  // Personal fields (e-mail, name, IP, personal dataset columns) in clear; without it they read as pseudonyms.
  'personal-data:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const all = [...PERMISSIONS];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: all,
  // Approves deployments (four eyes); audit access stays with auditors and admins.
  risk_officer: ['self:manage', 'system:read', 'models:read', 'models:approve', 'models:predict', 'datasets:read', 'assessments:run', 'api-keys:manage'],
  data_scientist: ['self:manage', 'models:read', 'models:write', 'models:predict', 'datasets:read', 'datasets:write', 'assessments:run', 'api-keys:manage'],
  // Read-only, with full audit access (and keys, so audit exports can be automated).
  auditor: ['self:manage', 'system:read', 'audit:read', 'models:read', 'datasets:read', 'api-keys:manage'],
  viewer: ['self:manage', 'models:read', 'datasets:read'],
};

export const roleHas = (role: Role, permission: Permission) => rolePermissions[role].includes(permission);

/** Roles lacking a permission: the test that calls every route with an insufficient role uses it. */
export const rolesWithout = (permission: Permission): Role[] => ROLES.filter((r) => !roleHas(r, permission));

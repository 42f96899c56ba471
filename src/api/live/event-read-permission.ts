import type { Principal } from '../auth/access-control.js';
import { roleHas, type Permission } from '../permissions.js';

/**
 * The permission a caller needs to receive a ledger event live, by its type's category: the same
 * permission that reads the event's subject over HTTP (models, datasets, compliance). Accounts,
 * privacy requests, exports, seals and any category not listed here are audit material: only
 * `audit:read` sees them (default deny).
 */
const categoryPermission: Record<string, Permission> = {
  model: 'models:read',
  policy: 'models:read',
  explanation: 'models:read',
  fairness: 'models:read',
  dataset: 'datasets:read',
  quality: 'datasets:read',
  drift: 'datasets:read',
  stream: 'datasets:read',
  compliance: 'compliance:read',
  incident: 'compliance:read',
};

export function eventReadPermission(type: string): Permission {
  return categoryPermission[type.slice(0, type.indexOf('.'))] ?? 'audit:read';
}

/** What the access guard checks for a route, for any permission: the role has it and, through an API key, the key was granted it. */
export function principalMay(principal: Principal, permission: Permission): boolean {
  return roleHas(principal.role, permission) && (principal.kind !== 'api-key' || principal.permissions.includes(permission));
}

/** A predicate on event types for one principal, memoised per type (few types, many events). */
export function eventTypeReader(principal: Principal): (type: string) => boolean {
  const known = new Map<string, boolean>();
  return (type) => {
    let may = known.get(type);
    if (may === undefined) known.set(type, (may = principalMay(principal, eventReadPermission(type))));
    return may;
  };
}

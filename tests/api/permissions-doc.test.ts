import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, rolePermissions } from '../../src/api/permissions.js';

describe('docs/security.md', () => {
  it('states the permission table of src/api/permissions.ts, role by role', () => {
    const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    const lines = doc.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| permission |'));
    expect(lines[header]!.split('|').slice(2, -1).map((c) => c.trim())).toEqual([...ROLES]);
    const rows = lines.slice(header + 2).filter((l) => l.startsWith('| `')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    const documented = Object.fromEntries(ROLES.map((role, i) => [role, rows.filter((r) => r[i + 1] === '✓').map((r) => r[0]!.replaceAll('`', '')).sort()]));
    expect(rows.map((r) => r[0]!.replaceAll('`', ''))).toEqual([...PERMISSIONS]);
    expect(documented).toEqual(Object.fromEntries(ROLES.map((role) => [role, [...rolePermissions[role]].sort()])));
  });
});

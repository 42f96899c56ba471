/** The roles of RAIA (ARCHITECTURE.md, API conventions); the permission table maps each to what it may do. */
export const ROLES = ['admin', 'risk_officer', 'data_scientist', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

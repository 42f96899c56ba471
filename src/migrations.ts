import { ledgerMigrations } from './events/postgres/ledger-schema.js';
import type { Migration } from './platform/migrations.js';

/** Every schema change of the relational database, from every module that owns tables. */
export const allMigrations: Migration[] = [...ledgerMigrations];

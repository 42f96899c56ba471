import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPGLite from 'knex-pglite';
import pg from 'pg';

export type { Knex };

export type DatabaseDialect = 'postgres' | 'pglite';

/**
 * One relational database for the ledger (by default) and the read models.
 * PostgreSQL through a pg pool, or embedded PGlite (one connection; knex's single-connection
 * pool serialises every transaction, which is the in-process mutex PGlite needs).
 */
export type Database = {
  dialect: DatabaseDialect;
  knex: Knex;
  schema: string;
  /** Calls `onMessage` for every NOTIFY on `channel` from any process; returns an unlisten function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

// int8 (bigint) and numeric come back as strings by default; positions fit in a double (2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export type DatabaseOptions =
  | { url: string; schema?: string; poolSize?: number }
  | { pglite: PGlite; schema?: string }
  | { pgliteDir: string; schema?: string };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const schema = options.schema ?? 'public';
  if ('url' in options) return openPostgres(options.url, schema, options.poolSize ?? 10);
  let pglite: PGlite;
  if ('pglite' in options) pglite = options.pglite;
  else {
    mkdirSync(options.pgliteDir, { recursive: true });
    pglite = new PGlite(join(options.pgliteDir));
  }
  return openPglite(pglite, schema);
}

async function openPostgres(url: string, schema: string, poolSize: number): Promise<Database> {
  if (schema !== 'public') {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    } finally {
      await admin.end();
    }
  }
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    searchPath: [schema],
    pool: { min: 0, max: poolSize },
  });
  const listeners: pg.Client[] = [];
  return {
    dialect: 'postgres',
    knex,
    schema,
    async listen(channel, onMessage) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      client.on('notification', (msg) => {
        if (msg.channel === channel) onMessage(msg.payload ?? '');
      });
      // A listener connection that drops must not crash the process; pollers still make progress.
      client.on('error', () => undefined);
      await client.query(`LISTEN ${quoteIdent(channel)}`);
      listeners.push(client);
      return async () => {
        listeners.splice(listeners.indexOf(client), 1);
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      await Promise.all(listeners.splice(0).map((c) => c.end().catch(() => undefined)));
      await knex.destroy();
    },
  };
}

async function openPglite(pglite: PGlite, schema: string): Promise<Database> {
  await pglite.waitReady;
  if (schema !== 'public') await pglite.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  const knex = knexFactory({
    client: ClientPGLite as unknown as typeof knexFactory.Client,
    connection: { pglite } as unknown as Knex.StaticConnectionConfig,
    searchPath: [schema],
  });
  return {
    dialect: 'pglite',
    knex,
    schema,
    async listen(channel, onMessage) {
      return pglite.listen(channel, onMessage);
    },
    async close() {
      await knex.destroy();
    },
  };
}

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import knexFactory, { type Knex } from 'knex';
import ClientPGLite from 'knex-pglite';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PostgresCopyScript } from './postgres-copy-script.js';
import { lockDataDirectory, type DataDirectoryLock } from './data-directory-lock.js';

export type { Knex };

export type DatabaseDialect = 'postgres' | 'pglite';

/** Runs a script of statements; returns each statement's rows, in order. */
export type RunScript = (sql: string) => Promise<Record<string, unknown>[][]>;
/**
 * Runs a script of statements holding one `COPY <table> (<columns>) FROM STDIN`, with `rows` as its
 * input: text in COPY's text format (tab-separated fields, `\N` for null, one row per line), or
 * bytes in the format the COPY names (`(FORMAT binary)`: copy-binary-format.ts). The whole script is
 * one round trip; its statements' rows are not returned.
 */
export type RunCopyScript = (sql: string, rows: string | Uint8Array) => Promise<void>;

/**
 * A text value as an SQL literal, dollar-quoted with a tag the text cannot contain, so neither
 * quotes nor backslashes (nor `standard_conforming_strings`) matter.
 */
export function sqlText(value: string): string {
  let tag = 'q';
  while (value.includes(`$${tag}$`)) tag += 'q';
  return `$${tag}$${value}$${tag}$`;
}

/**
 * One relational database for the ledger (by default) and the read models.
 * PostgreSQL through a pg pool, or embedded PGlite (one connection; knex's single-connection
 * pool serialises every transaction, which is the in-process mutex PGlite needs).
 */
export type Database = {
  dialect: DatabaseDialect;
  knex: Knex;
  schema: string;
  /**
   * Runs `work` on one connection of its own with the simple query protocol: a script of several
   * statements (no bind parameters; see `sqlText`) costs one round trip. Used where round trips
   * dominate, such as the ledger's append transaction.
   */
  withScriptConnection<T>(work: (run: RunScript, runCopy: RunCopyScript) => Promise<T>): Promise<T>;
  /**
   * Runs one query (`$1`… placeholders) and answers its rows as arrays of column text, untouched by
   * type parsers (cast every column to text in the query): for bulk readers that pass values on as
   * text, such as exports, where building typed rows costs more than the database's own work.
   * `prepared`: kept as a named statement on each connection (PostgreSQL), for a large query run page
   * after page whose planning would otherwise cost as much as running it.
   */
  queryTextRows(sql: string, values: readonly unknown[], options?: { prepared?: boolean }): Promise<(string | null)[][]>;
  /**
   * Runs `COPY (…) TO STDOUT …` (no bind parameters: values go in as literals, see `sqlText`) on a
   * connection of its own and yields its output as PostgreSQL sends it, in chunks of whatever
   * arrived, under backpressure (pg-copy-streams strips the protocol's per-row framing; rows never
   * become strings). Stopping early closes that connection. PostgreSQL only: PGlite has no
   * streaming COPY TO STDOUT (its COPY TO writes a blob after the whole statement), so it has none.
   * `settings`: planner settings for this statement alone (`SET LOCAL` in a transaction around it).
   */
  copyOut?(sql: string, options?: { settings?: Record<string, string> }): AsyncIterable<Buffer>;
  /** Calls `onMessage` for every NOTIFY on `channel` from any process; returns an unlisten function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

// int8 (bigint) and numeric come back as strings by default; positions fit in a double (2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Every column as the server sent it, as text. */
const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export type DatabaseOptions =
  | { url: string; schema?: string; poolSize?: number }
  | { pglite: PGlite; schema?: string }
  | { pgliteDir: string; schema?: string };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const schema = options.schema ?? 'public';
  if ('url' in options) return openPostgres(options.url, schema, options.poolSize ?? 10);
  if ('pglite' in options) return openPglite(options.pglite, schema, null);
  mkdirSync(options.pgliteDir, { recursive: true });
  // PGlite is one process's database: a second process opening the directory corrupts it.
  // `<dir>.lock` (beside, not inside, PGlite's own files) refuses it, naming the holder.
  const lock = lockDataDirectory(options.pgliteDir, `${options.pgliteDir.replace(/\/+$/, '')}.lock`);
  try {
    // pgvector ships with PGlite as an extension package: loaded here, created by the documents capability.
    return await openPglite(new PGlite(options.pgliteDir, { extensions: { vector } }), schema, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
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
    async withScriptConnection(work) {
      const connection = (await knex.client.acquireConnection()) as pg.Client;
      try {
        return await work(
          async (sql) => {
            const result = (await connection.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
            return (Array.isArray(result) ? result : [result]).map((r) => r.rows as Record<string, unknown>[]);
          },
          (sql, rows) => connection.query(new PostgresCopyScript(sql, rows)).done,
        );
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
    async queryTextRows(sql, values, options = {}) {
      const connection = (await knex.client.acquireConnection()) as pg.Client;
      try {
        // Named by its text: one name never stands for two statements on a connection.
        const name = options.prepared ? `raia_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}` : undefined;
        return (await connection.query<(string | null)[]>({ text: sql, values: [...values], rowMode: 'array', types: RAW_TEXT, ...(name ? { name } : {}) })).rows;
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
    async *copyOut(sql, options = {}) {
      const settings = Object.entries(options.settings ?? {});
      for (const [name, value] of settings) if (!/^[a-z_]+$/.test(name) || !/^[A-Za-z0-9_.]+$/.test(value)) throw new Error(`not a setting: ${name} = ${value}`);
      const connection = (await knex.client.acquireConnection()) as pg.Client & { __knex__disposed?: unknown };
      let complete = false;
      try {
        if (settings.length > 0) await connection.query(`BEGIN; ${settings.map(([name, value]) => `SET LOCAL ${name} = ${value}`).join('; ')}`);
        for await (const chunk of connection.query(copyTo(sql))) yield chunk as Buffer;
        if (settings.length > 0) await connection.query('COMMIT');
        complete = true;
      } finally {
        if (!complete) {
          // Left in the middle of a COPY (or of its transaction), the connection cannot serve another
          // query: closed, and marked so the pool destroys it instead of handing it out again (knex's own mark).
          connection.__knex__disposed = 'COPY TO STDOUT left unfinished';
          await connection.end().catch(() => undefined);
        }
        await knex.client.releaseConnection(connection);
      }
    },
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

async function openPglite(pglite: PGlite, schema: string, lock: DataDirectoryLock | null): Promise<Database> {
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
    async withScriptConnection(work) {
      // knex's pool of one hands out the PGlite instance itself: holding it is the in-process mutex.
      const connection = (await knex.client.acquireConnection()) as PGlite;
      try {
        return await work(
          async (sql) => (await connection.exec(sql)).map((r) => r.rows as Record<string, unknown>[]),
          async (sql, rows) => {
            // PGlite reads a COPY's input from the blob given with the query, named /dev/blob.
            await connection.exec(sql.replace(/\bFROM STDIN\b/, "FROM '/dev/blob'"), { blob: new Blob([rows]) });
          },
        );
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
    async queryTextRows(sql, values) {
      const connection = (await knex.client.acquireConnection()) as PGlite;
      try {
        return (await connection.query<(string | null)[]>(sql, [...values], { rowMode: 'array' })).rows;
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
    async listen(channel, onMessage) {
      return pglite.listen(channel, onMessage);
    },
    async close() {
      // knex-pglite closes the PGlite instance with its one connection; the lock goes once it has.
      try {
        await knex.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { Knex } from './database.js';
import type { Migration } from './migrations.js';
import { newToken, tokenDigest } from './secure-token.js';

const SESSIONS = 'raia_sessions';
const REFRESH_TOKENS = 'raia_refresh_tokens';
/** NOTIFY channel of revocations, so every process drops what it remembers (`session:<id>` or `user:<id>`). */
export const SESSION_REVOCATIONS_CHANNEL = 'raia_session_revocations';
/** How long an active answer is trusted without asking the database: the bound if a notification is ever lost. */
const ACTIVE_CACHE_MS = 5000;
const ACTIVE_CACHE_MAX = 10_000;

export const sessionStoreMigrations: Migration[] = [
  {
    name: '0006_sessions',
    async up(knex) {
      // Operational security state, outside the ledger: tokens are rotated on every use.
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${SESSIONS} (
        session_id     uuid PRIMARY KEY,
        user_id        text NOT NULL,
        user_agent     text,
        created_at     timestamptz NOT NULL DEFAULT now(),
        last_used_at   timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        revoked_at     timestamptz,
        revoked_reason text
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_sessions_user_idx ON ${SESSIONS} (user_id)`);
      // A refresh token is stored as its SHA-256 digest; each session is one token family.
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${REFRESH_TOKENS} (
        digest     text PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES ${SESSIONS}(session_id) ON DELETE CASCADE,
        issued_at  timestamptz NOT NULL DEFAULT now(),
        used_at    timestamptz
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_refresh_tokens_session_idx ON ${REFRESH_TOKENS} (session_id)`);
    },
  },
];

/** A session as its owner's data export shows it, revoked ones included; never a token or digest. */
export type SessionRecord = SessionInfo & { revokedAt: string | null; revokedReason: string | null };

export type SessionInfo = { sessionId: string; userId: string; userAgent: string | null; createdAt: string; lastUsedAt: string; expiresAt: string };

export type RotationResult =
  | { status: 'rotated'; sessionId: string; userId: string; refreshToken: string }
  /** A rotated token came back: someone holds a copy. The whole family (session) is now revoked. */
  | { status: 'reused'; sessionId: string; userId: string }
  | { status: 'invalid' };

/** The fields a list of sessions may be sorted by, and the column behind each. */
export const SESSION_SORT_COLUMNS = { createdAt: 'created_at', lastUsedAt: 'last_used_at', expiresAt: 'expires_at' } as const;
export type SessionPageRequest = { limit: number; offset: number; sort: keyof typeof SESSION_SORT_COLUMNS; order: 'asc' | 'desc' };

const sessionInfoOf = (r: Record<string, unknown>): SessionInfo => ({
  sessionId: r.session_id as string,
  userId: r.user_id as string,
  userAgent: (r.user_agent as string | null) ?? null,
  createdAt: new Date(r.created_at as string).toISOString(),
  lastUsedAt: new Date(r.last_used_at as string).toISOString(),
  expiresAt: new Date(r.expires_at as string).toISOString(),
});

/**
 * Sessions and their rotating refresh tokens (OAuth 2.0 Security BCP: refresh token rotation with
 * reuse detection). Only digests are stored; a token is shown to its owner exactly once.
 */
export class SessionStore {
  /**
   * Sessions recently found active (every authenticated request asks): until `until` (at most
   * ACTIVE_CACHE_MS, never past the session's expiry). Revocations here evict at once; revocations
   * by another process arrive by NOTIFY (`forgetRevoked`), with the time bound as the backstop.
   */
  private readonly active = new Map<string, { userId: string; until: number }>();

  constructor(
    private readonly knex: Knex,
    private readonly ttlMs: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(userId: string, userAgent: string | null, sessionId: string = randomUUID()): Promise<{ sessionId: string; refreshToken: string }> {
    const refreshToken = newToken();
    const now = this.clock();
    await this.knex.transaction(async (trx) => {
      await trx(SESSIONS).insert({ session_id: sessionId, user_id: userId, user_agent: userAgent?.slice(0, 300) ?? null, created_at: now, last_used_at: now, expires_at: new Date(now.getTime() + this.ttlMs) });
      await trx(REFRESH_TOKENS).insert({ digest: tokenDigest(refreshToken), session_id: sessionId, issued_at: now });
    });
    return { sessionId, refreshToken };
  }

  /** Exchanges a refresh token for a new one; a second use of the same token revokes the session. */
  async rotate(refreshToken: string): Promise<RotationResult> {
    const now = this.clock();
    return this.knex.transaction(async (trx) => {
      const row = await trx(REFRESH_TOKENS)
        .join(SESSIONS, `${SESSIONS}.session_id`, `${REFRESH_TOKENS}.session_id`)
        .select(`${REFRESH_TOKENS}.used_at`, `${SESSIONS}.session_id`, `${SESSIONS}.user_id`, `${SESSIONS}.expires_at`, `${SESSIONS}.revoked_at`)
        .where(`${REFRESH_TOKENS}.digest`, tokenDigest(refreshToken))
        .forUpdate()
        .first();
      if (!row || row.revoked_at || new Date(row.expires_at) <= now) return { status: 'invalid' } as const;
      if (row.used_at) {
        await this.revokeWhere(`session:${row.session_id as string}`, (q) => q.where('session_id', row.session_id), 'refresh-token-reuse', trx);
        return { status: 'reused', sessionId: row.session_id, userId: row.user_id } as const;
      }
      const next = newToken();
      await trx(REFRESH_TOKENS).where('digest', tokenDigest(refreshToken)).update({ used_at: now });
      await trx(REFRESH_TOKENS).insert({ digest: tokenDigest(next), session_id: row.session_id, issued_at: now });
      await trx(SESSIONS).where('session_id', row.session_id).update({ last_used_at: now });
      return { status: 'rotated', sessionId: row.session_id, userId: row.user_id, refreshToken: next } as const;
    });
  }

  async isActive(sessionId: string): Promise<boolean> {
    const now = this.clock().getTime();
    const cached = this.active.get(sessionId);
    if (cached && cached.until > now) return true;
    this.active.delete(sessionId);
    const row = await this.knex(SESSIONS).select('user_id', 'revoked_at', 'expires_at').where('session_id', sessionId).first();
    const expiresAt = row ? new Date(row.expires_at).getTime() : 0;
    if (!row || row.revoked_at || expiresAt <= now) return false;
    if (this.active.size >= ACTIVE_CACHE_MAX) this.active.delete(this.active.keys().next().value!);
    this.active.set(sessionId, { userId: row.user_id, until: Math.min(expiresAt, now + ACTIVE_CACHE_MS) });
    return true;
  }

  /** A revocation announced on SESSION_REVOCATIONS_CHANNEL (by any process): forgets what it covers. */
  forgetRevoked(announcement: string): void {
    if (announcement.startsWith('session:')) this.active.delete(announcement.slice('session:'.length));
    else if (announcement.startsWith('user:')) {
      const userId = announcement.slice('user:'.length);
      for (const [id, entry] of this.active) if (entry.userId === userId) this.active.delete(id);
    }
  }

  /** Revokes in a transaction that announces it: the NOTIFY goes out with the commit. */
  private async revokeWhere(announcement: string, where: (q: Knex.QueryBuilder) => Knex.QueryBuilder, reason: string, trx?: Knex.Transaction): Promise<number> {
    const run = async (t: Knex.Transaction) => {
      const n = await where(t(SESSIONS)).whereNull('revoked_at').update({ revoked_at: this.clock(), revoked_reason: reason });
      if (n > 0) await t.raw('SELECT pg_notify(?, ?)', [SESSION_REVOCATIONS_CHANNEL, announcement]);
      return n;
    };
    const n = trx ? await run(trx) : await this.knex.transaction(run);
    this.forgetRevoked(announcement);
    return n;
  }

  async sessionOf(refreshToken: string): Promise<{ sessionId: string; userId: string } | null> {
    const row = await this.knex(REFRESH_TOKENS)
      .join(SESSIONS, `${SESSIONS}.session_id`, `${REFRESH_TOKENS}.session_id`)
      .select(`${SESSIONS}.session_id`, `${SESSIONS}.user_id`)
      .where(`${REFRESH_TOKENS}.digest`, tokenDigest(refreshToken))
      .first();
    return row ? { sessionId: row.session_id, userId: row.user_id } : null;
  }

  async revoke(sessionId: string, reason: string): Promise<boolean> {
    return (await this.revokeWhere(`session:${sessionId}`, (q) => q.where('session_id', sessionId), reason)) > 0;
  }

  async revokeAll(userId: string, reason: string): Promise<number> {
    return this.revokeWhere(`user:${userId}`, (q) => q.where('user_id', userId), reason);
  }

  async list(userId: string): Promise<SessionInfo[]> {
    const rows = await this.activeOf(userId).orderBy('created_at', 'desc').orderBy('session_id', 'desc');
    return rows.map(sessionInfoOf);
  }

  /**
   * One page of the user's active sessions ordered by a column of SESSION_SORT_COLUMNS, ties by
   * session id in the same direction (so offset pages never repeat or skip one), and how many there are.
   */
  async page(userId: string, page: SessionPageRequest): Promise<{ sessions: SessionInfo[]; total: number }> {
    const direction = page.order === 'asc' ? 'asc' : 'desc';
    const [rows, counted] = (await Promise.all([
      this.activeOf(userId).orderBy(SESSION_SORT_COLUMNS[page.sort], direction).orderBy('session_id', direction).limit(page.limit).offset(page.offset),
      this.activeOf(userId).count({ count: '*' }),
    ])) as [Record<string, unknown>[], [{ count: string | number }]];
    return { sessions: rows.map(sessionInfoOf), total: Number(counted[0].count) };
  }

  private activeOf(userId: string) {
    return this.knex(SESSIONS).where('user_id', userId).whereNull('revoked_at').where('expires_at', '>', this.clock());
  }

  /** Every session the user ever had, newest first (a data-subject export). */
  async history(userId: string): Promise<SessionRecord[]> {
    const rows = await this.knex(SESSIONS).where('user_id', userId).orderBy('created_at', 'desc').orderBy('session_id');
    return rows.map((r) => ({
      sessionId: r.session_id,
      userId: r.user_id,
      userAgent: r.user_agent,
      createdAt: new Date(r.created_at).toISOString(),
      lastUsedAt: new Date(r.last_used_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
      revokedReason: r.revoked_reason ?? null,
    }));
  }

  /** Erasure: the user agents of the user's sessions are personal data; the sessions themselves stay (revoked) as security records. */
  async forgetUserAgents(userId: string): Promise<number> {
    return this.knex(SESSIONS).where('user_id', userId).whereNotNull('user_agent').update({ user_agent: null });
  }
}

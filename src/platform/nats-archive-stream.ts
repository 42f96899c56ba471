import { RetentionPolicy, StorageType, connect, type StreamConfig } from 'nats';

export type NatsArchiveStreamOptions = {
  url: string;
  /** The archive stream's name, e.g. `RAIA_LEDGER_SEALS`. */
  name: string;
  /** The stream it copies from (the bus stream, e.g. `RAIA_EVENTS`). */
  source: string;
  /** The subject it keeps, e.g. `raia.events.ledger.sealed`. */
  filterSubject: string;
};

/**
 * Creates (or completes) a JetStream stream that copies one subject out of another stream and keeps
 * it: no age or size limit, and the server refuses to delete or purge its messages (`deny_delete`,
 * `deny_purge`), so trimming or purging the bus stream leaves this copy intact. Only deleting the
 * whole stream removes it, which a NATS account separate from the database's operators can forbid.
 */
export async function ensureNatsArchiveStream(options: NatsArchiveStreamOptions): Promise<void> {
  const nc = await connect({ servers: options.url, name: `raia-archive-${options.name}` });
  try {
    const jsm = await nc.jetstreamManager();
    const source = { name: options.source, filter_subject: options.filterSubject };
    const existing = await jsm.streams.info(options.name).catch((error: unknown) => {
      const e = error as { code?: string; api_error?: { code?: number } } | null;
      if (e?.code === '404' || e?.api_error?.code === 404) return null;
      throw error;
    });
    if (!existing) {
      const config: Partial<StreamConfig> = { name: options.name, sources: [source], retention: RetentionPolicy.Limits, storage: StorageType.File, deny_delete: true, deny_purge: true };
      await jsm.streams.add(config);
      return;
    }
    const sources = existing.config.sources ?? [];
    if (!sources.some((s) => s.name === source.name && s.filter_subject === source.filter_subject)) {
      await jsm.streams.update(options.name, { ...existing.config, sources: [...sources, source] });
    }
  } finally {
    await nc.close();
  }
}

/**
 * Export jobs whose files hold a data subject's personal data in clear (`export.completed` names
 * its `subjects`). Erasure purges them: a rendered file would otherwise outlive the destroyed key.
 */
export type ExportsForSubject = {
  find(subjectId: string): Promise<{ id: string }[]>;
  /** Deletes the export's file and records why; purging one already purged changes nothing. */
  purge(exportId: string, reason: string): Promise<void>;
};

/**
 * No export jobs to consult. Stands in until the export jobs (processors/exports) are wired: the
 * composition root replaces it with one reading their `export_jobs` read model.
 */
export const noExportsForSubject: ExportsForSubject = {
  find: async () => [],
  purge: async () => undefined,
};

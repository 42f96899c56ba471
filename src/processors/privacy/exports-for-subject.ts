/**
 * Export jobs whose files hold a data subject's personal data in clear (`export.completed` names
 * its `subjects`). Erasure purges them: a rendered file would otherwise outlive the destroyed key.
 */
export type ExportsForSubject = {
  find(subjectId: string): Promise<{ id: string }[]>;
  /** Deletes the export's file and records why; purging one already purged changes nothing. */
  purge(exportId: string, reason: string): Promise<void>;
};

import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { canonicalJson } from '../../events/canonical-json.js';
import type { evaluationItemSchema } from '../../events/catalogue/evaluation.events.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import type { Knex } from '../../platform/database.js';
import { openTabularReader } from '../../platform/tabular/tabular-reader.js';
import type { TabularValue } from '../../platform/tabular/tabular-reader.types.js';
import { findDataset, findDatasetVersion } from '../../projections/dataset-catalog.projection.js';
import { InvalidLlmInput } from '../llm/llm-errors.js';

export type EvaluationItem = z.infer<typeof evaluationItemSchema>;

/** Which dataset column holds each part of an item; `group` names the columns of group attributes. */
export type ColumnMapping = {
  question: string;
  referenceAnswer?: string;
  referenceContexts?: string;
  relevantDocumentIds?: string;
  group?: string[];
};

export type InlineItem = { question: string; referenceAnswer?: string | null; referenceContexts?: string[]; relevantDocumentIds?: string[]; group?: Record<string, string> };

/** Most items an evaluation takes: they are recorded in its creation event. */
export const MAX_ITEMS = 20_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** SHA-256 of the items' canonical JSON: what `itemsSha256` in a receipt is checked against. */
export const itemsSha256 = (items: readonly EvaluationItem[]) => sha256(canonicalJson(items)!);

export function inlineItems(items: readonly InlineItem[]): EvaluationItem[] {
  return items.map((i) => ({ question: i.question, referenceAnswer: i.referenceAnswer ?? null, referenceContexts: i.referenceContexts ?? [], relevantDocumentIds: i.relevantDocumentIds ?? [], group: i.group ?? {} }));
}

// A sealed personal cell (dataset-files.ts): never copied into an evaluation's events.
const SEALED_TEXT = /^\{"\$pii":"v1",/;

/** A list cell: a JSON array of strings as text (CSV), or one string as a one-element list. */
function listOf(value: TabularValue): string[] {
  if (value === null || value === '') return [];
  const text = String(value);
  if (text.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON: the text itself is the one element
    }
  }
  return [text];
}

/**
 * The items of a registered dataset version through a column mapping. Every problem (unknown
 * dataset, version or column, a personal column, too many rows) is a 400 naming the field.
 */
export async function datasetItems(deps: { knex: Knex; blobs: BlobStorage }, source: { datasetId: string; version?: number; mapping: ColumnMapping }): Promise<{ items: EvaluationItem[]; datasetVersion: number; contentHash: string }> {
  const dataset = await findDataset(deps.knex, source.datasetId);
  if (!dataset || dataset.latestVersion === null) throw new InvalidLlmInput([{ field: 'body.dataset.datasetId', message: `dataset ${source.datasetId} does not exist or has no version` }]);
  const version = source.version ?? dataset.latestVersion;
  const record = await findDatasetVersion(deps.knex, source.datasetId, version);
  if (!record) throw new InvalidLlmInput([{ field: 'body.dataset.version', message: `dataset ${source.datasetId} has no version ${version}` }]);
  if (record.rowCount > MAX_ITEMS) throw new InvalidLlmInput([{ field: 'body.dataset.datasetId', message: `the dataset has ${record.rowCount} rows; an evaluation takes at most ${MAX_ITEMS}` }]);
  const m = source.mapping;
  const wanted: [string, string][] = [
    ['question', m.question],
    ...(m.referenceAnswer ? [['referenceAnswer', m.referenceAnswer] as [string, string]] : []),
    ...(m.referenceContexts ? [['referenceContexts', m.referenceContexts] as [string, string]] : []),
    ...(m.relevantDocumentIds ? [['relevantDocumentIds', m.relevantDocumentIds] as [string, string]] : []),
    ...(m.group ?? []).map((g, i): [string, string] => [`group.${i}`, g]),
  ];
  const reader = await openTabularReader(await deps.blobs.localPath(record.sha256), { format: record.format, batchRows: 1000 });
  const problems: { field: string; message: string }[] = [];
  const at = new Map<string, number>();
  for (const [part, column] of wanted) {
    const index = reader.columns.indexOf(column);
    if (index < 0) problems.push({ field: `body.dataset.mapping.${part}`, message: `the dataset has no column ${column} (columns: ${reader.columns.join(', ')})` });
    at.set(part, index);
  }
  if (problems.length > 0) {
    await reader.close();
    throw new InvalidLlmInput(problems);
  }
  const items: EvaluationItem[] = [];
  const cell = (row: TabularValue[], part: string) => row[at.get(part)!] ?? null;
  for await (const batch of reader.batches()) {
    for (const [offset, row] of batch.rows.entries()) {
      for (const [part, column] of wanted) {
        const v = cell(row, part);
        if (typeof v === 'string' && SEALED_TEXT.test(v)) {
          await reader.close();
          throw new InvalidLlmInput([{ field: `body.dataset.mapping.${part}`, message: `column ${column} holds personal data, which is never copied into an evaluation` }]);
        }
      }
      const question = cell(row, 'question');
      if (question === null || String(question).trim() === '') {
        await reader.close();
        throw new InvalidLlmInput([{ field: 'body.dataset.mapping.question', message: `row ${batch.rowOffset + offset + 1} has an empty question` }]);
      }
      const reference = m.referenceAnswer ? cell(row, 'referenceAnswer') : null;
      items.push({
        question: String(question),
        referenceAnswer: reference === null ? null : String(reference),
        referenceContexts: m.referenceContexts ? listOf(cell(row, 'referenceContexts')) : [],
        relevantDocumentIds: m.relevantDocumentIds ? listOf(cell(row, 'relevantDocumentIds')) : [],
        group: Object.fromEntries((m.group ?? []).map((g, i) => [g, String(cell(row, `group.${i}`) ?? '')])),
      });
    }
  }
  if (items.length === 0) throw new InvalidLlmInput([{ field: 'body.dataset.datasetId', message: 'the dataset has no rows' }]);
  return { items, datasetVersion: version, contentHash: record.sha256 };
}

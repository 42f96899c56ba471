import type { ExportDocument, TableRow } from '../../../../src/processors/exports/export-document.js';

/**
 * A realistic compliance report as a builder would produce it: a cover, seven sections, a
 * 200-row assessment table, two charts, long strings, names outside Latin-1 and an empty table.
 */
export const COVER_FACTS = {
  model: 'credit-default-scorer',
  version: 'v7 (7f3c2a9e)',
  pack: 'eu-ai-act@2.1.0',
  head: '84211 / 9c1e0b7d55f3a4e2b6c8d9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e',
  seal: '2026-12-01T09:30:00.000Z',
  owner: 'Zoë Ødegård 名前',
};

export const ASSESSMENT_ROWS = 200;

export function assessmentRows(n = ASSESSMENT_ROWS): TableRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `assessment-${String(i + 1).padStart(3, '0')}`,
    metric: i % 3 === 0 ? 'demographic parity difference' : i % 3 === 1 ? 'equalized odds difference' : 'disparate impact ratio',
    group: ['age < 25', 'age 25-60', 'age > 60', 'female', 'male'][i % 5]!,
    value: Math.round(((i * 37) % 100) * 10) / 1000,
    passed: i % 7 !== 0,
    at: new Date(Date.UTC(2026, 10, 1 + (i % 28), 12, 0, 0)),
  }));
}

const LONG =
  'The model was validated on a hold-out set drawn from the same period as training; the reviewers noted that the ' +
  'calibration of the positive class degrades for applicants with thin credit files, which the mitigation plan addresses. ';

async function* streamed(rows: TableRow[]): AsyncIterable<TableRow> {
  for (const row of rows) yield row;
}

const barChart = (title: string) => ({
  kind: 'chart' as const,
  title,
  spec: {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: [{ group: 'age < 25', rate: 0.31 }, { group: 'age 25-60', rate: 0.42 }, { group: 'age > 60', rate: 0.38 }, { group: '名前', rate: 0.4 }] },
    mark: 'bar',
    encoding: { x: { field: 'group', type: 'nominal', title: 'Group' }, y: { field: 'rate', type: 'quantitative', title: 'Selection rate' } },
  },
});

const lineChart = (title: string) => ({
  kind: 'chart' as const,
  title,
  spec: {
    data: { values: Array.from({ length: 30 }, (_, d) => ({ day: d + 1, psi: Math.round(Math.abs(Math.sin(d / 4)) * 250) / 1000 })) },
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'day', type: 'quantitative', title: 'Day' }, y: { field: 'psi', type: 'quantitative', title: 'Population stability index' } },
  },
});

export function reportDocument(options: { title?: string; streamedRows?: boolean } = {}): ExportDocument {
  const rows = assessmentRows();
  return {
    kind: 'compliance-report',
    title: options.title ?? 'Annex IV technical documentation: credit-default-scorer v7',
    cover: [
      { label: 'Model', value: COVER_FACTS.model },
      { label: 'Version', value: COVER_FACTS.version },
      { label: 'Control pack', value: COVER_FACTS.pack },
      { label: 'Ledger head', value: COVER_FACTS.head },
      { label: 'Latest seal', value: new Date(COVER_FACTS.seal) },
      { label: 'Owner', value: COVER_FACTS.owner },
    ],
    sections: [
      {
        heading: 'General description',
        blocks: [
          { kind: 'paragraph', text: LONG.repeat(6) },
          { kind: 'facts', facts: [{ label: 'Intended purpose', value: 'Estimate the probability of default of consumer credit applicants.' }, { label: 'Risk tier', value: 'high' }, { label: 'Deployed', value: true }] },
        ],
      },
      {
        heading: 'Development and data',
        blocks: [
          {
            kind: 'table',
            name: 'Datasets',
            columns: [{ key: 'name', label: 'Dataset' }, { key: 'sha256', label: 'SHA-256' }, { key: 'rows', label: 'Rows', type: 'integer' }],
            rows: [
              { name: 'applications-2025', sha256: 'a3f1c9e07b2d4f6a8c0e1b3d5f7092a4c6e8f0b1d3e5f7a9c1b3d5e7f9a1c3e5', rows: 1284733 },
              { name: 'Zoë Ødegård 名前 — an exceedingly long dataset description that has to wrap over several lines in its cell', sha256: '0'.repeat(64), rows: 0 },
            ],
          },
        ],
      },
      {
        heading: 'Validation and metrics',
        blocks: [
          {
            kind: 'table',
            name: 'Fairness assessments',
            columns: [
              { key: 'id', label: 'Assessment' },
              { key: 'metric', label: 'Metric' },
              { key: 'group', label: 'Group' },
              { key: 'value', label: 'Value', type: 'number' },
              { key: 'passed', label: 'Passed', type: 'boolean' },
              { key: 'at', label: 'Assessed at', type: 'date' },
            ],
            rows: options.streamedRows ? streamed(rows) : rows,
          },
        ],
      },
      { heading: 'Fairness', blocks: [barChart('Selection rate by group'), { kind: 'paragraph', text: 'Intervals are 95% bootstrap intervals.' }] },
      { heading: 'Post-market monitoring', blocks: [lineChart('Drift of the income feature')] },
      {
        heading: 'Incidents',
        blocks: [{ kind: 'table', name: 'Serious incidents', columns: [{ key: 'id', label: 'Incident' }, { key: 'deadline', label: 'Deadline', type: 'date' }], rows: [] }],
      },
      { heading: 'Gap list', blocks: [{ kind: 'paragraph', text: 'No fairness assessment on the training dataset "applications-2025"; approval older than 12 months.' }] },
    ],
    evidence: [],
    subjects: [],
  };
}

/**
 * A long report: `sections` sections, each a paragraph, a 25-row table and, for the first
 * `charts`, a chart; one paragraph of several pages without a line break. About 60 pages at 40
 * sections. The benchmark renders it; a test checks its contents pages and page flow.
 */
export function longReportDocument(sections = 40, charts = 10): ExportDocument {
  const base = reportDocument();
  const rows = assessmentRows(25);
  const table = base.sections[2]!.blocks[0]! as Extract<ExportDocument['sections'][number]['blocks'][number], { kind: 'table' }>;
  return {
    ...base,
    title: 'Annex IV technical documentation: a model with 50 assessments',
    sections: [
      { heading: 'A paragraph of several pages', blocks: [{ kind: 'paragraph', text: Array.from({ length: 600 }, (_, i) => `word${i + 1}`).join(' ') + ' ' + LONG.repeat(30) }] },
      ...Array.from({ length: sections }, (_, s) => ({
        heading: `Assessment ${s + 1}: ${s % 2 === 0 ? 'fairness of the credit decision by age group' : 'drift of the applicant population'}`,
        blocks: [
          { kind: 'paragraph' as const, text: LONG },
          { ...table, name: `Metrics of assessment ${s + 1}`, rows },
          ...(s < charts ? [s % 2 === 0 ? barChart(`Selection rate, assessment ${s + 1}`) : lineChart(`Drift, assessment ${s + 1}`)] : []),
        ],
      })),
    ],
  };
}

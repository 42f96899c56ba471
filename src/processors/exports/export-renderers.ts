import { csvBundleRenderer } from './csv-bundle-renderer.js';
import type { ExportFormat, ExportRenderer } from './export-document.js';
import { xlsxRenderer } from './xlsx-renderer.js';

/**
 * Renderers by format. The PDF renderer is added where it is built (helper "pdf"): until then a
 * PDF job fails with a reason saying so, and the verifier cannot read PDFs.
 */
export function exportRenderers(extra: ExportRenderer[] = []): Map<ExportFormat, ExportRenderer> {
  return new Map<ExportFormat, ExportRenderer>([csvBundleRenderer, xlsxRenderer, ...extra].map((r) => [r.format, r]));
}

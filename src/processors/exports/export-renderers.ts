import { csvBundleRenderer } from './csv-bundle-renderer.js';
import type { ExportFormat, ExportRenderer } from './export-document.js';
import { pdfExportRenderer } from './pdf/pdf-export-renderer.js';
import { xlsxRenderer } from './xlsx-renderer.js';

/** Renderers by format: the exporter renders with them, the verifier reads their files back. */
export function exportRenderers(): Map<ExportFormat, ExportRenderer> {
  return new Map<ExportFormat, ExportRenderer>([csvBundleRenderer, xlsxRenderer, pdfExportRenderer].map((r) => [r.format, r]));
}

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exportRenderers } from './processors/exports/export-renderers.js';
import { verifyExportFile, type VerificationReport } from './processors/exports/export-verification.js';

/**
 * `npm run verify-export -- <file> [--trust <keyId>]… [--json]`: verifies a downloaded export (CSV
 * bundle, XLSX; PDF once its renderer is in the build) with nothing but the file: no server, no
 * database. Exit code 0 when every check holds, 1 when something was tampered with or does not
 * verify (each problem is named), 2 on a usage error.
 */
function readable(file: string, r: VerificationReport): string {
  const lines = [`${r.ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${file}`];
  if (r.exportId) lines.push(`  export ${r.exportId} (${r.kind}, ${r.format}), generated ${r.generatedAt}`);
  if (r.ledgerHead) lines.push(`  ledger head ${r.ledgerHead.position} ${r.ledgerHead.hash}`);
  if (r.signerKeyId) lines.push(`  signed by key ${r.signerKeyId}`);
  lines.push(`  ${r.eventsChecked} event(s), ${r.contentsChecked} content part(s) checked`);
  for (const p of r.passed) lines.push(`  ok    ${p}`);
  for (const p of r.problems) lines.push(`  FAIL  ${p}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { trust: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } } });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const [file, ...rest] = parsed.positionals;
  if (!file || rest.length > 0) {
    console.error('usage: npm run verify-export -- <file> [--trust <keyId>]... [--json]');
    return 2;
  }
  if (!existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 2;
  }
  const trust = parsed.values.trust?.length ? new Set(parsed.values.trust) : undefined;
  const report = await verifyExportFile(file, exportRenderers(), trust ? { trustedKeyIds: trust } : {});
  console.log(parsed.values.json ? JSON.stringify(report, null, 2) : readable(file, report));
  return report.ok ? 0 : 1;
}

process.exitCode = await main();

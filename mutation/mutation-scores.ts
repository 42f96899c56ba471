/**
 * Prints one JSON line: the mutation score (%) of each folder, read from its committed report.
 * The score is Stryker's own (mutation-testing-metrics): killed and timed-out mutants over all
 * valid ones, survivors and uncovered mutants counting against it. A folder measured in parts
 * (`events/core`, `events/postgres`…) is also scored whole (`events`, `analytics`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { calculateMetrics } from 'mutation-testing-metrics';
import { MUTATION_MODULES, reportFileOf } from './mutation-modules.js';

export function mutationScores(): Record<string, number | null> {
  const scores: Record<string, number | null> = {};
  const filesOf = new Map<string, ReportFiles>();
  for (const { name } of MUTATION_MODULES) {
    const file = reportFileOf(name);
    if (!existsSync(file)) {
      scores[name] = null; // not measured yet
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8')) as { files: ReportFiles };
    filesOf.set(name, report.files);
    scores[name] = scoreOf(report.files);
  }
  // A folder run in parts (src/events: core, postgres, catalogue) is also scored whole, over the
  // union of its parts' mutants: the issue's 90 % is src/events' score, not an average of its parts'.
  for (const whole of new Set(MUTATION_MODULES.map((m) => m.name).filter((n) => n.includes('/')).map((n) => n.slice(0, n.indexOf('/'))))) {
    const parts = MUTATION_MODULES.filter((m) => m.name.startsWith(`${whole}/`)).map((m) => filesOf.get(m.name));
    scores[whole] = parts.every((p) => p !== undefined) ? scoreOf(Object.assign({}, ...parts) as ReportFiles) : null;
  }
  return scores;
}

type ReportFiles = Parameters<typeof calculateMetrics>[0];

function scoreOf(files: ReportFiles): number | null {
  const score = calculateMetrics(files).metrics.mutationScore;
  return Number.isNaN(score) ? null : Math.round(score * 10) / 10;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(mutationScores()));

/**
 * Prints one JSON line: the mutation score (%) of each folder, read from its committed report.
 * The score is Stryker's own (mutation-testing-metrics): killed and timed-out mutants over all
 * valid ones, survivors and uncovered mutants counting against it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { calculateMetrics } from 'mutation-testing-metrics';
import { MUTATION_MODULES, reportFileOf } from './mutation-modules.js';

export function mutationScores(): Record<string, number | null> {
  const scores: Record<string, number | null> = {};
  for (const { name } of MUTATION_MODULES) {
    const file = reportFileOf(name);
    if (!existsSync(file)) {
      scores[name] = null; // not measured yet
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8')) as { files: Parameters<typeof calculateMetrics>[0] };
    const score = calculateMetrics(report.files).metrics.mutationScore;
    scores[name] = Number.isNaN(score) ? null : Math.round(score * 10) / 10;
  }
  return scores;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(mutationScores()));

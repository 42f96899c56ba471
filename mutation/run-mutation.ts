/**
 * `npm run test:mutation [-- folder...]`: mutation testing with StrykerJS, one folder after the
 * other (mutation-modules.ts), each incremental against its committed report, then one last
 * line with every folder's score. Not part of `npm test`: a full run takes hours on 2 cores.
 */
import { Stryker } from '@stryker-mutator/core';
import { selectModules, reportFileOf, type MutationModule } from './mutation-modules.js';
import { mutationScores } from './mutation-scores.js';

const CONCURRENCY = Number(process.env.MUTATION_CONCURRENCY ?? 2);

async function run(module: MutationModule): Promise<void> {
  const slug = module.name.replace(/\//g, '-');
  const stryker = new Stryker({
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'vitest.config.ts', related: true },
    coverageAnalysis: 'perTest',
    // Static mutants left out are reported as Ignored, outside the score (TESTING.md).
    ignoreStatic: !module.staticMutants,
    mutate: module.mutate,
    testFiles: module.testFiles,
    concurrency: CONCURRENCY,
    // Beyond 3 × the covering tests' own time. Generous where static mutants run: such a mutant
    // reloads the test environment and re-runs every test file of its folder, servers included, and
    // under load a short limit counted those slow runs as "timed out" (detected) when nothing hung.
    // Elsewhere 30 s: a mutant that loops (a loop bound flipped) waits out the whole limit, and at
    // 90 s those waits were most of a numeric folder's run.
    timeoutMS: Number(process.env.MUTATION_TIMEOUT_MS ?? (module.staticMutants ? 90_000 : 30_000)),
    timeoutFactor: 3,
    dryRunTimeoutMinutes: 15,
    incremental: true,
    incrementalFile: reportFileOf(module.name),
    // Only `force` re-runs everything; a normal run re-tests what changed since the report.
    force: process.env.MUTATION_FORCE === '1',
    reporters: ['progress', 'clear-text', 'html'],
    htmlReporter: { fileName: `reports/mutation/html/${slug}.html` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    tempDirName: '.stryker-tmp',
    ignorePatterns: ['data', 'coverage', 'reports', 'test-results.json'],
    cleanTempDir: true,
  });
  await stryker.runMutationTest();
}

const modules = selectModules(process.argv.slice(2));
for (const module of modules) {
  console.log(`\n=== mutation testing ${module.name} (${module.mutate.join(', ')})`);
  await run(module);
}
console.log(JSON.stringify(mutationScores()));

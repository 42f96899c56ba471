/**
 * `npm run test:mutation [-- folder...]`: mutation testing with StrykerJS, one folder after the
 * other (mutation-modules.ts), each incremental against its committed report, then one last
 * line with every folder's score. Not part of `npm test`: a full run takes hours on 2 cores.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { selectModules, reportFileOf, type MutationModule } from './mutation-modules.js';
import { mutationScores } from './mutation-scores.js';
import { applyStaticMutantActivationFix } from './static-mutant-activation-fix.js';

const CONCURRENCY = Number(process.env.MUTATION_CONCURRENCY ?? 2);

/**
 * `MUTATION_ONLY=<file>[,<file>…]`: mutate only these files of the folder (a folder too slow for
 * one sitting runs in parts; `<file>:<from>-<to>` for some of a file's lines, merged with the file's
 * other mutants already in the report). The part runs against a copy of the folder's report and its files'
 * results are merged back, so the report keeps every other file's results (Stryker writes a
 * report of what it mutated only).
 */
const ONLY = (process.env.MUTATION_ONLY ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');

/**
 * `MUTATION_TESTS=<pattern>[,<pattern>…]`: only these of the folder's test files may kill its
 * mutants (e.g. a folder's own fast tests, without the HTTP tests that start a server for every
 * mutant). The score is then a lower bound: the tests left out could only kill more.
 */
const TESTS = (process.env.MUTATION_TESTS ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');

async function run(module: MutationModule): Promise<void> {
  if (ONLY.length === 0) return runStryker(module, module.mutate, reportFileOf(module.name));
  // A pattern's fixed part (before its first `*`) is the folder it covers.
  const within = (file: string) => module.mutate.some((pattern) => file.startsWith(pattern.includes('*') ? pattern.slice(0, pattern.indexOf('*')) : pattern));
  const outside = ONLY.filter((f) => !within(f));
  if (outside.length > 0) throw new Error(`MUTATION_ONLY names files outside ${module.name}: ${outside.join(', ')}`);
  const report = reportFileOf(module.name);
  const part = `${report.replace(/\.json$/, '')}.part.json`;
  if (existsSync(report)) copyFileSync(report, part);
  await runStryker(module, ONLY, part);
  mergeReportPart(report, part, ONLY);
  rmSync(part, { force: true });
}

/** Puts the part's results for `files` (and its test files) into the folder's report, keeping the rest. */
function mergeReportPart(report: string, part: string, files: string[]): void {
  const done = JSON.parse(readFileSync(part, 'utf8')) as Report;
  const merged: Report = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as Report) : { ...done, files: {}, testFiles: {} };
  for (const file of files) {
    const range = /^(.*):(\d+)(?::\d+)?-(\d+)(?::\d+)?$/.exec(file);
    const name = range ? range[1]! : file;
    const fresh = done.files[name];
    if (!fresh) continue;
    const before = merged.files[name];
    // A line range (`file.ts:1-300`, Stryker's syntax) is reported under the file's name with that
    // range's mutants and whichever others the incremental report let Stryker carry over: the file's
    // other mutants are kept from the report, so parts of one file add up, as long as its source is
    // unchanged (otherwise their lines no longer say where they are). The part's result wins.
    if (range && before && before.source === fresh.source) {
      const from = Number(range[2]);
      const to = Number(range[3]);
      const reported = new Set(fresh.mutants.map(mutantKey));
      const outside = before.mutants.filter((m) => (m.location.start.line < from || m.location.start.line > to) && !reported.has(mutantKey(m)));
      merged.files[name] = { ...fresh, mutants: [...outside, ...fresh.mutants] };
    } else {
      if (range && before) console.log(`${name} changed since its report: only lines ${range[2]}-${range[3]} are reported now`);
      merged.files[name] = fresh;
    }
  }
  merged.testFiles = { ...merged.testFiles, ...done.testFiles };
  // Laid out as Stryker writes its reports (two-space indent), so the committed file diffs by mutant.
  writeFileSync(report, JSON.stringify(merged, null, 2));
}

type ReportedMutant = { id: string; mutatorName: string; replacement?: string; location: { start: { line: number; column: number }; end: { line: number; column: number } } };
/** A mutant's identity across runs (Stryker's ids are per run). */
const mutantKey = ({ location: { start, end }, mutatorName, replacement }: ReportedMutant) =>
  `${start.line}:${start.column}-${end.line}:${end.column} ${mutatorName} ${replacement ?? ''}`;
type ReportedFile = { source: string; mutants: ReportedMutant[] };
type Report = { files: Record<string, ReportedFile>; testFiles?: Record<string, unknown> };

async function runStryker(module: MutationModule, mutate: string[], incrementalFile: string): Promise<void> {
  const slug = module.name.replace(/\//g, '-');
  // Imported here, not at the top: the static-mutant fix below patches Stryker's planner on disk, and
  // a module loaded before that keeps the unpatched code for the whole run (on a fresh install the
  // first run's static mutants all survived so: 14 of the first 17 of permissions.ts, 2026-12-07).
  const { Stryker } = await import('@stryker-mutator/core');
  const stryker = new Stryker({
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'vitest.config.ts', related: true },
    coverageAnalysis: 'perTest',
    // Static mutants left out are reported as Ignored, outside the score (TESTING.md).
    ignoreStatic: !module.staticMutants,
    mutate,
    testFiles: TESTS.length > 0 ? TESTS : module.testFiles,
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
    incrementalFile,
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
if (modules.some((m) => m.staticMutants)) console.log(`static mutants: activation fix (stryker-js #6144) ${applyStaticMutantActivationFix()}`);
for (const module of modules) {
  console.log(`\n=== mutation testing ${module.name} (${module.mutate.join(', ')})`);
  await run(module);
}
console.log(JSON.stringify(mutationScores()));

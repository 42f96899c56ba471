/**
 * StrykerJS 9.6.1 (and 10.0.0) schedules a static mutant (module-level code) for runtime activation
 * whenever a test filter exists, and `testFiles` always makes one: the vitest runner then activates
 * the mutant after its module was imported, so a static mutant is reported "survived" however
 * firmly the tests reject it (stryker-js issues #6144 and #6209). The proposed fix (stryker-js PR
 * #6145, not released) activates before module load exactly when the planner already decided the
 * mutant cannot be hot-swapped. This applies that one-line fix to the installed planner before a
 * run; a no-op once an installed version has it, and an error if the code around it changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const BUGGY = "mutantActivation: testFilter ? 'runtime' : 'static',";
const FIXED = "mutantActivation: canHotSwap ? 'runtime' : 'static',";

export function applyStaticMutantActivationFix(): 'applied' | 'already fixed' {
  const core = dirname(createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json'));
  const planner = join(core, 'dist', 'src', 'mutants', 'mutant-test-planner.js');
  const source = readFileSync(planner, 'utf8');
  if (source.includes(FIXED)) return 'already fixed';
  if (!source.includes(BUGGY) || !source.includes('const canHotSwap = !!testFilter && isStatic === false;')) {
    throw new Error(`${planner} no longer has the code this fix expects: check whether the installed StrykerJS fixed issue #6144, then remove mutation/static-mutant-activation-fix.ts`);
  }
  writeFileSync(planner, source.replace(BUGGY, FIXED));
  return 'applied';
}

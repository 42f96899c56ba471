// `npm run build` [out dir, default dist]: compiles src/ with tsconfig.build.json and copies the
// files src/ reads at run time (worker bootstrap, password list) beside the compiled modules.
// In a production install (npm ci --omit=dev) there is no compiler: an existing build is kept, so
// `npm run create-admin` and `npm run migrate` also work inside the image.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outDir = resolve(process.argv[2] ?? join(root, 'dist'));

let tsc;
try {
  tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  if (existsSync(join(outDir, 'main.js'))) {
    console.log(`TypeScript is not installed (production install): using the existing build in ${outDir}`);
    process.exit(0);
  }
  console.error('TypeScript is not installed and there is no build: run `npm ci` (with dev dependencies), then `npm run build`');
  process.exit(1);
}

execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')], { stdio: 'inherit' });
cpSync(join(root, 'src'), outDir, { recursive: true, filter: (path) => !path.endsWith('.ts') });

// Worker threads start from this plain module, then import the worker's real entry point (given as
// its compiled `.js` URL). Built (dist/), that file exists. Run from source (tsx, vitest), only the
// `.ts` exists: tsx's loader is registered in the worker first. tsx is a development dependency,
// so it is imported only then.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';

let entry = workerData.entry;
if (!existsSync(fileURLToPath(entry))) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = entry.replace(/\.js$/, '.ts');
}
await import(entry);

// Worker threads run TypeScript modules as the main thread does (through tsx): this plain module
// registers tsx's loader in the worker, then imports the worker's real entry point.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

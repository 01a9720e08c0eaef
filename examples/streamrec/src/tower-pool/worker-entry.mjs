// Worker threads start without the parent's TypeScript loader when the parent runs under vitest
// (vite-node transpiles in process), so the worker registers tsx itself before loading the job code.
import { register } from 'tsx/esm/api';

register();
await import('./train-job.ts');

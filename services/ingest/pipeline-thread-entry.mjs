// Entry of a pipeline thread (see pipeline-threads.ts). A worker thread does not inherit the
// TypeScript loader its parent was started with, so it registers tsx itself, whichever way the
// parent runs (the gatewatch CLI, node --import tsx, the test runner).
import { register } from 'tsx/esm/api';

register();
await import('./pipeline-thread.ts');

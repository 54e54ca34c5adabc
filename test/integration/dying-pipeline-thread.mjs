// A pipeline thread that exits when a chunk holds the record "die-now": how the tests make a
// pipeline thread fail the way a crash would, mid-chunk.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
parentPort.on('message', (m) => {
  if (m.chunk && Buffer.from(m.chunk.data).includes('die-now')) process.exit(7);
});
await import('../../services/ingest/pipeline-thread.ts');

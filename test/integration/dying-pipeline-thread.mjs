// A pipeline thread that can be made to fail the way a crash would, mid-chunk:
// - a chunk holding the record "die-now" makes it exit, every time;
// - a chunk holding "die-once" makes it exit if the file named by GW_DIE_ONCE_FILE does not
//   exist yet (it is created first), so the restarted thread goes on;
// - with GW_FAIL_INIT set, it reports that its pipeline could not be built.
import { existsSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
parentPort.on('message', (m) => {
  if (!m.chunk) return;
  const data = Buffer.from(m.chunk.data);
  if (data.includes('die-now')) process.exit(7);
  const flag = process.env.GW_DIE_ONCE_FILE;
  if (flag && data.includes('die-once') && !existsSync(flag)) {
    writeFileSync(flag, 'died\n');
    process.exit(9);
  }
});
if (process.env.GW_FAIL_INIT) parentPort.postMessage({ initError: 'init failure (injected)' });
else await import('../../services/ingest/pipeline-thread.ts');

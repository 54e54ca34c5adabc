/** `gatewatch start` / `npm start`: every role (ingest, detect, API) in one process, on the embedded default unless configured otherwise. */
import type { Config } from '../../schemas/config-schema.js';
import { startApiRole } from '../api/api-role.js';
import { startIngestRole } from '../ingest/ingest-role.js';
import { startDetectRole } from '../detect/detect-role.js';
import { closeOnSignals, openRuntime, type Runtime } from '../shared/runtime.js';

export async function startAll(config: Config, opts: { signals?: boolean } = {}): Promise<Runtime> {
  const rt = await openRuntime(config, { role: 'start' });
  if (opts.signals ?? true) closeOnSignals(rt);
  try {
    const ingest = await startIngestRole(rt, { runWorker: true });
    const detect = startDetectRole(rt);
    await startApiRole(rt, ingest.gateway, ingest.worker, detect.runner);
  } catch (err) {
    await rt.close();
    throw err;
  }
  return rt;
}

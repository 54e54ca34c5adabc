/** `gatewatch start` / `npm start`: every role (ingest, detect, API) in one process, on the embedded default unless configured otherwise. */
import type { Config } from '../../schemas/config-schema.js';
import { startApiRole } from '../api/api-role.js';
import { startIngestRole } from '../ingest/ingest-role.js';
import { startDetectRole } from '../detect/detect-role.js';
import { startNotifyRole } from '../notify/notify-role.js';
import { closeOnSignals, openRuntime, type Runtime } from '../shared/runtime.js';
import type { IngestGateway } from '../ingest/ingest-gateway.js';
import type { DetectionRunner } from '../detect/detection-runner.js';

export interface AllRoles {
  rt: Runtime;
  ingest: IngestGateway;
  detect: DetectionRunner;
}

export async function startAll(config: Config, opts: { signals?: boolean } = {}): Promise<AllRoles> {
  const rt = await openRuntime(config, { role: 'start' });
  if (opts.signals ?? true) closeOnSignals(rt);
  try {
    const ingest = await startIngestRole(rt, { runWorker: true });
    const detect = startDetectRole(rt);
    startNotifyRole(rt);
    await startApiRole(rt, ingest.gateway, ingest.worker, detect.runner);
    return { rt, ingest: ingest.gateway, detect: detect.runner };
  } catch (err) {
    await rt.close();
    throw err;
  }
}

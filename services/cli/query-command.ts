/** `gatewatch query "SQL"`: read-only SQL, printed in the requested ClickHouse output format. */
import type { Config } from '../../schemas/config-schema.js';
import { OUTPUT_FORMATS, splitFormat } from '../api/routes/query-routes.js';
import { openRuntime } from '../shared/runtime.js';
import { createLogger } from '../shared/logger.js';
import { callServer, findLocalServer } from './local-server.js';

export async function queryCommand(config: Config, rawSql: string, opts: { format?: string }): Promise<void> {
  const { sql, format: inline } = splitFormat(rawSql);
  const format = opts.format ?? inline ?? (process.stdout.isTTY ? 'PrettyCompact' : 'TSV');
  if (!OUTPUT_FORMATS[format]) throw new Error(`unsupported output format ${format}; use one of ${Object.keys(OUTPUT_FORMATS).join(', ')}`);
  const server = config.clickhouse.url ? undefined : findLocalServer(config.dataDir);
  if (server) {
    const res = await callServer(server, '/v1/query', { method: 'POST', body: JSON.stringify({ sql, format }), headers: { 'content-type': 'application/json' } });
    const body = await res.text();
    if (!res.ok) {
      let message = body;
      try {
        message = (JSON.parse(body) as { error?: string }).error ?? body;
      } catch {
        /* not JSON */
      }
      throw new Error(message);
    }
    process.stdout.write(body);
    return;
  }
  const rt = await openRuntime(config, { role: 'cli', log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { pretty: false, redaction: config.redaction }) });
  try {
    const stream = await rt.store.readOnly(`${sql}\nFORMAT ${format}`);
    for await (const chunk of stream) process.stdout.write(chunk as Buffer);
  } finally {
    await rt.close();
  }
}

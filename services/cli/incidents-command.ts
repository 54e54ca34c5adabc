/**
 * `gatewatch incidents [--json] [--status S] [--limit N]`: incidents newest first;
 * `gatewatch incidents show ID`: one incident with its alerts and trail;
 * `gatewatch incidents ack|resolve|reopen|unsilence ID [--comment TEXT]`;
 * `gatewatch incidents silence ID [--duration MIN] [--comment TEXT]`.
 * Through a running server when one holds the store (as its CLI key), else on the store
 * directly (the trail names the actor `cli`).
 */
import type { Config } from '../../schemas/config-schema.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { createClickHouseAlertStore } from '../storage/clickhouse-alert-store.js';
import { createIncidentStore, type IncidentAction, type IncidentEvent, type IncidentStatus, type IncidentView } from '../storage/incident-store.js';
import { createLogger } from '../shared/logger.js';
import { openRuntime } from '../shared/runtime.js';
import { callServer, findLocalServer } from './local-server.js';

type Detailed = { incident: IncidentView; alerts: Alert[]; events: IncidentEvent[] };

async function withStore<T>(config: Config, fn: (s: ReturnType<typeof createIncidentStore>) => Promise<T>): Promise<T> {
  const rt = await openRuntime(config, { role: 'cli', log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { pretty: false, redaction: config.redaction }) });
  try {
    return await fn(createIncidentStore(rt.store, createClickHouseAlertStore(rt.store)));
  } finally {
    await rt.close();
  }
}

async function viaServer<T>(config: Config, path: string, init: { method: string; body?: string }): Promise<T | undefined> {
  const server = config.clickhouse.url ? undefined : findLocalServer(config.dataDir);
  if (!server) return undefined;
  const res = await callServer(server, path, { ...init, ...(init.body ? { headers: { 'content-type': 'application/json' } } : {}) });
  if (!res.ok) throw new Error(`the server refused: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const line = (i: IncidentView) => `${i.last_seen}  ${i.severity.padEnd(8)} ${i.status.padEnd(12)} ${i.id}${i.silenced_until ? ` (silenced until ${i.silenced_until})` : ''}  ${i.alerts_count} alert${i.alerts_count === 1 ? '' : 's'} (${i.detectors.join(', ')})\n    ${i.title}\n`;

export async function incidentsCommand(config: Config, opts: { json?: boolean; status?: IncidentStatus; limit: number }, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  const q = new URLSearchParams({ limit: String(opts.limit), ...(opts.status ? { status: opts.status } : {}) });
  const incidents = (await viaServer<{ incidents: IncidentView[] }>(config, `/v1/incidents?${q}`, { method: 'GET' }))?.incidents ?? (await withStore(config, (s) => s.list({ limit: opts.limit, ...(opts.status ? { status: opts.status } : {}) })));
  if (opts.json) return out(JSON.stringify(incidents, null, 2) + '\n');
  if (!incidents.length) return out('no incidents\n');
  for (const i of incidents) out(line(i));
}

export async function incidentShowCommand(config: Config, id: string, opts: { json?: boolean }, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  let d = await viaServer<Detailed>(config, `/v1/incidents/${encodeURIComponent(id)}`, { method: 'GET' });
  if (!d) {
    const found = await withStore(config, (s) => s.get(id));
    if (!found) throw new Error(`no incident ${id}`);
    const { alerts, events, ...incident } = found;
    d = { incident, alerts, events };
  }
  if (opts.json) return out(JSON.stringify(d, null, 2) + '\n');
  out(line(d.incident));
  out(`  entities: ${d.incident.keys.join(', ')}\n  OWASP: ${d.incident.owasp.join(', ')}\n  alerts:\n`);
  for (const a of [...d.alerts].sort((x, y) => Date.parse(x.first_seen) - Date.parse(y.first_seen))) out(`    ${a.first_seen}  ${a.severity.padEnd(8)} ${a.detector.padEnd(24)} ${a.entity.type}:${a.entity.value}\n      ${a.summary}\n`);
  if (d.events.length) {
    out('  trail:\n');
    for (const e of d.events) out(`    ${e.at}  ${e.actor} ${e.action}: ${e.from_status} → ${e.to_status}${e.until ? ` until ${e.until}` : ''}${e.comment ? ` (${e.comment})` : ''}\n`);
  }
}

export async function incidentTransitionCommand(config: Config, action: IncidentAction, id: string, opts: { comment?: string; duration?: number }, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  const silence = action === 'silence' ? { duration_min: opts.duration ?? 60 } : {};
  const body = JSON.stringify({ comment: opts.comment ?? '', ...silence });
  let r = await viaServer<{ incident: IncidentView; alerts_changed: number }>(config, `/v1/incidents/${encodeURIComponent(id)}/${action}`, { method: 'POST', body });
  if (!r) {
    const untilMs = action === 'silence' ? Date.now() + (opts.duration ?? 60) * 60_000 : undefined;
    const done = await withStore(config, (s) => s.transition(id, action, 'cli', opts.comment ?? '', untilMs ? { untilMs } : {}));
    if (!done.ok) throw new Error(done.message);
    r = { incident: done.incident, alerts_changed: done.alertsChanged };
  }
  const { incident } = r;
  const silenced = incident.silenced_until ? `, silenced until ${incident.silenced_until}` : '';
  const alerts = r.alerts_changed ? ` (${r.alerts_changed} of its alerts too)` : '';
  out(`${incident.id} is ${incident.status}${silenced}${alerts}\n`);
}

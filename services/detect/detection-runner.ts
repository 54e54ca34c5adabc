/**
 * Runs the detectors over closed event-time windows and stores what they find.
 *
 * Invariants:
 * - a minute is scored only once the watermark (the newest event time of the slowest active
 *   gateway, minus the allowed lateness) has passed its end; live ingest and replay go through
 *   `scoreRange`, so a backfilled day raises the alerts it would have raised live;
 * - each detector remembers how far it has scored (`detector_state`) and resumes there after a
 *   restart; a failing detector is logged and skipped, the others go on, and its range is
 *   scored again on the next cycle;
 * - events that arrive for minutes already scored are counted (`late_events`), not merged.
 */
import type { Logger } from 'pino';
import type { Alert } from '../../schemas/alert-schema.js';
import type { Config } from '../../schemas/config-schema.js';
import type { DetectorName } from '../../schemas/detect-config-schema.js';
import { DETECTORS } from '../../detectors/index.js';
import { createAllowList } from '../../detectors/allow-list.js';
import { chTime, MINUTE, type Detector, type DetectorContext, type Finding, type ScoreRange } from '../../detectors/detector.js';
import { displayIp } from '../../detectors/entity-format.js';
import { extendAlert, openAlert } from '../../detectors/alert-builder.js';
import { applySeverityPolicy } from '../../detectors/severity-policy.js';
import type { Store } from '../storage/clickhouse.js';
import { createDetectionRepo } from '../storage/detection-repo.js';
import type { Metrics } from '../shared/metrics.js';
import { errorMessage } from '../shared/errors.js';
import { Mutex } from '../shared/mutex.js';
import type { AlertStore } from '../storage/clickhouse-alert-store.js';
import { createBaselineManager } from './baseline-manager.js';
import { createIncidentStore, type IncidentStore } from '../storage/incident-store.js';

const CHUNK = 60 * MINUTE; // a long range is scored an hour at a time: bounded result sets
const EVIDENCE_ROWS = 5;

export interface RunnerDeps {
  config: Config;
  store: Store;
  alerts: AlertStore;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** detectors to run (default: every enabled one) */
  detectors?: Array<Detector<never>>;
  /** where alerts are grouped into incidents (default: the store's incidents table) */
  incidents?: IncidentStore;
}

export interface RangeResult {
  opened: Alert[];
  extended: number;
  failed: DetectorName[];
}

export function createDetectionRunner(deps: RunnerDeps) {
  const { config, store, log, metrics } = deps;
  const repo = createDetectionRepo(store);
  const { db } = repo;
  const ctx: DetectorContext = { config: config.detect, allow: createAllowList(config.detect.allow) };
  const detectors = (deps.detectors ?? DETECTORS).filter((d) => config.detect.detectors[d.name].enabled);
  const rearmMs = config.detect.rearmMin * MINUTE;
  const baselines = createBaselineManager({ repo, config, log, now: deps.now });
  const allMetrics = new Set(detectors.flatMap((d) => d.baselines ?? []));
  const incidents = deps.incidents ?? createIncidentStore(store, deps.alerts, deps.now);

  const rows = repo.read;

  async function evidenceRows(sql: string): Promise<Array<Record<string, unknown>>> {
    try {
      return await rows<Record<string, unknown>>(`${sql} LIMIT ${EVIDENCE_ROWS}`);
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'evidence query failed: the alert is stored without sample rows');
      return [];
    }
  }

  /**
   * A route-level finding names who drove it: the top client addresses and principals on that
   * route in its window, by what the detector measured (bytes for an exposure, 5xx for an error
   * burst, failures for a failure rate, requests otherwise), in its detail and its summary.
   */
  async function nameContributors(f: Finding): Promise<void> {
    const measure = f.detector === 'data_exposure' ? 'sum(bytes_out)' : f.detector === 'error_burst' ? 'countIf(status >= 500)' : f.detector === 'failure_rate' ? "countIf(auth_outcome = 'failure')" : 'count()';
    if (f.detector === 'route_drop' || f.detector === 'gateway_silence') return; // an absence has no contributors
    try {
      const ips = (await repo.topContributors(f.entity.value, f.window, 'client_ip', measure)).map((r) => ({ ip: displayIp(r.who), value: r.value, share: r.share }));
      const principals = (await repo.topContributors(f.entity.value, f.window, 'principal_id', measure)).map((r) => ({ principal: r.who, value: r.value, share: r.share }));
      f.detail = { ...f.detail, top_ips: ips, top_principals: principals, top_measure: measure };
      const pct = (x: number) => `${Math.round(x * 100)} %`;
      const named = [...ips.filter((x) => x.share >= 0.2).map((x) => `${x.ip} (${pct(x.share)})`), ...principals.filter((x) => x.share >= 0.2).map((x) => `${x.principal} (${pct(x.share)})`)];
      if (named.length) f.summary = `${f.summary}; mostly ${named.join(', ')}`;
    } catch (err) {
      log.warn({ err: errorMessage(err), detector: f.detector }, 'could not name the top contributors of a route alert');
    }
  }

  /** How many requests from a guessing address authenticated in its window: the severity policy's proof of success. */
  async function countSuccesses(f: Finding): Promise<void> {
    try {
      f.detail = { ...f.detail, succeeded: await repo.successesFrom(f.entity.value, f.window) };
    } catch (err) {
      log.warn({ err: errorMessage(err), detector: f.detector }, 'could not count the successful logins of a guessing address');
    }
  }

  const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));

  /** Findings → new or extended alerts, saved; in event-time order so extensions chain. */
  async function record(detector: Detector<never>, findings: Finding[], result: RangeResult): Promise<void> {
    findings.sort((a, b) => a.window.end - b.window.end);
    for (const f of findings) {
      if ((f.detector === 'brute_force' || f.detector === 'credential_stuffing') && f.entity.type === 'ip') await countSuccesses(f);
      applySeverityPolicy(f, config.detect);
    }
    // the alerts these findings may extend, with their status as people left it (read from the
    // trail now: another process may have acknowledged or resolved one since this one last looked)
    const before = new Map<string, Alert>();
    for (const f of findings) {
      const key = `${f.entity.type}\0${f.entity.value}`;
      const a = before.has(key) ? undefined : await deps.alerts.latestFor(f.detector, f.entity);
      if (a) before.set(key, a);
    }
    const fresh = await deps.alerts.statuses([...before.values()].map((a) => a.id));
    for (const [key, a] of before) before.set(key, { ...a, status: fresh.get(a.id) ?? a.status });
    const changed = new Map<string, Alert>();
    for (const f of findings) {
      const key = `${f.entity.type}\0${f.entity.value}`;
      const current = changed.get(key) ?? before.get(key);
      let ext = current ? extendAlert(current, f, rearmMs) : { newAlert: true as const };
      if (ext === undefined) continue;
      // a route alert names who drove it, in the window it now covers
      // (on an extension, only when it takes the finding's summary: a stronger one, or none named yet)
      if (f.entity.type === 'route' && (!current || !('alert' in ext) || f.score > current.score || !current.detail.top_ips)) {
        await nameContributors(f);
        ext = current ? extendAlert(current, f, rearmMs)! : { newAlert: true as const };
        if ('alert' in ext) ext.alert = { ...ext.alert, detail: { ...ext.alert.detail, ...pick(f.detail, ['top_ips', 'top_principals', 'top_measure']) } };
      }
      if ('alert' in ext) {
        changed.set(key, ext.alert);
        result.extended++;
        continue;
      }
      const sql = detector.evidenceSql(db, f);
      const alert = openAlert(f, { sql, rows: await evidenceRows(sql) });
      changed.set(key, alert);
      result.opened.push(alert);
      metrics.alerts.inc({ detector: f.detector, severity: f.severity });
      log.info({ detector: f.detector, entity: f.entity, severity: f.severity, id: alert.id }, 'alert opened');
    }
    // grouped first: if storing the alerts then fails, the retried chunk opens the same alerts
    // (same ids) and groups them again; the other order could leave stored alerts in no incident
    await incidents.place([...changed.values()], config.detect.incidentWindowMin);
    await deps.alerts.save([...changed.values()]);
  }

  /** Scores windows ending in [range.from, range.to) with every detector (or the given ones). */
  async function scoreRange(range: ScoreRange, only?: DetectorName[]): Promise<RangeResult> {
    const result: RangeResult = { opened: [], extended: 0, failed: [] };
    for (const d of detectors) {
      if (only && !only.includes(d.name)) continue;
      try {
        await scoreDetector(d, range, result);
      } catch (err) {
        result.failed.push(d.name);
        metrics.detectorFailures.inc({ detector: d.name });
        log.error({ detector: d.name, err: errorMessage(err), from: chTime(range.from), to: chTime(range.to) }, 'detector failed: skipped this cycle');
        await recordRun(d.name, range, 0, 0, errorMessage(err));
      }
    }
    return result;
  }

  async function scoreDetector(d: Detector<never>, range: ScoreRange, result: RangeResult): Promise<void> {
    for (let from = range.from; from < range.to; from += CHUNK) {
      const chunk = { from, to: Math.min(from + CHUNK, range.to) };
      const t0 = performance.now();
      // baselines as of the chunk's start: learnt from the history before it, never from it
      const chunkCtx: DetectorContext = { ...ctx, range: chunk, ...(d.baselines?.length ? { baselines: await baselines.asOf(chunk.from, allMetrics) } : {}) };
      const found = d.score(await rows<never>(d.sql(db, chunk, chunkCtx)), chunkCtx);
      const before = result.opened.length;
      await record(d, found, result);
      const ms = performance.now() - t0;
      metrics.detectorSeconds.observe({ detector: d.name }, ms / 1000);
      await recordRun(d.name, chunk, ms, result.opened.length - before, '');
    }
  }

  async function recordRun(detector: string, range: ScoreRange, ms: number, alerts: number, error: string, lateEvents = 0): Promise<void> {
    try {
      await repo.recordRun({ detector, range, ms, alerts, error, lateEvents });
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not record the detector run');
    }
  }

  /** Newest event time of the slowest gateway active lately, minus the allowed lateness; undefined with no data. */
  async function watermark(): Promise<number | undefined> {
    const idle = config.detect.idleSourceSec;
    const t = await repo.slowestGatewayTime(idle, config.detect.maxCatchUpMin + idle / 60 + 60);
    return t !== undefined ? t - config.detect.allowedLatenessSec * 1000 : undefined;
  }

  const scoredUntil = () => repo.scoredUntil();
  const setScoredUntil = (names: string[], to: number) => repo.setScoredUntil(names, to, deps.now());

  let lastCycleAt = 0;

  /** Events stored since the last cycle for minutes that were already scored. */
  async function countLate(scoredBefore: number): Promise<number> {
    if (!lastCycleAt || !scoredBefore) return 0;
    return repo.lateEvents(scoredBefore - config.detect.maxCatchUpMin * MINUTE, scoredBefore, lastCycleAt);
  }

  /** One live cycle: every enabled detector from where it stopped up to the watermark. */
  async function cycle(): Promise<RangeResult & { watermark?: number }> {
    const startedAt = deps.now();
    const wm = await watermark();
    const result: RangeResult & { watermark?: number } = { opened: [], extended: 0, failed: [] };
    if (wm === undefined) return result;
    result.watermark = wm;
    metrics.watermarkLagSeconds.set((startedAt - wm) / 1000);
    const to = Math.floor(wm / MINUTE) * MINUTE;
    const done = await scoredUntil();
    const minDone = Math.min(...detectors.map((d) => done.get(d.name) ?? Number.POSITIVE_INFINITY));
    const late = Number.isFinite(minDone) ? await countLate(minDone) : 0;
    if (late > 0) {
      metrics.lateEvents.inc(late);
      log.warn({ late, scoredUntil: chTime(minDone) }, 'events arrived for minutes already scored: counted, not merged');
      await recordRun('late_events', { from: minDone - config.detect.maxCatchUpMin * MINUTE, to: minDone }, 0, 0, '', late);
    }
    // the minute still filling, for detectors that may fire early (see Detector.early)
    const filling = Math.floor((wm + config.detect.allowedLatenessSec * 1000) / MINUTE) * MINUTE + MINUTE;
    for (const d of detectors) {
      const start = Math.max(done.get(d.name) ?? to - config.detect.startLookbackMin * MINUTE, to - config.detect.maxCatchUpMin * MINUTE);
      const end = d.early ? filling : to;
      if (start >= end) continue;
      const r = await scoreRange({ from: start, to: end }, [d.name]);
      result.opened.push(...r.opened);
      result.extended += r.extended;
      // progress is recorded only up to the watermark: minutes scored early are scored again when closed
      if (r.failed.length) result.failed.push(...r.failed);
      else if (to > start) await setScoredUntil([d.name], to);
    }
    await autoResolve(wm);
    // an incident whose alerts are all resolved now (by the system or by people) is resolved too: a new event in its trail
    const closed = await incidents.resolveClear();
    if (closed.length) log.info({ incidents: closed }, 'incidents resolved: every alert clear');
    lastCycleAt = startedAt;
    return result;
  }

  /** Alerts whose condition has been clear for `autoResolveMin` of event time are resolved by the system. */
  async function autoResolve(watermark: number): Promise<void> {
    const after = config.detect.autoResolveMin * MINUTE;
    if (after <= 0) return;
    const active = [...(await deps.alerts.list({ status: 'open', limit: 10_000 })), ...(await deps.alerts.list({ status: 'acknowledged', limit: 10_000 }))];
    for (const a of active) {
      if (Date.parse(a.last_seen) + after > watermark) continue;
      const r = await deps.alerts.transition(a.id, 'auto_resolve', 'system', `condition clear for ${config.detect.autoResolveMin} min`);
      if (r.ok) log.info({ id: a.id, detector: a.detector, entity: a.entity }, 'alert auto-resolved');
    }
  }

  // the cron cycle and an on-demand score (after a backfill) never interleave: one alert per id
  const lock = new Mutex();
  return {
    scoreRange: (range: ScoreRange, only?: DetectorName[]) => lock.run(() => scoreRange(range, only)),
    cycle: () => lock.run(cycle),
    watermark,
  };
}

export type DetectionRunner = ReturnType<typeof createDetectionRunner>;

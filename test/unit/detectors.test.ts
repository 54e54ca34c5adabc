import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../services/shared/config.js';
import { createAllowList } from '../../detectors/allow-list.js';
import type { DetectorContext, Finding } from '../../detectors/detector.js';
import { severityFor, slidingWindowSql, windowEnding } from '../../detectors/detector.js';
import { bruteForceDetector, type BruteForceRow } from '../../detectors/auth/brute-force-detector.js';
import { credentialStuffingDetector } from '../../detectors/auth/credential-stuffing-detector.js';
import { distributedBruteForceDetector } from '../../detectors/auth/distributed-brute-force-detector.js';
import { enumerationDetector } from '../../detectors/enumeration/enumeration-detector.js';
import { impossibleTravelDetector, type GeoVisitRow } from '../../detectors/geo/impossible-travel-detector.js';
import { haversineKm } from '../../detectors/geo/haversine.js';
import { alertId, extendAlert, openAlert } from '../../detectors/alert-builder.js';

const MIN = 60_000;

function ctx(detect: Record<string, unknown> = {}): DetectorContext {
  const config = validateConfig({ detect }).detect;
  return { config, allow: createAllowList(config.allow) };
}

describe('detector helpers', () => {
  it('derives severity from how far past the threshold a finding is', () => {
    expect([0.5, 1, 1.9, 2, 4.9, 5, 50].map((r) => severityFor(r))).toEqual(['medium', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
    expect(severityFor(1, 'high')).toBe('high');
    expect(severityFor(0.5, 'low')).toBe('low');
  });

  it('turns a sliding-window row into the window it describes', () => {
    expect(windowEnding('2026-11-28 10:04:00', 5)).toEqual({ start: Date.UTC(2026, 10, 28, 10, 0), end: Date.UTC(2026, 10, 28, 10, 5) });
  });

  it('builds sliding-window SQL that reads history before the range and filters to it', () => {
    const sql = slidingWindowSql({ db: 'gw', table: 't', keys: ['k'], perMinute: { f: 'sum(failures)' }, overWindow: { failures: 'sum(f)' }, having: 'failures >= 3', windowMin: 5, range: { from: Date.UTC(2026, 10, 28, 10), to: Date.UTC(2026, 10, 28, 11) } });
    expect(sql).toContain("minute >= toDateTime('2026-11-28 09:55:00', 'UTC')");
    expect(sql).toContain("minute < toDateTime('2026-11-28 11:00:00', 'UTC')");
    expect(sql).toContain('RANGE BETWEEN 240 PRECEDING AND CURRENT ROW');
    expect(sql).toContain("WHERE minute >= toDateTime('2026-11-28 09:59:00', 'UTC') AND (failures >= 3)");
  });

  it('measures great-circle distances', () => {
    expect(haversineKm(48.8566, 2.3522, 51.5074, -0.1278)).toBeCloseTo(344, -1); // Paris–London
    expect(haversineKm(40.7128, -74.006, 35.6762, 139.6503)).toBeCloseTo(10_850, -2); // New York–Tokyo
    expect(haversineKm(1, 1, 1, 1)).toBe(0);
  });
});

describe('brute force', () => {
  const row = (over: Partial<BruteForceRow>): BruteForceRow => ({ target_kind: 'principal', ip: '::ffff:198.51.100.7', target: 'alice', minute: '2026-11-28 10:04:00', failures: 40, requests: 41, ...over });
  it.each([
    ['one IP against one principal', row({}), 1, 'high'],
    ['one IP against the login route', row({ target_kind: 'route', target: '/login', failures: 25 }), 1, 'medium'],
    ['an allow-listed address', row({}), 0, undefined],
  ])('%s', (what, r, n, severity) => {
    const c = what.includes('allow') ? ctx({ allow: { cidrs: ['198.51.100.0/24'] } }) : ctx();
    const found = bruteForceDetector.score([r], c);
    expect(found).toHaveLength(n);
    if (n) {
      expect(found[0]!.entity).toEqual({ type: 'ip', value: '198.51.100.7' });
      expect(found[0]!.severity).toBe(severity);
      expect(found[0]!.owasp).toBe('API2');
      expect(found[0]!.window).toEqual({ start: Date.UTC(2026, 10, 28, 10, 0), end: Date.UTC(2026, 10, 28, 10, 5) });
    }
  });

  it('matches login routes with the configured globs in SQL', () => {
    const sql = bruteForceDetector.sql('gw', { from: 0, to: 60_000 }, ctx({ loginRoutes: ['*login*', '/v1/oauth_token'] }));
    expect(sql).toContain("route ILIKE '%login%'");
    expect(sql).toContain("route ILIKE '/v1/oauth\\\\_token'");
  });
});

describe('credential stuffing, distributed brute force, enumeration', () => {
  it('names the IP that tried many principals', () => {
    const [f] = credentialStuffingDetector.score([{ ip: '::ffff:203.0.113.50', minute: '2026-11-28 10:04:00', principals: 30, failures: 58, requests: 60 }], ctx());
    expect(f).toMatchObject({ entity: { type: 'ip', value: '203.0.113.50' }, observed: 30, expected: 10, severity: 'high', owasp: 'API2' });
    expect(f!.summary).toContain('30 different principals');
  });

  it('names the principal attacked from many IPs', () => {
    const [f] = distributedBruteForceDetector.score([{ principal_id: 'bob', minute: '2026-11-28 10:09:00', ips: 60, failures: 90, requests: 90 }], ctx());
    expect(f).toMatchObject({ entity: { type: 'principal', value: 'bob' }, observed: 60, severity: 'critical' });
    expect(distributedBruteForceDetector.score([{ principal_id: 'bob', minute: '2026-11-28 10:09:00', ips: 60, failures: 90, requests: 90 }], ctx({ allow: { principals: ['bob'] } }))).toEqual([]);
  });

  it('names the principal walking object ids, and honours route allow-lists', () => {
    const row = { principal_id: 'mallory', route: '/v1/orders/{id}', minute: '2026-11-28 10:04:00', objects: 120, requests: 125 };
    const [f] = enumerationDetector.score([row], ctx());
    expect(f).toMatchObject({ entity: { type: 'principal', value: 'mallory' }, owasp: 'API1', detail: { route: '/v1/orders/{id}', objects: 120 } });
    expect(enumerationDetector.score([row], ctx({ allow: { routes: ['/v1/orders/*'] } }))).toEqual([]);
  });
});

describe('impossible travel', () => {
  const visit = (over: Partial<GeoVisitRow>): GeoVisitRow => ({
    principal_id: 'carol', minute: '2026-11-28 09:00:00', country: 'FR', city: 'Paris', lat: 48.8558, lon: 2.3494,
    first_seen: '2026-11-28 09:00:05.000', last_seen: '2026-11-28 09:00:50.000', asn: 12876, ip: '::ffff:62.210.0.1', fresh: 0, ...over,
  });
  const tokyo = { country: 'JP', city: 'Tokyo', lat: 35.6837, lon: 139.6805, asn: 2501, ip: '::ffff:133.11.0.1', fresh: 1 };
  it.each([
    ['Paris then Tokyo 20 minutes later', [visit({}), visit({ ...tokyo, minute: '2026-11-28 09:20:00', first_seen: '2026-11-28 09:20:10.000', last_seen: '2026-11-28 09:20:40.000' })], 1],
    ['Paris and Tokyo in the same minute', [visit({}), visit({ ...tokyo, minute: '2026-11-28 09:00:00', first_seen: '2026-11-28 09:00:20.000' })], 1],
    ['Paris then Tokyo after a 14-hour flight', [visit({}), visit({ ...tokyo, minute: '2026-11-28 23:10:00', first_seen: '2026-11-28 23:10:00.000', last_seen: '2026-11-28 23:10:30.000' })], 0],
    ['Paris then London an hour later (plausible)', [visit({}), visit({ country: 'GB', city: 'London', lat: 51.5074, lon: -0.1278, minute: '2026-11-28 10:00:00', first_seen: '2026-11-28 10:00:00.000', fresh: 1 })], 0],
    ['two cities of one country 150 km apart at once (GeoIP noise)', [visit({}), visit({ city: 'Orleans', lat: 47.9, lon: 1.9, minute: '2026-11-28 09:00:00', first_seen: '2026-11-28 09:00:30.000', fresh: 1 })], 0],
    ['one place only', [visit({ fresh: 1 })], 0],
    ['history only, nothing new', [visit({}), visit({ ...tokyo, fresh: 0, minute: '2026-11-28 09:20:00', first_seen: '2026-11-28 09:20:10.000' })], 0],
  ])('%s', (_what, rows, n) => {
    const found = impossibleTravelDetector.score(rows, ctx());
    expect(found).toHaveLength(n);
    if (n) {
      expect(found[0]).toMatchObject({ entity: { type: 'principal', value: 'carol' }, severity: expect.stringMatching(/high|critical/), owasp: 'API2' });
      expect(found[0]!.detail).toMatchObject({ from: { country: 'FR' }, to: { country: 'JP' } });
    }
  });

  const at = (minute: number, over: Partial<GeoVisitRow>) => {
    const m = `2026-11-28 ${String(9 + Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
    return visit({ minute: `${m}:00`, first_seen: `${m}:05.000`, last_seen: `${m}:50.000`, ...over });
  };
  const miami = { country: 'US', city: 'Miami', lat: 25.78, lon: -80.18, asn: 23089, ip: '::ffff:8.17.30.9' };
  const losAngeles = { country: 'US', city: 'Los Angeles', lat: 33.96, lon: -118.39, asn: 3356, ip: '::ffff:8.3.232.9' };

  it('never alerts on a move to a place the principal has used before (its cities, or its networks by ASN)', () => {
    const summary = (over: Partial<GeoVisitRow>) => visit({ minute: '', fresh: 2, asns: [Number(over.asn ?? 12876)], ...over });
    // Tokyo seen last week: the trip back is familiar
    expect(impossibleTravelDetector.score([summary(tokyo), at(0, {}), at(20, tokyo)], ctx())).toEqual([]);
    // a carrier known by its ASN, now placed in another city of its country
    const berlin = { country: 'DE', city: 'Berlin', lat: 52.52, lon: 13.4, asn: 3320, ip: '::ffff:2.167.255.9', fresh: 1 };
    expect(impossibleTravelDetector.score([summary({ country: 'DE', city: '', asn: 3320 }), at(0, {}), at(1, berlin)], ctx())).toEqual([]);
    // without that history the same move is judged (Paris–Berlin, 880 km in a minute)
    expect(impossibleTravelDetector.score([at(0, {}), at(1, berlin)], ctx())).toHaveLength(1);
  });

  it('raises one finding when a principal switches back and forth between its home and a new far place', () => {
    const rows = [at(0, {}), at(5, tokyo), at(6, { fresh: 1 }), at(7, tokyo), at(8, { fresh: 1 }), at(9, tokyo)];
    const found = impossibleTravelDetector.score(rows, ctx());
    expect(found).toHaveLength(1);
    expect(found[0]!.summary).toContain('a place it has not used before');
  });

  it('does not judge moves inside one country unless asked, and never to a location known only at country level', () => {
    const rows = [at(0, { ...miami }), at(3, { ...losAngeles, fresh: 1 })];
    expect(impossibleTravelDetector.score(rows, ctx())).toEqual([]);
    expect(impossibleTravelDetector.score(rows, ctx({ detectors: { impossible_travel: { withinCountryMinKm: 1500 } } }))).toHaveLength(1);
    const countryOnly = [at(0, { ...miami }), at(3, { ...losAngeles, city: '', lat: 37.75, lon: -97.82, fresh: 1 })];
    expect(impossibleTravelDetector.score(countryOnly, ctx({ detectors: { impossible_travel: { withinCountryMinKm: 1 } } }))).toEqual([]);
  });

  it("judges a move from a country-level location (a roaming phone) against the last city-level place too", () => {
    const fr = { country: 'FR', city: '', lat: 46.6, lon: 1.9, asn: 51207, ip: '::ffff:5.42.193.9' };
    const stockholm = { country: 'SE', city: 'Stockholm', lat: 59.33, lon: 18.07, asn: 3301, ip: '::ffff:89.160.20.9', fresh: 1 };
    const summary = visit({ ...fr, minute: '', fresh: 2, asns: [51207] });
    // a traveller: home in Paris at 09:00, a flight, the home carrier roaming at 12:00, the hotel at 12:20
    expect(impossibleTravelDetector.score([summary, at(0, {}), at(180, { ...fr, fresh: 1 }), at(200, stockholm)], ctx())).toEqual([]);
    // a stolen session: home in Paris minutes before, on the phone, then Tokyo
    expect(impossibleTravelDetector.score([summary, at(195, {}), at(198, { ...fr, fresh: 1 }), at(200, tokyo)], ctx())).toHaveLength(1);
  });

  it('takes a country-level location with its country-sized error', () => {
    const gb = { country: 'GB', city: '', lat: 51.5, lon: -0.12, asn: 5400, ip: '::ffff:31.95.58.9', fresh: 1 };
    // London's centroid is 344 km from Paris: within the error of a country-level location
    expect(impossibleTravelDetector.score([at(0, {}), at(1, gb)], ctx())).toEqual([]);
    // Tokyo is not
    expect(impossibleTravelDetector.score([at(0, { ...gb, fresh: 0 }), at(1, tokyo)], ctx())).toHaveLength(1);
  });

  it('ignores locations seen through corporate egress', () => {
    const rows = [visit({}), visit({ ...tokyo, minute: '2026-11-28 09:20:00', first_seen: '2026-11-28 09:20:10.000' })];
    expect(impossibleTravelDetector.score(rows, ctx({ corporateEgress: { asns: [2501] } }))).toEqual([]);
    expect(impossibleTravelDetector.score(rows, ctx({ corporateEgress: { cidrs: ['62.210.0.0/16'] } }))).toEqual([]);
  });
});

describe('alert lifecycle from findings', () => {
  const finding = (endMin: number, score = 2): Finding => ({
    detector: 'brute_force', entity: { type: 'ip', value: '198.51.100.7' },
    window: { start: Date.UTC(2026, 10, 28, 10, endMin - 5), end: Date.UTC(2026, 10, 28, 10, endMin) },
    observed: 40, expected: 20, score, severity: severityFor(score), summary: 's', owasp: 'API2', detail: {},
  });
  const evidence = { sql: 'SELECT 1', rows: [] };

  it('gives the same id to the same detector, entity and first window, and another to a later one', () => {
    expect(openAlert(finding(5), evidence).id).toBe(openAlert(finding(5), evidence).id);
    expect(openAlert(finding(5), evidence).id).not.toBe(openAlert(finding(6), evidence).id);
    expect(alertId(finding(5), 1)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('extends an open alert while the condition keeps firing, ignores windows already counted, re-arms after the gap', () => {
    const a = openAlert(finding(5), evidence);
    const b = extendAlert(a, finding(6, 6), 30 * 60_000);
    expect(b && 'alert' in b && b.alert).toMatchObject({ id: a.id, windows: 2, severity: 'critical', score: 6, last_seen: new Date(Date.UTC(2026, 10, 28, 10, 6)).toISOString() });
    expect(extendAlert(a, finding(5), 30 * 60_000)).toBeUndefined();
    expect(extendAlert(a, finding(50), 30 * 60_000)).toEqual({ newAlert: true });
    expect(extendAlert({ ...a, status: 'resolved' }, finding(6), 30 * 60_000)).toEqual({ newAlert: true });
  });

  it('raises one impossible-travel alert a day per principal unless the countries change', () => {
    const hop = (hour: number, from: string, to: string): Finding => ({
      detector: 'impossible_travel', entity: { type: 'principal', value: 'ada' },
      window: { start: Date.UTC(2026, 10, 28, hour, 0), end: Date.UTC(2026, 10, 28, hour, 5) },
      observed: 9000, expected: 900, score: 10, severity: 'high', summary: `${from} → ${to}`, owasp: 'API2',
      detail: { from: { country: from }, to: { country: to } },
    });
    const a = openAlert(hop(1, 'FR', 'JP'), evidence);
    // hours later, back and forth between the same countries: the same alert, even past the re-arm gap
    const back = extendAlert(a, hop(5, 'JP', 'FR'), 30 * 60_000);
    expect(back && 'alert' in back && back.alert).toMatchObject({ id: a.id, windows: 2, detail: { countries: ['FR', 'JP'] } });
    // resolved in the meantime: nothing new for the same journey within the day
    expect(extendAlert({ ...a, status: 'resolved' }, hop(9, 'JP', 'FR'), 30 * 60_000)).toBeUndefined();
    // a new country is a new story; so is the same journey a day later
    expect(extendAlert({ ...a, status: 'resolved' }, hop(9, 'JP', 'BR'), 30 * 60_000)).toEqual({ newAlert: true });
    expect(extendAlert(a, hop(9, 'FR', 'BR'), 30 * 60_000)).toEqual({ newAlert: true });
    const nextDay = { ...hop(1, 'FR', 'JP'), window: { start: Date.UTC(2026, 10, 29, 2, 0), end: Date.UTC(2026, 10, 29, 2, 5) } };
    expect(extendAlert({ ...a, status: 'resolved' }, nextDay, 30 * 60_000)).toEqual({ newAlert: true });
  });
});

describe('baselines', () => {
  // imported lazily so the table above reads as the detectors' story
  it('learns a seasonal profile with zeros for empty slots and falls back for short histories', async () => {
    const { computeBaseline, bucketFor, robustZ, hourOfWeek, ALL_HOURS, HOUR_OF_DAY_BASE } = await import('../../detectors/baseline.js');
    const from = Date.UTC(2026, 10, 2); // a Monday
    const to = from + 3 * 86_400_000;
    // 10 a slot during 09:00–17:00 UTC, nothing at night
    const samples: Array<{ t: number; v: number }> = [];
    for (let t = from; t < to; t += 300_000) if (new Date(t).getUTCHours() >= 9 && new Date(t).getUTCHours() < 17) samples.push({ t, v: 10 });
    const b = computeBaseline(samples, from, to, { minSamples: 24 });
    // three days: 36 slots per hour of day, 12 per hour of week (too few)
    expect(b.buckets.has(hourOfWeek(from + 10 * 3_600_000))).toBe(false);
    expect(b.buckets.get(HOUR_OF_DAY_BASE + 10)).toMatchObject({ median: 10, mad: 0, samples: 36 });
    expect(b.buckets.get(HOUR_OF_DAY_BASE + 3)).toMatchObject({ median: 0, samples: 36 });
    expect(b.buckets.get(ALL_HOURS)!.samples).toBe(864);
    const day = bucketFor(b.buckets, to + 10 * 3_600_000)!;
    const night = bucketFor(b.buckets, to + 3 * 3_600_000)!;
    expect(day.median).toBe(10);
    // the Poisson floor: 3 against a usual 0 is 3 sigma, 300 against 10 is ~92
    expect(robustZ(3, night)).toBe(3);
    expect(robustZ(300, day)).toBeCloseTo(91.7, 0);
    expect(bucketFor(undefined, to)).toBeUndefined();
  });
});

describe('route anomalies and silence', () => {
  it('fires on a flood against the baseline, not on a normal peak, and never without history', async () => {
    const { volumeSpikeDetector } = await import('../../detectors/volume/volume-spike-detector.js');
    const { ALL_HOURS } = await import('../../detectors/baseline.js');
    const baseline = { buckets: new Map([[ALL_HOURS, { median: 40, mad: 8, p95: 70, samples: 500 }]]), ewma: 40 };
    const c = { ...ctx(), baselines: new Map([['route_requests', new Map([['/v1/products/{id}', baseline]])]]) };
    const row = (value: number, route = '/v1/products/{id}') => ({ route, minute: '2026-11-28 10:04:00', value, requests: value });
    expect(volumeSpikeDetector.score([row(2500)], c)).toMatchObject([{ entity: { type: 'route', value: '/v1/products/{id}' }, owasp: 'API4', expected: 40 }]);
    expect(volumeSpikeDetector.score([row(110)], c)).toEqual([]); // a peak: under minRequests
    expect(volumeSpikeDetector.score([row(2500, '/v1/new')], c)).toEqual([]); // no history yet
  });

  it('notices a gateway that stopped sending while its baseline says it should', async () => {
    const { gatewaySilenceDetector } = await import('../../detectors/volume/gateway-silence-detector.js');
    const { ALL_HOURS } = await import('../../detectors/baseline.js');
    const busy = { buckets: new Map([[ALL_HOURS, { median: 30, mad: 5, p95: 45, samples: 500 }]]), ewma: 30 };
    const quiet = { buckets: new Map([[ALL_HOURS, { median: 1, mad: 1, p95: 3, samples: 500 }]]), ewma: 1 };
    const from = Date.UTC(2026, 10, 28, 10, 0);
    const c = { ...ctx(), range: { from, to: from + 5 * 60_000 }, baselines: new Map([['gateway_requests', new Map([['kong/eu', busy], ['kong/us', busy], ['kong/lab', quiet]])]]) };
    const rows = [];
    for (let m = -11; m < 5; m++) rows.push({ gateway: 'kong/eu', minute: new Date(from + m * 60_000).toISOString().slice(0, 19).replace('T', ' '), requests: 6 });
    rows.push({ gateway: 'kong/us', minute: new Date(from - 11 * 60_000).toISOString().slice(0, 19).replace('T', ' '), requests: 6 });
    const found = gatewaySilenceDetector.score(rows, c);
    expect(new Set(found.map((f) => f.entity.value))).toEqual(new Set(['kong/us']));
    expect(found[0]).toMatchObject({ observed: 0, expected: 60, owasp: 'API9' });
  });
});

describe('score-series (the volume detector on a bare series)', () => {
  it('flags the onset of a spike in a daily pattern and not the ordinary days', async () => {
    const { scoreSeries } = await import('../../detectors/volume/series-scorer.js');
    const start = Date.UTC(2026, 0, 5);
    const points = [];
    for (let i = 0; i < 7 * 288; i++) {
      const t = start + i * 300_000;
      const hour = new Date(t).getUTCHours();
      points.push({ t, v: 100 + 80 * Math.sin((hour / 24) * 2 * Math.PI) + (i % 7) });
    }
    const spikeAt = 6 * 288 + 100;
    for (let i = spikeAt; i < spikeAt + 6; i++) points[i]!.v *= 5;
    const scores = scoreSeries(points);
    expect(scores[spikeAt]).toBeGreaterThan(0.25);
    expect(Math.max(...scores.slice(288, spikeAt))).toBeLessThan(0.25);
    // one detection per condition: the rest of the spike is not scored again
    expect(scores.slice(spikeAt + 1, spikeAt + 6).every((s) => s === 0)).toBe(true);
  });

  it('refuses a file that is not timestamp,value, naming the line', async () => {
    const { readSeriesCsv } = await import('../../services/cli/score-series-command.js');
    expect(() => readSeriesCsv('', 'x.csv')).toThrow(/empty/);
    expect(() => readSeriesCsv('timestamp,value\n2024-01-01 00:00:00,1\nnot a row\n', 'x.csv')).toThrow(/line 3/);
    expect(() => readSeriesCsv('timestamp,value\n2024-01-01 00:00:00,abc\n', 'x.csv')).toThrow(/line 2/);
    expect(readSeriesCsv('timestamp,value\n2024-01-01 00:00:00,1.5\n')).toEqual([{ t: Date.UTC(2024, 0, 1), v: 1.5, raw: '2024-01-01 00:00:00' }]);
  });
});

describe('route drops', () => {
  it('notices a busy route that stopped serving, not a quiet one', async () => {
    const { routeDropDetector } = await import('../../detectors/volume/route-drop-detector.js');
    const { ALL_HOURS } = await import('../../detectors/baseline.js');
    const busy = { buckets: new Map([[ALL_HOURS, { median: 60, mad: 10, p95: 90, samples: 500 }]]), ewma: 60 };
    const quiet = { buckets: new Map([[ALL_HOURS, { median: 2, mad: 1, p95: 5, samples: 500 }]]), ewma: 2 };
    const from = Date.UTC(2026, 10, 28, 10, 0);
    const c = { ...ctx(), range: { from, to: from + MIN }, baselines: new Map([['route_requests', new Map([['/v1/products/{id}', busy], ['/v1/rare', quiet], ['/v1/ok', busy]])]]) };
    const rows = [];
    for (let m = -16; m < 1; m++) rows.push({ route: '/v1/ok', minute: new Date(from + m * MIN).toISOString().slice(0, 19).replace('T', ' '), requests: 12 });
    rows.push({ route: '/v1/products/{id}', minute: new Date(from - 3 * MIN).toISOString().slice(0, 19).replace('T', ' '), requests: 4 });
    const found = routeDropDetector.score(rows, c);
    expect(found.map((f) => f.entity.value)).toEqual(['/v1/products/{id}']);
    expect(found[0]).toMatchObject({ observed: 4, expected: 180, owasp: 'API8' });
  });
});

describe('sensitive routes', () => {
  it('are recognised by segment and by configured glob', async () => {
    const { isSensitiveRoute } = await import('../../detectors/access/sensitive-access-detector.js');
    expect(isSensitiveRoute('/admin/users/{id}', ['admin'], [])).toBe(true);
    expect(isSensitiveRoute('/v1/administrators', ['admin'], [])).toBe(false);
    expect(isSensitiveRoute('/v1/reports/full', ['admin'], ['/v1/reports/*'])).toBe(true);
  });

  it('on a route nobody has used, let operators open it and alert on anyone else, critical when it answered', async () => {
    const { sensitiveAccessDetector } = await import('../../detectors/access/sensitive-access-detector.js');
    const row = (over: Record<string, unknown>) => ({ kind: 'principal' as const, who: 'mallory', route: '/internal/v1/customers', minute: '2026-11-28 10:04:00', requests: 8, route_since: null, operator: 0, ok: 8, ...over });
    const score = (rows: ReturnType<typeof row>[], detect: Record<string, unknown> = {}) => sensitiveAccessDetector.score(rows, ctx(detect));
    const [f] = score([row({})]);
    expect(f).toMatchObject({ entity: { type: 'principal', value: 'mallory' }, severity: 'critical', owasp: 'API5', detail: { route_has_history: false, succeeded: 8 } });
    expect(f!.summary).toContain('which nobody had used before');
    // refused every time: still an alert, not critical
    expect(score([row({ ok: 0 })])[0]!.severity).toBe('high');
    // an operator (used a sensitive route before), a configured operator, an address: the console's first day
    expect(score([row({ operator: 1 })])).toEqual([]);
    expect(score([row({ who: 'ops-anna' })], { detectors: { sensitive_access: { operators: ['ops-*'] } } })).toEqual([]);
    expect(score([row({ kind: 'ip', who: '::ffff:198.51.100.9' })])).toEqual([]);
    // a route with history: any newcomer, operator or not, as before
    const known = row({ route_since: '2026-11-20 09:00:00', operator: 1, ok: 0 });
    expect(score([known])[0]).toMatchObject({ severity: 'high', detail: { route_has_history: true } });
  });

  it('alert on a much smaller flood than ordinary routes', async () => {
    const { volumeSpikeDetector } = await import('../../detectors/volume/volume-spike-detector.js');
    const { ALL_HOURS } = await import('../../detectors/baseline.js');
    const b = { buckets: new Map([[ALL_HOURS, { median: 2, mad: 1, p95: 5, samples: 500 }]]), ewma: 2 };
    const c = { ...ctx(), baselines: new Map([['route_requests', new Map([['/admin/export', b], ['/v1/items', b]])]]) };
    const row = (route: string) => ({ route, minute: '2026-11-28 10:04:00', value: 60, requests: 60 });
    expect(volumeSpikeDetector.score([row('/admin/export'), row('/v1/items')], c).map((f) => f.entity.value)).toEqual(['/admin/export']);
  });
});

describe('the severity policy', () => {
  it('keeps critical for what succeeded or is doing damage, high for confident signals, medium for what is often benign', async () => {
    const { severityOf } = await import('../../detectors/severity-policy.js');
    const cfg = ctx().config;
    const f = (detector: Finding['detector'], detail: Record<string, unknown>, over: Partial<Finding> = {}): Finding => ({ detector, entity: { type: 'ip', value: '198.51.100.7' }, window: { start: 0, end: MIN }, observed: 1, expected: 0, score: 50, severity: 'critical', summary: '', owasp: 'API2', detail, ...over });
    const sev = (x: Finding) => severityOf(x, cfg).severity;
    expect(sev(f('brute_force', { requests: 40, failures: 40 }))).toBe('high');
    expect(sev(f('brute_force', { requests: 41, failures: 40, succeeded: 0 }))).toBe('high');
    expect(sev(f('brute_force', { requests: 41, failures: 40, succeeded: 1 }))).toBe('critical');
    expect(sev(f('credential_stuffing', { requests: 480, failures: 466, succeeded: 14 }))).toBe('critical');
    expect(sev(f('distributed_brute_force', { requests: 900, failures: 90 }))).toBe('high');
    expect(sev(f('sensitive_access', { route_has_history: false, succeeded: 8 }))).toBe('critical');
    expect(sev(f('sensitive_access', { route_has_history: false, succeeded: 0 }))).toBe('high');
    expect(sev(f('sensitive_access', { route_has_history: true, succeeded: 3 }))).toBe('high');
    expect(sev(f('data_exposure', {}, { observed: 800_000_000 }))).toBe('critical');
    expect(sev(f('principal_exposure', {}, { observed: 120_000_000 }))).toBe('high');
    expect(sev(f('impossible_travel', {}))).toBe('high');
    expect(sev(f('volume', {}, { severity: 'critical' }))).toBe('high');
    expect(sev(f('volume', {}, { severity: 'medium' }))).toBe('medium');
    expect(sev(f('route_drop', {}, { observed: 0 }))).toBe('high');
    for (const d of ['new_country', 'failure_rate', 'slow_ramp', 'error_burst', 'rare_country_surge'] as const) expect(sev(f(d, {}))).toBe('medium');
    expect(severityOf(f('brute_force', { succeeded: 1 }), cfg).reason).toContain('1 request(s) from the guessing address authenticated');
  });
});

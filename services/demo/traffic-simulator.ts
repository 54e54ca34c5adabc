import { hash01, makeWorld, placeOf, seeded, type Rand, type WorldUser } from './sim-world.js';
import { GEO_NETWORKS } from './geo-networks.js';

/**
 * Simulated API gateway traffic: a few hundred users on a few dozen routes, with a daily and
 * weekly rhythm, and scripted attacks mixed in. Pure and deterministic (seeded): the same
 * seed and range give the same records, so `gatewatch demo`, the evaluation suite and the
 * benchmarks all see the same world. Records are Kong `http-log` JSON, the richest format.
 *
 * Benign confounders are part of the world on purpose: a daily peak, a corporate NAT address
 * shared by many users, a traveller who flies between two countries in plausible time, and
 * users who mistype their password once or twice.
 */

export interface SimUser {
  name: string;
  home: GeoIp;
  /** relative activity */
  weight: number;
  /** hours added to UTC for the user's day */
  utcOffset: number;
}

export interface GeoIp {
  ip: string;
  country: string;
}

/** Public addresses the bundled GeoLite2 database places in distinct countries. */
export const GEO_POOL: GeoIp[] = [
  { ip: '81.2.69.142', country: 'GB' }, { ip: '2.125.160.216', country: 'GB' }, { ip: '216.160.83.56', country: 'US' },
  { ip: '13.66.1.2', country: 'US' }, { ip: '89.160.20.112', country: 'SE' }, { ip: '62.210.0.1', country: 'FR' },
  { ip: '80.239.0.1', country: 'NO' }, { ip: '133.11.0.1', country: 'JP' }, { ip: '150.101.0.1', country: 'AU' },
  { ip: '200.160.0.8', country: 'BR' }, { ip: '41.0.0.1', country: 'ZA' }, { ip: '103.10.124.1', country: 'SG' },
  { ip: '31.13.64.1', country: 'IN' }, { ip: '190.2.0.1', country: 'AR' }, { ip: '175.16.199.1', country: 'CN' },
];

/** Home networks: the first three octets of a pool address, so users of one country share its GeoIP location. */
function homeAddress(base: GeoIp, n: number): GeoIp {
  const [a, b, c] = base.ip.split('.');
  return { ip: `${a}.${b}.${c}.${(n % 200) + 20}`, country: base.country };
}

export const ROUTES = [
  { path: (r: Rand) => `/v1/products/${1 + Math.floor(r() * 5000)}`, weight: 30, method: 'GET' },
  { path: () => '/v1/products', weight: 12, method: 'GET' },
  { path: () => '/v1/search', weight: 14, method: 'GET' },
  { path: (r: Rand) => `/v1/orders/${100_000 + Math.floor(r() * 900_000)}`, weight: 8, method: 'GET' },
  { path: () => '/v1/orders', weight: 5, method: 'POST' },
  { path: () => '/v1/cart', weight: 10, method: 'GET' },
  { path: () => '/v1/cart/items', weight: 6, method: 'POST' },
  { path: () => '/v1/me', weight: 8, method: 'GET' },
  { path: (r: Rand) => `/v1/users/${1 + Math.floor(r() * 400)}/avatar`, weight: 4, method: 'GET' },
  { path: () => '/v1/recommendations', weight: 3, method: 'GET' },
] as const;

export { seeded, type Rand };

/** A scripted attack: when it starts, what it is, and the entity an alert must name. */
export interface Attack {
  kind:
    | 'brute_force' | 'credential_stuffing' | 'distributed_brute_force' | 'impossible_travel' | 'new_country' | 'enumeration' | 'volume'
    | 'entity_volume' | 'error_burst' | 'data_exposure' | 'gateway_silence' | 'route_drop' | 'sensitive_access' | 'rare_country_surge' | 'slow_ramp';
  start: number;
  /** the entity the matching alert must name */
  entity: { type: 'ip' | 'principal' | 'route' | 'gateway'; value: string };
  /** how long its traffic lasts (default 15 min): alerts it causes on other entities meanwhile are not false */
  durationMin?: number;
  /** sensitive_access: a privileged route nobody has used, listed page by page with 200s (default: probing the admin console, refused) */
  route?: string;
}

export interface SimOptions {
  seed?: number;
  users?: number;
  /** mean requests per minute at the daily peak */
  peakPerMinute?: number;
  attacks?: Attack[];
  /**
   * `simple` (the default): each user at one address. `realistic`: the world of sim-world.ts
   * (several networks per user, GeoIP noise, CGNAT, office NAT, VPN, travellers, an admin team)
   * plus the background production has: uptime monitors, a search crawler, a nightly export by
   * a service account, a catalogue sync, a marketing burst on the second evening and a deploy
   * that moves traffic to new routes on the third afternoon (days counted from `from`).
   */
  world?: 'simple' | 'realistic';
  /**
   * Day one of the realistic world's events (the marketing burst on its evening, the deploy on
   * the afternoon of day three): default `from`. Set it later than `from` to generate days of
   * history before them (a deployment's learnt past); trips are spread over [from, to).
   */
  epoch?: number;
}

/** The realistic world's background actors (not attacks: their alerts would be false). */
export const SERVICE_ACCOUNTS = ['svc-reporting', 'svc-catalog-sync'] as const;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');

function jwtFor(user: string): string {
  return `${b64url('{"alg":"RS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: user, iss: 'https://id.shop.example' }))}.${b64url(`sig-${user}`)}`;
}

export function makeUsers(n: number, r: Rand): SimUser[] {
  const users: SimUser[] = [];
  for (let i = 0; i < n; i++) {
    // most users in Europe and the US, some elsewhere
    const base = GEO_POOL[i % 10 < 7 ? i % 7 : 7 + (i % 8)]!;
    const offsets: Record<string, number> = { GB: 0, US: -6, SE: 1, FR: 1, NO: 1, JP: 9, AU: 10, BR: -3, ZA: 2, SG: 8, IN: 5, AR: -3, CN: 8 };
    users.push({ name: `user${String(i).padStart(4, '0')}`, home: homeAddress(base, i), weight: 0.2 + r() * 2, utcOffset: offsets[base.country] ?? 0 });
  }
  return users;
}

/** Relative activity at a local hour: quiet at night, a morning and an afternoon peak. */
export function diurnal(localHour: number): number {
  const h = ((localHour % 24) + 24) % 24;
  const bump = (c: number, w: number) => Math.exp(-(((h - c) / w) ** 2));
  return 0.08 + 0.9 * bump(10.5, 2.5) + 0.8 * bump(15.5, 2.5) + 0.3 * bump(20.5, 1.5);
}

interface RecordSpec {
  t: number;
  ip: string;
  method: string;
  uri: string;
  status: number;
  user?: string;
  auth: 'jwt' | 'basic' | 'none';
  password?: string;
  bytes?: number;
  ua?: string;
  /** Kong workspace: the gateway the record comes from */
  workspace?: string;
}

let requestSeq = 0;
function kongRecord(s: RecordSpec): string {
  const headers: Record<string, string> = { host: 'api.shop.example', 'user-agent': s.ua ?? 'ShopApp/5.2 (iOS 17.1)', accept: 'application/json', 'x-request-id': `sim-${++requestSeq}` };
  if (s.auth === 'jwt' && s.user) headers.authorization = `Bearer ${jwtFor(s.user)}`;
  if (s.auth === 'basic' && s.user) headers.authorization = `Basic ${b64(`${s.user}:${s.password ?? 'hunter2'}`)}`;
  return JSON.stringify({
    request: { method: s.method, uri: s.uri, url: `https://api.shop.example${s.uri}`, headers, size: 200 },
    response: { status: s.status, size: s.bytes ?? 800 + ((requestSeq * 37) % 4000), headers: { 'content-type': 'application/json' } },
    latencies: { proxy: 20 + (requestSeq % 50), kong: 1, request: 25 + (requestSeq % 60) },
    service: { name: 'shop-api', host: 'shop.internal' },
    workspace_name: s.workspace ?? 'eu',
    client_ip: s.ip,
    started_at: s.t,
  });
}

/**
 * Records for [from, to) in time order: benign traffic plus the given attacks. `to - from`
 * of a few days at the default rate is a few hundred thousand records.
 */
export function* simulate(from: number, to: number, opts: SimOptions = {}): Generator<string> {
  const realistic = opts.world === 'realistic';
  const r = seeded(opts.seed ?? 7);
  const day0 = Math.floor((opts.epoch ?? from) / 86_400_000) * 86_400_000;
  const firstDay = Math.floor(from / 86_400_000) * 86_400_000;
  const world = realistic ? makeWorld(opts.users ?? 600, opts.seed ?? 7, firstDay, Math.max(1, Math.ceil((to - firstDay) / 86_400_000))) : undefined;
  const worldUser = new Map<string, WorldUser>((world?.users ?? []).map((u) => [u.name, u]));
  const users: SimUser[] = world
    ? world.users.map((u) => ({ name: u.name, home: { ip: `${u.broadband.prefix}.${u.broadbandHost}`, country: u.country }, weight: u.weight, utcOffset: u.utcOffset }))
    : makeUsers(opts.users ?? 300, r);
  const where = (u: SimUser, minute: number): GeoIp | undefined => {
    const w = worldUser.get(u.name);
    return w ? placeOf(w, minute) : whereIs(u, minute, from);
  };
  const isAdmin = (u: SimUser) => (world ? worldUser.get(u.name)!.admin : u.name === 'user0001' || u.name === 'user0002');
  const totalWeight = users.reduce((n, u) => n + u.weight, 0);
  const peak = opts.peakPerMinute ?? (realistic ? 150 : 60);
  const deployAt = day0 + 2 * 86_400_000 + 14 * 3_600_000;
  const WISHLIST = { path: () => '/v1/wishlist', weight: 4, method: 'GET' as const };
  for (let minute = Math.floor(from / 60_000) * 60_000; minute < to; minute += 60_000) {
    const batch: RecordSpec[] = [];
    const day = new Date(minute).getUTCDay();
    const weekly = day === 0 || day === 6 ? 0.55 : 1;
    const deployed = realistic && minute >= deployAt;
    // the deploy also adds a route
    const routes: ReadonlyArray<{ path: (r: Rand) => string; weight: number; method: string }> = deployed ? [...ROUTES, WISHLIST] : ROUTES;
    const routeWeight = routes.reduce((n, x) => n + x.weight, 0);
    for (const u of users) {
      const localHour = new Date(minute).getUTCHours() + new Date(minute).getUTCMinutes() / 60 + u.utcOffset;
      const rate = (peak * u.weight * diurnal(localHour) * weekly) / totalWeight;
      let n = poisson(rate, r);
      if (n === 0) continue;
      const place = where(u, minute);
      if (!place) continue; // in the air
      const workspace = ['US', 'BR', 'AR', 'CA', 'MX'].includes(place.country) ? 'us' : 'eu';
      // operators use the admin console through the day: the admin routes have a history
      if (isAdmin(u) && r() < 0.05) {
        batch.push({ t: minute + Math.floor(r() * 60_000), ip: place.ip, method: 'GET', uri: `/admin/users/${1 + Math.floor(r() * 400)}`, status: 200, user: u.name, auth: 'jwt', workspace });
      }
      // a session now and then starts with a login, sometimes mistyped once or twice
      if (r() < 0.02) {
        const typos = r() < 0.3 ? 1 + Math.floor(r() * 2) : 0;
        for (let k = 0; k < typos; k++) batch.push({ t: minute + Math.floor(r() * 50_000), ip: place.ip, method: 'POST', uri: '/v1/login', status: 401, user: u.name, auth: 'basic', password: 'wrong' });
        batch.push({ t: minute + 50_000 + Math.floor(r() * 9000), ip: place.ip, method: 'POST', uri: '/v1/login', status: 200, user: u.name, auth: 'basic' });
        n--;
      }
      for (let k = 0; k < n; k++) {
        let pick = r() * routeWeight;
        const route = routes.find((x) => (pick -= x.weight) < 0) ?? routes[0]!;
        const status = r() < 0.004 ? 500 : r() < 0.01 ? 404 : route.method === 'POST' ? 201 : 200;
        const t = minute + Math.floor(r() * 60_000);
        let uri = route.path(r);
        // the deploy moves 40 % of product pages to the v2 API
        if (deployed && uri.startsWith('/v1/products/') && hash01(uri, minute, k) < 0.4) uri = uri.replace('/v1/', '/v2/');
        batch.push({ t, ip: place.ip, method: route.method, uri, status, user: u.name, auth: 'jwt', workspace });
      }
    }
    if (realistic) batch.push(...backgroundRecords(minute, day0, r, users, where));
    for (const a of opts.attacks ?? []) batch.push(...attackRecords(a, minute, r, users, where));
    // an outage: a gateway whose logs stop arriving
    const silenced = (opts.attacks ?? []).filter((a) => a.kind === 'gateway_silence' && minute >= a.start && minute < a.start + 25 * 60_000).map((a) => a.entity.value);
    // a broken deployment: one route stops being served (its template is the attack's entity)
    const dropped = (opts.attacks ?? []).filter((a) => a.kind === 'route_drop' && minute >= a.start && minute < a.start + 25 * 60_000).map((a) => a.entity.value);
    const templateOf = (uri: string) => uri.split('?')[0]!.replace(/\/\d+(?=\/|$)/g, '/{id}');
    batch.sort((x, y) => x.t - y.t);
    for (const s of batch) {
      if (s.t < from || s.t >= to || silenced.includes(`kong/${s.workspace ?? 'eu'}`)) continue;
      if (dropped.length && dropped.includes(templateOf(s.uri))) continue;
      yield kongRecord(s);
    }
  }
}

/** Something an attack's alert may name: an exact entity, or any IP under a prefix. */
export type AttackEntity = { type: 'ip' | 'principal' | 'route' | 'gateway' | 'country'; value: string } | { type: 'ip'; prefix: string };

/**
 * What a labelled attack involves, for a strict evaluation: every entity its records carry
 * (attacker addresses, the accounts it uses or targets, the routes it hits) and when its
 * traffic ends. An alert that names none of them, or fires outside the attack, explains
 * nothing. `users` are the simulation's users in order (the brute force's victim is the
 * twelfth, the bulk export's account the 151st).
 */
export function attackLabels(a: Attack, users: Array<{ name: string }>, ipsOf: (user: string, from: number, to: number) => string[] = () => []): { entities: AttackEntity[]; end: number } {
  const labels = attackLabelsOf(a, users);
  // attacks made from a victim's own session carry the addresses it had then
  const own = a.kind === 'enumeration' || a.kind === 'sensitive_access' || a.kind === 'data_exposure' ? (a.kind === 'data_exposure' ? users[150]!.name : a.entity.value) : undefined;
  if (own) for (const ip of ipsOf(own, a.start, labels.end)) labels.entities.push({ type: 'ip', value: ip });
  return labels;
}

function attackLabelsOf(a: Attack, users: Array<{ name: string }>): { entities: AttackEntity[]; end: number } {
  const min = (n: number) => a.start + n * 60_000;
  const e = (type: 'ip' | 'principal' | 'route' | 'gateway' | 'country', value: string): AttackEntity => ({ type, value });
  switch (a.kind) {
    case 'brute_force': return { entities: [a.entity, e('principal', users[11]!.name), e('route', '/v1/login')], end: min(6) };
    case 'credential_stuffing': return { entities: [a.entity, e('route', '/v1/login')], end: min(8) };
    case 'distributed_brute_force': return { entities: [a.entity, e('route', '/v1/login'), { type: 'ip', prefix: '198.51.10' }], end: min(10) };
    case 'impossible_travel': return { entities: [a.entity, e('ip', '133.11.0.77'), e('country', 'JP')], end: min(3) };
    case 'new_country': return { entities: [a.entity, e('ip', '200.160.0.66'), e('country', 'BR')], end: min(4) };
    case 'enumeration': return { entities: [a.entity, e('route', '/v1/orders/{id}')], end: min(6) };
    case 'entity_volume': return { entities: [a.entity, e('ip', '45.83.66.7'), e('route', '/v1/products/{id}')], end: min(8) };
    case 'sensitive_access': return a.route ? { entities: [a.entity, e('route', a.route)], end: min(5) } : { entities: [a.entity, e('route', '/admin/users/{id}')], end: min(3) };
    case 'rare_country_surge': return { entities: [a.entity, { type: 'ip', prefix: '14.160.0.' }, e('country', 'VN')], end: min(10) };
    case 'slow_ramp': return { entities: [a.entity, { type: 'ip', prefix: '45.83.67.' }], end: min(4 * 60) };
    case 'volume': return { entities: [a.entity, e('ip', '45.83.65.5')], end: min(10) };
    case 'error_burst': return { entities: [a.entity], end: min(8) };
    case 'data_exposure': return { entities: [a.entity, e('principal', users[150]!.name)], end: min(6) };
    case 'gateway_silence': return { entities: [a.entity], end: min(25) };
    case 'route_drop': return { entities: [a.entity], end: min(25) };
  }
}

const host = (prefix: string, n: number) => `${prefix}.${n}`;
const net = (country: string, kind: 'city' | 'countryOnly' | 'hosting', i: number) => {
  const list = GEO_NETWORKS[country]![kind];
  return list[i % list.length]!;
};

/**
 * The realistic world's background: uptime monitors from three clouds every 30 s, a search
 * crawler walking product pages, svc-reporting's nightly export (01:00–01:40 UTC, a page of
 * 2–6 MB a minute from a German cloud), svc-catalog-sync's updates every 5 minutes, and a
 * marketing e-mail on the second evening (18:00–19:30 UTC) that brings hundreds of distinct
 * users to the promotion page.
 */
function backgroundRecords(minute: number, day0: number, r: Rand, users: SimUser[], where: (u: SimUser, m: number) => GeoIp | undefined): RecordSpec[] {
  const out: RecordSpec[] = [];
  const hourOfDay = (minute % 86_400_000) / 3_600_000;
  const monitors = [net('US', 'hosting', 0), net('DE', 'hosting', 1), net('SG', 'hosting', 2)];
  monitors.forEach((m, i) => {
    for (const half of [0, 30_000]) out.push({ t: minute + half + i * 1000, ip: host(m.prefix, 40 + i), method: 'GET', uri: '/v1/status', status: 200, auth: 'none', ua: 'UptimeRobot/2.0', workspace: i === 0 ? 'us' : 'eu', bytes: 120 });
  });
  const crawls = poisson(8 * (0.7 + 0.3 * Math.sin((2 * Math.PI * hourOfDay) / 24)), r);
  for (let k = 0; k < crawls; k++) out.push({ t: minute + Math.floor(r() * 60_000), ip: `66.249.66.${1 + Math.floor(r() * 200)}`, method: 'GET', uri: `/v1/products/${1 + Math.floor(r() * 5000)}`, status: r() < 0.03 ? 404 : 200, auth: 'none', ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', workspace: 'us' });
  if (hourOfDay >= 1 && hourOfDay < 1 + 40 / 60) {
    const page = Math.round((hourOfDay - 1) * 60);
    out.push({ t: minute + 5000, ip: host(net('DE', 'hosting', 3).prefix, 17), method: 'GET', uri: `/v1/exports/orders?page=${page}`, status: 200, user: 'svc-reporting', auth: 'jwt', bytes: 2_000_000 + Math.floor(r() * 4_000_000), ua: 'reporting-job/3.4', workspace: 'eu' });
  }
  if ((minute / 60_000) % 5 === 0) {
    for (let k = 0; k < 10; k++) out.push({ t: minute + k * 2000, ip: host(net('US', 'hosting', 1).prefix, 23), method: 'PUT', uri: `/v1/products/${1 + Math.floor(r() * 5000)}`, status: 200, user: 'svc-catalog-sync', auth: 'jwt', ua: 'catalog-sync/1.9', workspace: 'us' });
  }
  const burstStart = day0 + 86_400_000 + 18 * 3_600_000;
  if (minute >= burstStart && minute < burstStart + 90 * 60_000) {
    const strength = Math.exp(-(minute - burstStart) / (30 * 60_000));
    const n = poisson(120 * strength, r);
    for (let k = 0; k < n; k++) {
      const u = users[Math.floor(r() * users.length)]!;
      const place = where(u, minute);
      if (!place) continue;
      out.push({ t: minute + Math.floor(r() * 60_000), ip: place.ip, method: 'GET', uri: '/v1/promo/winter-sale', status: 200, user: u.name, auth: 'jwt', workspace: ['US', 'BR', 'CA', 'MX'].includes(place.country) ? 'us' : 'eu' });
    }
  }
  return out;
}

const NAT: GeoIp = { ip: '81.2.69.200', country: 'GB' };

/**
 * Where a user is at a minute: at home; users 40–79 work behind one office NAT address; user
 * 0 flies from Britain to the US on the first day (in the air 08:00–17:30 UTC: undefined).
 */
export function whereIs(u: SimUser, minute: number, from: number): GeoIp | undefined {
  const idx = Number(u.name.slice(4));
  if (idx >= 40 && idx < 80) return NAT;
  if (idx === 0) {
    const flight = Math.floor(from / 86_400_000) * 86_400_000 + 8 * 3_600_000;
    if (minute >= flight && minute < flight + 9.5 * 3_600_000) return undefined;
    if (minute >= flight + 9.5 * 3_600_000) return { ip: '216.160.83.77', country: 'US' };
  }
  return u.home;
}

function poisson(mean: number, r: Rand): number {
  if (mean <= 0) return 0;
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l && k < 1000);
  return k - 1;
}

/** The attack's records that fall in one minute. */
function attackRecords(a: Attack, minute: number, r: Rand, users: SimUser[], where: (u: SimUser, minute: number) => GeoIp | undefined): RecordSpec[] {
  const rel = minute - Math.floor(a.start / 60_000) * 60_000;
  if (rel < 0) return [];
  const out: RecordSpec[] = [];
  const at = (k: number, n: number) => minute + Math.floor(((k + r()) * 60_000) / n);
  switch (a.kind) {
    case 'brute_force': {
      // one address guessing one account's password: 40 tries a minute for 6 minutes
      if (rel >= 6 * 60_000) break;
      const victim = users[11]!.name;
      for (let k = 0; k < 40; k++) out.push({ t: at(k, 40), ip: a.entity.value, method: 'POST', uri: '/v1/login', status: 401, user: victim, auth: 'basic', password: `guess${k}`, ua: 'python-requests/2.31.0' });
      break;
    }
    case 'credential_stuffing': {
      // one address replaying a leaked list: 60 different accounts a minute for 8 minutes, 3% valid
      if (rel >= 8 * 60_000) break;
      for (let k = 0; k < 60; k++) {
        const user = `leaked${Math.floor(rel / 60_000) * 60 + k}@mail.example`;
        out.push({ t: at(k, 60), ip: a.entity.value, method: 'POST', uri: '/v1/login', status: r() < 0.03 ? 200 : 401, user, auth: 'basic', password: 'Summer2024!', ua: 'okhttp/4.9.0' });
      }
      break;
    }
    case 'distributed_brute_force': {
      // one account from 90 addresses in 10 minutes, each trying twice
      if (rel >= 10 * 60_000) break;
      for (let k = 0; k < 18; k++) {
        const bot = 9 * Math.floor(rel / 60_000) + Math.floor(k / 2);
        out.push({ t: at(k, 18), ip: `198.51.${100 + Math.floor(bot / 250)}.${(bot % 250) + 1}`, method: 'POST', uri: '/v1/login', status: 401, user: a.entity.value, auth: 'basic', password: `p${k}` });
      }
      break;
    }
    case 'impossible_travel': {
      // the account's token used from Tokyo while its owner is at home in Europe
      if (rel >= 3 * 60_000) break;
      for (let k = 0; k < 4; k++) out.push({ t: at(k, 4), ip: '133.11.0.77', method: 'GET', uri: '/v1/me', status: 200, user: a.entity.value, auth: 'jwt' });
      const owner = users.find((u) => u.name === a.entity.value);
      const home = owner && where(owner, minute);
      if (owner && home) out.push({ t: at(0, 2), ip: home.ip, method: 'GET', uri: '/v1/cart', status: 200, user: owner.name, auth: 'jwt' });
      break;
    }
    case 'enumeration': {
      // one account walking order ids: 30 a minute for 6 minutes
      if (rel >= 6 * 60_000) break;
      const owner = users.find((u) => u.name === a.entity.value);
      const ip = (owner && where(owner, minute)?.ip) ?? '62.210.0.9';
      const base = 500_000 + Math.floor(rel / 60_000) * 30;
      for (let k = 0; k < 30; k++) out.push({ t: at(k, 30), ip, method: 'GET', uri: `/v1/orders/${base + k}`, status: k % 3 === 0 ? 200 : 403, user: a.entity.value, auth: 'jwt' });
      break;
    }
    case 'new_country': {
      // the account's token used from Brazil, hours after its owner was last active at home
      if (rel >= 4 * 60_000) break;
      for (let k = 0; k < 5; k++) out.push({ t: at(k, 5), ip: '200.160.0.66', method: 'GET', uri: '/v1/me', status: 200, user: a.entity.value, auth: 'jwt' });
      break;
    }
    case 'entity_volume': {
      // an account's key abused by a script: 150 requests a minute for 8 minutes
      if (rel >= 8 * 60_000) break;
      for (let k = 0; k < 150; k++) out.push({ t: at(k, 150), ip: '45.83.66.7', method: 'GET', uri: `/v1/products/${1 + Math.floor(r() * 5000)}`, status: 200, user: a.entity.value, auth: 'jwt', ua: 'Go-http-client/1.1' });
      break;
    }
    case 'sensitive_access': {
      const owner = users.find((u) => u.name === a.entity.value);
      const ip = (owner && where(owner, minute)?.ip) ?? '62.210.0.9';
      if (a.route) {
        // an ordinary account that found an internal route nobody uses, listing it page by page (BFLA)
        if (rel >= 5 * 60_000) break;
        for (let k = 0; k < 8; k++) out.push({ t: at(k, 8), ip, method: 'GET', uri: `${a.route}?page=${Math.floor(rel / 60_000) * 8 + k}`, status: 200, user: a.entity.value, auth: 'jwt', bytes: 40_000 });
        break;
      }
      // an ordinary account probing the admin console and the actuator
      if (rel >= 3 * 60_000) break;
      for (let k = 0; k < 4; k++) out.push({ t: at(k, 4), ip, method: 'GET', uri: k % 2 ? '/admin/users/1' : '/admin/users/2', status: 403, user: a.entity.value, auth: 'jwt' });
      break;
    }
    case 'rare_country_surge': {
      // a farm of addresses in Vietnam, where the shop has no users, hammering search
      if (rel >= 10 * 60_000) break;
      for (let k = 0; k < 40; k++) out.push({ t: at(k, 40), ip: `14.160.0.${(k % 50) + 100}`, method: 'GET', uri: '/v1/search', status: 200, auth: 'none', ua: 'Mozilla/5.0' });
      break;
    }
    case 'slow_ramp': {
      // traffic on recommendations creeping up over four hours, never a spike
      if (rel >= 4 * 3_600_000) break;
      const n = Math.round(4 + (rel / 3_600_000) * 2.5);
      for (let k = 0; k < n; k++) out.push({ t: at(k, n), ip: `45.83.67.${(k % 30) + 1}`, method: 'GET', uri: '/v1/recommendations', status: 200, auth: 'none' });
      break;
    }
    case 'volume': {
      // a scraper walking the catalogue from one address, 500 requests a minute for 10 minutes
      if (rel >= 10 * 60_000) break;
      for (let k = 0; k < 500; k++) out.push({ t: at(k, 500), ip: '45.83.65.5', method: 'GET', uri: `/v1/products/${1 + Math.floor(r() * 5000)}`, status: 200, auth: 'none', ua: 'Scrapy/2.11' });
      break;
    }
    case 'error_burst': {
      // the order service falling over: every order attempt fails with 503 for 8 minutes
      if (rel >= 8 * 60_000) break;
      for (let k = 0; k < 40; k++) {
        const u = users[(k * 7 + Math.floor(rel / 60_000)) % users.length]!;
        const place = where(u, minute);
        if (!place) continue;
        out.push({ t: at(k, 40), ip: place.ip, method: 'POST', uri: '/v1/orders', status: 503, user: u.name, auth: 'jwt' });
      }
      break;
    }
    case 'data_exposure': {
      // a bulk export: 40 order listings a minute of 4 MB each for 6 minutes
      if (rel >= 6 * 60_000) break;
      const owner = users[150]!;
      for (let k = 0; k < 40; k++) out.push({ t: at(k, 40), ip: where(owner, minute)?.ip ?? owner.home.ip, method: 'GET', uri: '/v1/search', status: 200, user: owner.name, auth: 'jwt', bytes: 4_000_000 });
      break;
    }
  }
  return out;
}

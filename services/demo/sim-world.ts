/**
 * The realistic world of the traffic simulator: where each user is, minute by minute, seen
 * through GeoIP as production sees it. Deterministic (a seed gives the same world).
 *
 * - Users live in 17 countries, in proportion to a European and American shop's audience,
 *   each with a UTC offset for the rhythm of their day.
 * - Each user reaches the API from two or three networks in their home country and switches
 *   between them through the day: home broadband (one address, GeoIP places it in one city),
 *   a mobile carrier (carrier-grade NAT: the address changes every slot and is shared with
 *   other subscribers; GeoIP often knows only the country), and for office workers their
 *   company's egress (one NAT address shared by dozens of colleagues).
 * - GeoIP noise: the broadband, mobile and office networks of one user are placed in
 *   different cities of their country, often hundreds of kilometres apart, as GeoIP does
 *   with providers' address blocks.
 * - Some users route through a VPN (a hosting provider's exit, often in another country) for
 *   part of their sessions; a few travel abroad (a flight of plausible length, then hotel
 *   networks there and their home carrier roaming, which GeoIP places at home).
 * - An admin team uses the admin console from the office.
 */
import { GEO_NETWORKS, type SimNetwork } from './geo-networks.js';

export type Rand = () => number;

export function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable hash of strings and numbers to [0, 1): the world's choices that depend on time. */
export function hash01(...parts: Array<string | number>): number {
  let h = 2166136261;
  for (const p of parts) {
    const s = String(p);
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0x9e, 16777619);
  }
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** Home countries, their share of users and the UTC offset of their day. */
export const COUNTRIES: Array<{ country: string; share: number; utcOffset: number }> = [
  { country: 'GB', share: 20, utcOffset: 0 }, { country: 'US', share: 18, utcOffset: -5 }, { country: 'DE', share: 12, utcOffset: 1 },
  { country: 'FR', share: 8, utcOffset: 1 }, { country: 'NL', share: 5, utcOffset: 1 }, { country: 'ES', share: 5, utcOffset: 1 },
  { country: 'IT', share: 5, utcOffset: 1 }, { country: 'PL', share: 4, utcOffset: 1 }, { country: 'CA', share: 4, utcOffset: -5 },
  { country: 'BR', share: 4, utcOffset: -3 }, { country: 'IN', share: 4, utcOffset: 5.5 }, { country: 'SE', share: 3, utcOffset: 1 },
  { country: 'JP', share: 2, utcOffset: 9 }, { country: 'AU', share: 2, utcOffset: 10 }, { country: 'SG', share: 2, utcOffset: 8 },
  { country: 'ZA', share: 1, utcOffset: 2 }, { country: 'MX', share: 1, utcOffset: -6 },
];

/** One place a request comes from, as the gateway sees it. */
export interface Place {
  ip: string;
  country: string;
  /** the network it belongs to, for labels and tests */
  kind: 'broadband' | 'mobile' | 'office' | 'vpn' | 'hotel' | 'roaming';
}

export interface Trip {
  country: string;
  /** departure (UTC ms); in the air until `arrive` */
  depart: number;
  arrive: number;
  /** back home (the return flight is not modelled: the user stays quiet for a day) */
  end: number;
  hotel: SimNetwork;
}

export interface WorldUser {
  name: string;
  country: string;
  utcOffset: number;
  /** relative activity */
  weight: number;
  broadband: SimNetwork;
  broadbandHost: number;
  mobile: SimNetwork;
  office?: { net: SimNetwork; host: number; company: number };
  vpn?: SimNetwork;
  trip?: Trip;
  /** uses the admin console from the office */
  admin: boolean;
}

export interface World {
  users: WorldUser[];
  companies: number;
}

const pick = <T>(xs: readonly T[], r: Rand): T => xs[Math.floor(r() * xs.length)]!;

/** Users who are attack victims or attackers' cover: they stay plain (no VPN, no trips). */
export const PLAIN_USERS = new Set(['user0011', 'user0021', 'user0105', 'user0107', 'user0123', 'user0131', 'user0140', 'user0150', 'user0166']);

/**
 * Builds the world: `n` users in `COUNTRIES`, companies of 20–50 office workers sharing an
 * egress address, 4 % VPN users, 2 % travellers (a trip within the first `days` days after
 * `epoch`), and an admin team (users 1–5, office workers in Britain).
 */
export function makeWorld(n: number, seed: number, epoch: number, days = 3): World {
  const r = seeded(seed ^ 0x5eed);
  const total = COUNTRIES.reduce((s, c) => s + c.share, 0);
  const users: WorldUser[] = [];
  // companies: per country, an office network and a NAT address
  const companies: Array<{ country: string; net: SimNetwork; host: number }> = [];
  const companyOf = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    // the admin team (users 1–5) are in Britain; the rest by share
    let c = COUNTRIES[0]!;
    if (i < 1 || i > 5) {
      let x = hash01(seed, 'country', i) * total;
      for (const cc of COUNTRIES) if ((x -= cc.share) < 0) {
        c = cc;
        break;
      }
    }
    const nets = GEO_NETWORKS[c.country]!;
    const cities = nets.city.length ? nets.city : nets.countryOnly;
    const broadband = pick(cities, r);
    // mobile carriers: 70 % placed only at country level, the rest in some city of the country
    const mobile = r() < 0.7 && nets.countryOnly.length ? pick(nets.countryOnly, r) : pick(cities, r);
    const u: WorldUser = {
      name: `user${String(i).padStart(4, '0')}`,
      country: c.country,
      utcOffset: c.utcOffset,
      weight: 0.2 + r() * 2,
      broadband,
      broadbandHost: 2 + Math.floor(r() * 250),
      mobile,
      admin: i >= 1 && i <= 5,
    };
    // about 45 % work in an office with a shared egress (the admin team always)
    if (u.admin || r() < 0.45) {
      let list = companyOf.get(c.country);
      if (!list) companyOf.set(c.country, (list = []));
      // a new company every ~35 workers in a country
      let idx = list.length ? list[list.length - 1]! : -1;
      const size = idx >= 0 ? users.filter((x) => x.office?.company === idx).length : 0;
      if (idx < 0 || size >= 20 + Math.floor(hash01(seed, 'size', idx) * 30)) {
        companies.push({ country: c.country, net: pick(cities, r), host: 2 + Math.floor(r() * 250) });
        idx = companies.length - 1;
        list.push(idx);
      }
      u.office = { net: companies[idx]!.net, host: companies[idx]!.host, company: idx };
    }
    if (!PLAIN_USERS.has(u.name) && !u.admin) {
      const roll = r();
      if (roll < 0.04) {
        // a VPN provider's exit: often in another country (NL, DE, US, GB, SE hosting)
        const exitCountry = pick(['NL', 'DE', 'US', 'GB', 'SE', c.country], r);
        u.vpn = pick(GEO_NETWORKS[exitCountry]!.hosting, r);
      } else if (roll < 0.06) {
        const dest = pick(COUNTRIES.filter((x) => x.country !== c.country), r).country;
        const depart = epoch + Math.floor(r() * days * 24) * 3_600_000 + Math.floor(r() * 60) * 60_000;
        const hours = 2 + Math.floor(r() * 11);
        const destNets = GEO_NETWORKS[dest]!;
        u.trip = { country: dest, depart, arrive: depart + hours * 3_600_000, end: depart + (hours + 48) * 3_600_000, hotel: pick(destNets.city.length ? destNets.city : destNets.countryOnly, r) };
      }
    }
    users.push(u);
  }
  return { users, companies: companies.length };
}

const SLOT = 20 * 60_000;
const addr = (net: SimNetwork, host: number) => `${net.prefix}.${host}`;

/**
 * Where a user is at a minute, or undefined while in the air. The network is chosen per
 * 20-minute slot from the user's local hour and weekday: office hours at the office (most
 * of the time), evenings on home broadband, the mobile carrier at any time; VPN users
 * route a third of their slots through their VPN.
 */
export function placeOf(u: WorldUser, minute: number): Place | undefined {
  const slot = Math.floor(minute / SLOT);
  if (u.trip && minute >= u.trip.depart && minute < u.trip.end) {
    if (minute < u.trip.arrive) return undefined;
    // abroad: the hotel's network, or the home carrier roaming (GeoIP: home country)
    if (hash01(u.name, 'trip', slot) < 0.6) return { ip: addr(u.trip.hotel, 10 + Math.floor(hash01(u.name, 'room') * 200)), country: u.trip.country, kind: 'hotel' };
    return { ip: addr(u.mobile, 2 + Math.floor(hash01(u.mobile.prefix, slot, u.name) * 250)), country: u.country, kind: 'roaming' };
  }
  const local = new Date(minute + u.utcOffset * 3_600_000);
  const h = local.getUTCHours();
  const weekday = local.getUTCDay() >= 1 && local.getUTCDay() <= 5;
  const x = hash01(u.name, 'slot', slot);
  if (u.vpn && hash01(u.name, 'vpn', slot) < 0.33) return { ip: addr(u.vpn, 2 + Math.floor(hash01(u.vpn.prefix, u.name) * 250)), country: u.vpn.country, kind: 'vpn' };
  if (u.office && weekday && h >= 8 && h < 18 && x < 0.75) return { ip: addr(u.office.net, u.office.host), country: u.office.net.country, kind: 'office' };
  // mobile: a quarter of slots by day, fewer in the evening; a new CGNAT address each slot
  if (x > (h >= 7 && h < 19 ? 0.72 : 0.85)) return { ip: addr(u.mobile, 2 + Math.floor(hash01(u.mobile.prefix, slot, u.name) * 250)), country: u.mobile.country, kind: 'mobile' };
  return { ip: addr(u.broadband, u.broadbandHost), country: u.broadband.country, kind: 'broadband' };
}

/**
 * Impossible travel (OWASP API2, a stolen token used elsewhere): the same principal seen at a
 * place it has never used, farther from the place it was just at than any traveller could
 * cover in the time between.
 *
 * Real users reach an API from several networks (home broadband, a mobile carrier, an
 * office) and GeoIP places those networks in different cities, often hundreds of kilometres
 * apart, or only at country level. So:
 * - each principal's **familiar places** are learnt over `familiarDays`: the cities it was
 *   seen in, and its networks by country and ASN (a mobile carrier's addresses move between
 *   cities). A move to a familiar place never alerts; a place becomes familiar once seen, so
 *   switching back and forth raises nothing after the first time;
 * - distance is judged against GeoIP's precision: `geoipErrorKm` off each city-level end,
 *   `countryErrorKm` off a location known only at country level;
 * - moves inside one country are not judged by default (`withinCountryMinKm` 0): there,
 *   GeoIP's error is the distance;
 * - locations seen through corporate egress (VPN, office NAT: CIDRs or ASNs from config)
 *   are not places.
 * Published defaults: Datadog > 1,000 km/h over > 500 km, Elastic ≥ 800 km/h and ≥ 500 km.
 */
import type { Detector, Finding } from '../detector.js';
import { chTime, MINUTE, parseChTime, severityFor, sqlString } from '../detector.js';
import { displayIp } from '../entity-format.js';
import { haversineKm } from './haversine.js';
import { inRanges, parseCidrs } from '../allow-list.js';

export interface GeoVisitRow {
  principal_id: string;
  minute: string;
  country: string;
  city: string;
  lat: number;
  lon: number;
  first_seen: string;
  last_seen: string;
  asn: number | string;
  ip: string;
  /** 1 when the minute is in the range being scored, 0 when it is recent history, 2 for a familiar place (a summary over familiarDays, before the recent history) */
  fresh: number | string;
  /** the ASNs seen at this place (familiar-place rows) */
  asns?: Array<number | string>;
}

const placeKey = (v: Pick<GeoVisitRow, 'country' | 'city'>) => `${v.country}\u0000${v.city}`;
const asnKey = (country: string, asn: number | string) => `${country}\u0000#${Number(asn)}`;

export const impossibleTravelDetector: Detector<GeoVisitRow> = {
  name: 'impossible_travel',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.impossible_travel;
    const from = range.from - MINUTE;
    const history = range.from - cfg.lookbackHours * 60 * MINUTE;
    const familiar = history - cfg.familiarDays * 24 * 60 * MINUTE;
    const t = (ms: number) => `toDateTime('${chTime(ms)}', 'UTC')`;
    const active = `principal_id IN (SELECT principal_id FROM ${db}.rollup_principal_geo_1m WHERE minute >= ${t(from)} AND minute < ${t(range.to)} GROUP BY principal_id)`;
    return `SELECT principal_id, toString(g.minute) AS minute, toString(country) AS country, toString(city) AS city,
        anyLast(lat) AS lat, anyLast(lon) AS lon, toString(min(first_seen)) AS first_seen, toString(max(last_seen)) AS last_seen,
        anyLast(asn) AS asn, toString(anyLast(client_ip)) AS ip, toUInt8(g.minute >= ${t(from)}) AS fresh, groupUniqArray(g.asn) AS asns
      FROM ${db}.rollup_principal_geo_1m AS g
      WHERE g.minute >= ${t(history)} AND g.minute < ${t(range.to)} AND ${active}
      GROUP BY principal_id, g.minute, country, city
      UNION ALL
      SELECT principal_id, '' AS minute, toString(country) AS country, toString(city) AS city,
        anyLast(lat) AS lat, anyLast(lon) AS lon, toString(min(first_seen)) AS first_seen, toString(max(last_seen)) AS last_seen,
        anyLast(asn) AS asn, toString(anyLast(client_ip)) AS ip, toUInt8(2) AS fresh, groupUniqArray(h.asn) AS asns
      FROM ${db}.rollup_principal_geo_1m AS h
      WHERE h.minute >= ${t(familiar)} AND h.minute < ${t(history)} AND ${active}
      GROUP BY principal_id, country, city`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.impossible_travel;
    const egress = parseCidrs(ctx.config.corporateEgress.cidrs);
    const egressAsns = new Set(ctx.config.corporateEgress.asns);
    const byPrincipal = new Map<string, { known: Set<string>; visits: GeoVisitRow[] }>();
    for (const r of rows) {
      const ip = displayIp(r.ip);
      if (inRanges(egress, ip) || egressAsns.has(Number(r.asn)) || ctx.allow.ip(ip) || ctx.allow.asn(Number(r.asn))) continue;
      let p = byPrincipal.get(r.principal_id);
      if (!p) byPrincipal.set(r.principal_id, (p = { known: new Set(), visits: [] }));
      if (Number(r.fresh) === 2) {
        p.known.add(placeKey(r));
        for (const a of r.asns ?? [r.asn]) p.known.add(asnKey(r.country, a));
      } else p.visits.push(r);
    }
    const out: Finding[] = [];
    for (const [principal, { known, visits }] of byPrincipal) {
      if (ctx.allow.principal(principal)) continue;
      visits.sort((a, b) => parseChTime(a.first_seen) - parseChTime(b.first_seen));
      const familiar = (v: GeoVisitRow) => (v.city !== '' && known.has(placeKey(v))) || (v.asns ?? [v.asn]).some((a) => known.has(asnKey(v.country, a)));
      const learn = (v: GeoVisitRow) => {
        known.add(placeKey(v));
        for (const a of v.asns ?? [v.asn]) known.add(asnKey(v.country, a));
      };
      let judged = 0;
      for (let i = 0; i < visits.length; i++) {
        const cur = visits[i]!;
        // the first place in the history, or a familiar one: nothing to judge
        if (i === 0 || familiar(cur)) {
          learn(cur);
          continue;
        }
        // the latest earlier visit at a different place
        let prev: GeoVisitRow | undefined;
        for (let j = i - 1; j >= 0; j--) {
          const v = visits[j]!;
          if (v.country !== cur.country || v.city !== cur.city) {
            prev = v;
            break;
          }
        }
        learn(cur);
        if (!prev || Number(cur.fresh) !== 1) continue;
        const sameCountry = prev.country === cur.country;
        // inside one country GeoIP's error is the distance, and a country-level location has none
        if (sameCountry && (cfg.withinCountryMinKm <= 0 || prev.city === '' || cur.city === '')) continue;
        const km = haversineKm(prev.lat, prev.lon, cur.lat, cur.lon);
        if (km < Math.max(cfg.minDistanceKm, sameCountry ? cfg.withinCountryMinKm : 0)) continue;
        const err = (v: GeoVisitRow) => (v.city === '' ? cfg.countryErrorKm : cfg.geoipErrorKm);
        const move = (from: GeoVisitRow) => {
          const effectiveKm = Math.max(0, haversineKm(from.lat, from.lon, cur.lat, cur.lon) - err(from) - err(cur));
          const gapH = Math.max(parseChTime(cur.first_seen) - parseChTime(from.last_seen), 0) / 3_600_000;
          // two places at once (or within a minute): as fast as can be
          return { effectiveKm, gapH, speed: gapH <= 1 / 60 ? Number.POSITIVE_INFINITY : effectiveKm / gapH };
        };
        const { effectiveKm, gapH, speed } = move(prev);
        if (effectiveKm < cfg.minDistanceKm || speed <= cfg.maxSpeedKmh) continue;
        // a country-level location (mostly mobile carriers, which route a roaming traveller
        // home) is a weak anchor: the move must also be impossible from the last city-level
        // place, if there is one
        if (prev.city === '') {
          const anchor = visits.slice(0, i).reverse().find((v) => v.city !== '' && (v.country !== cur.country || v.city !== cur.city));
          if (anchor) {
            const m = move(anchor);
            if (m.effectiveKm < cfg.minDistanceKm || m.speed <= cfg.maxSpeedKmh) continue;
          }
        }
        // one finding per principal and range: the first impossible move
        if (judged++ > 0) continue;
        const shown = Number.isFinite(speed) ? Math.round(speed) : null;
        const ratio = Number.isFinite(speed) ? speed / cfg.maxSpeedKmh : 1000;
        const start = parseChTime(cur.minute);
        out.push({
          detector: 'impossible_travel',
          entity: { type: 'principal', value: principal },
          window: { start, end: start + MINUTE },
          observed: shown ?? Math.round(effectiveKm),
          expected: cfg.maxSpeedKmh,
          score: Math.min(ratio, 1000),
          severity: severityFor(ratio, 'high'),
          summary: `${principal} seen in ${place(prev)} then in ${place(cur)}, a place it has not used before, ${Math.round(km)} km away ${formatGap(gapH)} later (${shown !== null ? `${shown.toLocaleString('en-US')} km/h` : 'at the same time'})`,
          owasp: 'API2',
          detail: {
            from: { country: prev.country, city: prev.city, ip: displayIp(prev.ip), asn: Number(prev.asn), last_seen: prev.last_seen },
            to: { country: cur.country, city: cur.city, ip: displayIp(cur.ip), asn: Number(cur.asn), first_seen: cur.first_seen },
            distance_km: Math.round(km),
            distance_after_geoip_error_km: Math.round(effectiveKm),
            gap_minutes: Math.round(gapH * 60),
            speed_kmh: shown,
            familiar_places: known.size,
          },
        });
      }
    }
    return out;
  },
  evidenceSql(db, f) {
    const from = f.window.start - 24 * 60 * MINUTE;
    return `SELECT event_time, client_ip, country, city, asn, as_org, route, status FROM ${db}.events WHERE principal_id = ${sqlString(f.entity.value)} AND event_time >= toDateTime64('${chTime(from)}', 3, 'UTC') AND event_time < toDateTime64('${chTime(f.window.end)}', 3, 'UTC') ORDER BY event_time DESC`;
  },
};

const place = (v: GeoVisitRow) => (v.city ? `${v.city}, ${v.country}` : v.country);
const formatGap = (h: number) => (h < 1 ? `${Math.round(h * 60)} min` : `${h.toFixed(1)} h`);

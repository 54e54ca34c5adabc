/**
 * Impossible travel (OWASP API2, a stolen token used elsewhere): the same principal seen at two
 * places farther apart than any traveller could cover in the time between. Distance is the
 * haversine distance between GeoIP coordinates minus the GeoIP error at each end, so two
 * cities' worth of GeoIP noise never looks like a flight; speed is that distance over the gap
 * between the last request at the first place and the first at the second. Locations seen
 * through corporate egress (VPN, office NAT: CIDRs or ASNs from config) are not places.
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
  /** 1 when the minute is in the range being scored, 0 when it is history */
  fresh: number | string;
}

export const impossibleTravelDetector: Detector<GeoVisitRow> = {
  name: 'impossible_travel',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.impossible_travel;
    const from = range.from - MINUTE;
    const history = range.from - cfg.lookbackHours * 60 * MINUTE;
    const t = (ms: number) => `toDateTime('${chTime(ms)}', 'UTC')`;
    return `SELECT principal_id, toString(g.minute) AS minute, toString(country) AS country, toString(city) AS city,
        anyLast(lat) AS lat, anyLast(lon) AS lon, toString(min(first_seen)) AS first_seen, toString(max(last_seen)) AS last_seen,
        anyLast(asn) AS asn, toString(anyLast(client_ip)) AS ip, g.minute >= ${t(from)} AS fresh
      FROM ${db}.rollup_principal_geo_1m AS g
      WHERE g.minute >= ${t(history)} AND g.minute < ${t(range.to)}
        AND principal_id IN (SELECT principal_id FROM ${db}.rollup_principal_geo_1m WHERE minute >= ${t(from)} AND minute < ${t(range.to)} GROUP BY principal_id)
      GROUP BY principal_id, g.minute, country, city
      ORDER BY principal_id, g.minute`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.impossible_travel;
    const egress = parseCidrs(ctx.config.corporateEgress.cidrs);
    const egressAsns = new Set(ctx.config.corporateEgress.asns);
    const byPrincipal = new Map<string, GeoVisitRow[]>();
    for (const r of rows) {
      const ip = displayIp(r.ip);
      if (inRanges(egress, ip) || egressAsns.has(Number(r.asn)) || ctx.allow.ip(ip) || ctx.allow.asn(Number(r.asn))) continue;
      let list = byPrincipal.get(r.principal_id);
      if (!list) byPrincipal.set(r.principal_id, (list = []));
      list.push(r);
    }
    const out: Finding[] = [];
    for (const [principal, visits] of byPrincipal) {
      if (ctx.allow.principal(principal) || visits.length < 2) continue;
      visits.sort((a, b) => parseChTime(a.first_seen) - parseChTime(b.first_seen));
      for (let i = 1; i < visits.length; i++) {
        const cur = visits[i]!;
        if (Number(cur.fresh) !== 1) continue;
        // the latest earlier visit at a different place
        let prev: GeoVisitRow | undefined;
        for (let j = i - 1; j >= 0; j--) {
          const v = visits[j]!;
          if (v.country !== cur.country || v.city !== cur.city) {
            prev = v;
            break;
          }
        }
        if (!prev) continue;
        const km = haversineKm(prev.lat, prev.lon, cur.lat, cur.lon);
        if (km < cfg.minDistanceKm) continue;
        const effectiveKm = Math.max(0, km - 2 * cfg.geoipErrorKm);
        const gapH = Math.max(parseChTime(cur.first_seen) - parseChTime(prev.last_seen), 0) / 3_600_000;
        // two places at once (or within a minute): as fast as can be
        const speed = gapH <= 1 / 60 ? Number.POSITIVE_INFINITY : effectiveKm / gapH;
        if (speed <= cfg.maxSpeedKmh) continue;
        const shown = Number.isFinite(speed) ? Math.round(speed) : 999_999;
        const start = parseChTime(cur.minute);
        out.push({
          detector: 'impossible_travel',
          entity: { type: 'principal', value: principal },
          window: { start, end: start + MINUTE },
          observed: shown,
          expected: cfg.maxSpeedKmh,
          score: Math.min(shown / cfg.maxSpeedKmh, 1000),
          severity: severityFor(shown / cfg.maxSpeedKmh, 'high'),
          summary: `${principal} seen in ${place(prev)} then ${place(cur)} ${Math.round(km)} km away ${formatGap(gapH)} later (${Number.isFinite(speed) ? `${shown} km/h` : 'at the same time'})`,
          owasp: 'API2',
          detail: {
            from: { country: prev.country, city: prev.city, ip: displayIp(prev.ip), asn: Number(prev.asn), last_seen: prev.last_seen },
            to: { country: cur.country, city: cur.city, ip: displayIp(cur.ip), asn: Number(cur.asn), first_seen: cur.first_seen },
            distance_km: Math.round(km),
            gap_minutes: Math.round(gapH * 60),
            speed_kmh: Number.isFinite(speed) ? shown : null,
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
